// Golden files: the example deployments render exactly the files in test/golden/<example>/<host>/<path>,
// and the containers, file modes and registrations in test/golden/<example>/<host>.json.
// Regenerate after a deliberate change with LADING_UPDATE_GOLDEN=1 (then read the diff before committing).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { packageRoot } from "../../../src/paths.js";
import type { DesiredHost, DesiredState } from "../../../src/render/desired.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "./deployment-fixture.js";

const goldenRoot = join(packageRoot, "test", "golden");
const updating = process.env.LADING_UPDATE_GOLDEN === "1";

/** What a host is given besides file contents: where files go and how, and every container's spec. */
function hostSpec(host: DesiredHost): unknown {
  return {
    address: host.address,
    stateFile: host.stateFile,
    services: host.services.map((s) => ({
      name: s.name,
      configDir: s.configDir,
      files: s.files.map((f) => ({ path: f.path, mode: f.mode, owner: f.owner, restarts: f.restarts, template: f.template })),
      containers: s.containers,
      ...(s.database ? { database: s.database } : {}),
      ...(s.messaging ? { messaging: s.messaging } : {}),
      rollout: s.rollout,
    })),
  };
}

/** Every golden file of a rendered state: relative path -> content. */
function goldenFilesOf(state: DesiredState): Map<string, string> {
  const out = new Map<string, string>();
  for (const host of state.hosts.values()) {
    for (const s of host.services) for (const f of s.files) out.set(join(host.name, f.path.replace(/^\/+/, "")), f.content);
    out.set(`${host.name}.json`, `${JSON.stringify(hostSpec(host), null, 2)}\n`);
  }
  return out;
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const full = join(dir, e);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

function renderExample(example: string): DesiredState {
  const dir = copyDeployment(join(packageRoot, "examples", example));
  try {
    writeFakePasswords(dir);
    return renderProject(loadProject({ dir }));
  } finally {
    removeDeployment(dir);
  }
}

for (const example of ["lab", "all-in-one"]) {
  describe(`golden files of examples/${example}`, function () {
    this.timeout(20000);
    const goldenDir = join(goldenRoot, example);
    let actual: Map<string, string>;

    before(() => {
      actual = goldenFilesOf(renderExample(example));
      if (updating) {
        rmSync(goldenDir, { recursive: true, force: true });
        for (const [rel, content] of actual) {
          mkdirSync(dirname(join(goldenDir, rel)), { recursive: true });
          writeFileSync(join(goldenDir, rel), content);
        }
      }
    });

    it("renders exactly the files of the golden folder", () => {
      assert.deepEqual([...actual.keys()].sort(), listFiles(goldenDir));
    });

    it("renders every file as its golden copy", () => {
      for (const [rel, content] of actual) {
        const file = join(goldenDir, rel);
        if (!existsSync(file)) continue; // reported by the test above
        assert.equal(content, readFileSync(file, "utf8"), `${rel} differs from test/golden/${example}/${rel} (LADING_UPDATE_GOLDEN=1 regenerates)`);
      }
    });
  });
}
