// Every case of the invalid-input corpus (invalid-cases.ts) fails with exactly its located problems, and
// `lading validate` (or `genconfig --local` for --limit/--service) fails with the same problems, exit code 3,
// without attempting any connection or process: its hosts are at 10.98.0.201-203, where nothing answers,
// and the network guard records any socket, DNS look-up or child process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, formatProblem, type Problem } from "../../../src/errors.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir, packageRoot } from "../../../src/paths.js";
import type { DeclaredSecrets } from "../../../src/secrets/declared-secrets.js";
import {
  copyDeployment,
  declaredSecretsOf,
  removeDeployment,
  showProblem,
  writeDeploymentFile,
  writeFakePasswords,
} from "./deployment-fixture.js";
import { INVALID_CASES, type InvalidCase } from "./invalid-cases.js";
import { withoutNetwork } from "./no-network.js";
import { runCli } from "../run-cli.js";

const baseDir = join(packageRoot, "test", "fixtures", "projects", "base");

/** The base deployment with the case's patch applied, in a new temp folder. */
function materialize(c: InvalidCase): string {
  const dir = copyDeployment(baseDir, "lading-invalid-");
  const { "passwords.yml": passwordsText, ...files } = c.files ?? {};
  for (const [rel, text] of Object.entries(files)) writeDeploymentFile(dir, rel, text);
  let declared: DeclaredSecrets;
  try {
    declared = declaredSecretsOf(dir);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    declared = loadRoles([builtinRolesDir]).secrets; // the case breaks a user role: fake the built-in secrets
  }
  writeFakePasswords(dir, declared);
  if (c.passwords) writeDeploymentFile(dir, "passwords.yml", c.passwords(readFileSync(join(dir, "passwords.yml"), "utf8")), 0o600);
  if (passwordsText !== undefined) writeDeploymentFile(dir, "passwords.yml", passwordsText, 0o600);
  for (const [rel, mode] of Object.entries(c.modes ?? {})) chmodSync(join(dir, rel), mode);
  return dir;
}

function libraryProblems(dir: string, c: InvalidCase): Problem[] {
  try {
    renderProject(loadProject({ dir }), c.render);
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  return [];
}



describe("invalid deployments (corpus)", function () {
  this.timeout(20000);

  it("has at least 45 cases, each with a distinct name and at least one expected problem", () => {
    assert.ok(INVALID_CASES.length >= 45, `${INVALID_CASES.length} cases`);
    assert.equal(new Set(INVALID_CASES.map((c) => c.name)).size, INVALID_CASES.length);
    assert.deepEqual(INVALID_CASES.filter((c) => c.problems.length === 0).map((c) => c.name), []);
  });

  it("the base deployment itself is valid", () => {
    const dir = materialize({ name: "base", problems: [] });
    try {
      const state = renderProject(loadProject({ dir }));
      assert.deepEqual([...state.hosts.keys()], ["n1", "n2", "n3"]);
    } finally {
      removeDeployment(dir);
    }
  });

  it("bin/lading.js validate, as a process, fails with exit code 3 on an invalid deployment at unreachable addresses", () => {
    const c = INVALID_CASES.find((x) => x.name === "an even Galera group: 2 members")!;
    const dir = materialize(c);
    try {
      const run = spawnSync(process.execPath, [join(packageRoot, "bin", "lading.js"), "validate", "-d", dir, "--format", "json"], { encoding: "utf8" });
      assert.equal(run.status, 3, run.stderr);
      const shown = JSON.parse(run.stdout) as { problems: Problem[] };
      assert.deepEqual(shown.problems.map((p) => p.message), [c.problems[0]!.message]);
    } finally {
      removeDeployment(dir);
    }
  });

  for (const c of INVALID_CASES) {
    describe(c.name, () => {
      let dir: string;
      before(() => {
        dir = materialize(c);
      });
      after(() => removeDeployment(dir));

      it("loadProject + renderProject report exactly the expected problems", () => {
        const actual = libraryProblems(dir, c).map((p) => showProblem(p, dir));
        if (process.env.LADING_DUMP_CASES) process.stderr.write(`${JSON.stringify({ name: c.name, actual })}\n`);
        assert.deepEqual(actual, c.problems);
      });

      it("the CLI fails with the same problems, exit code 3, and attempts no connection", async () => {
        const expected = libraryProblems(dir, c);
        if (c.render) {
          const args = ["genconfig", "-d", dir, "--local", join(dir, "out")];
          if (c.render.limit) args.push("--limit", c.render.limit);
          for (const s of c.render.services ?? []) args.push("--service", s);
          const { result, attempts } = await withoutNetwork(() => runCli(args));
          assert.deepEqual(attempts, []);
          assert.equal(result.code, 3, result.err);
          assert.deepEqual(result.err.split("\n").filter((l) => l.startsWith("error: ")), expected.map((p) => `error: ${formatProblem(p)}`));
        } else {
          const { result, attempts } = await withoutNetwork(() => runCli(["validate", "-d", dir, "--format", "json"]));
          assert.deepEqual(attempts, []);
          assert.equal(result.code, 3, result.err);
          const shown = JSON.parse(result.out) as { ok: boolean; problems: (Problem & { text: string })[] };
          assert.equal(shown.ok, false);
          assert.deepEqual(
            shown.problems.map(({ text, ...p }) => {
              assert.equal(text, formatProblem(p));
              return p;
            }),
            JSON.parse(JSON.stringify(expected)), // as printed: unset fields dropped
          );
        }
      });
    });
  }
});
