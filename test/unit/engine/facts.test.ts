import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { factsArgv } from "../../../src/facts/gather.js";
import { normalizeRef, parseFacts } from "../../../src/facts/parse.js";

describe("facts", () => {
  it("runs the facts script for real and reads files, modes, missing files and the state file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const a = join(dir, "a.cnf");
    writeFileSync(a, "x=1\n");
    chmodSync(a, 0o640);
    const state = join(dir, "state.json");
    writeFileSync(state, JSON.stringify({ registrations: { "database/web": "abc" } }));
    const req = { paths: [a, join(dir, "missing.cnf"), join(dir, "we ird $(name).cnf")], images: [], stateFile: state };
    writeFileSync(req.paths[2]!, "odd\n");
    // docker may be absent here: the script must still answer every section.
    const argv = factsArgv(req);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `/nonexistent:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    const fa = f.files.get(a)!;
    assert.ok(fa.exists);
    assert.equal(fa.exists && fa.mode, "0640");
    assert.equal(fa.exists && fa.content?.toString(), "x=1\n");
    assert.deepEqual(f.files.get(join(dir, "missing.cnf")), { exists: false });
    assert.equal(f.files.get(req.paths[2]!)!.exists, true);
    assert.deepEqual(f.state.registrations, { "database/web": "abc" });
  });

  it("parses containers and matches images by tag", () => {
    const container = {
      Id: "c1", Name: "/mariadb", Image: "sha256:img", RestartCount: 2,
      Config: { Image: "lading/mariadb:1.0", Labels: { "lading.managed": "true" } },
      State: { Status: "running", Running: true, StartedAt: "t", Health: { Status: "healthy", Log: [{ Output: "ok\n" }] } },
    };
    const image = { Id: "sha256:img", RepoTags: ["lading/mariadb:1.0"], RepoDigests: [] };
    const out = ["@@engine", "20.10.24", "@@files", "@@images", JSON.stringify(image), "@@containers", JSON.stringify(container), "@@volumes", "mariadb", "@@state", "", "@@end"].join("\n");
    const f = parseFacts(out, { paths: [], images: ["lading/mariadb:1.0", "lading/gone:1.0"], stateFile: "/x" });
    assert.equal(f.engineVersion, "20.10.24");
    assert.equal(f.images.get("lading/mariadb:1.0")?.id, "sha256:img");
    assert.equal(f.images.has("lading/gone:1.0"), false);
    const c = f.containers.get("mariadb")!;
    assert.equal(c.health, "healthy");
    assert.equal(c.restartCount, 2);
    assert.ok(f.volumes.has("mariadb"));
  });

  it("refuses output cut short", () => {
    assert.throws(() => parseFacts("@@engine\nNONE\n@@files\n", { paths: [], images: [], stateFile: "/x" }), /incomplete/);
  });

  it("normalizes image references as docker does", () => {
    assert.equal(normalizeRef("memcached"), "memcached:latest");
    assert.equal(normalizeRef("reg:5000/lading/web"), "reg:5000/lading/web:latest");
    assert.equal(normalizeRef("lading/web:1.1"), "lading/web:1.1");
  });
});
