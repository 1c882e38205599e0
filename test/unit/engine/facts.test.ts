import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { factsArgv } from "../../../src/facts/gather.js";
import { normalizeRef, parseFacts } from "../../../src/facts/parse.js";

/** A folder whose docker answers like a CLI that reaches no engine, whatever runs on this machine. */
function noEngineBin(): string {
  const bin = mkdtempSync(join(tmpdir(), "lading-no-engine-"));
  writeFileSync(join(bin, "docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n");
  chmodSync(join(bin, "docker"), 0o755);
  return bin;
}

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
    // No engine here: the script must still answer every section.
    const argv = factsArgv(req);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${noEngineBin()}:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    const fa = f.files.get(a)!;
    assert.ok(fa.exists);
    assert.equal(fa.exists && fa.mode, "0640");
    assert.equal(fa.exists && fa.content?.toString(), "x=1\n");
    assert.deepEqual(f.files.get(join(dir, "missing.cnf")), { exists: false });
    assert.equal(f.files.get(req.paths[2]!)!.exists, true);
    assert.deepEqual(f.state.registrations, { "database/web": "abc" });
    assert.equal(f.engineReachable, false);
  });

  it("parses containers and matches images by tag", () => {
    const container = {
      Id: "c1", Name: "/mariadb", Image: "sha256:img", RestartCount: 2,
      Config: { Image: "lading/mariadb:1.0", Labels: { "lading.managed": "true" } },
      State: { Status: "running", Running: true, StartedAt: "t", Health: { Status: "healthy", Log: [{ Output: "ok\n" }] } },
    };
    const image = { Id: "sha256:img", RepoTags: ["lading/mariadb:1.0"], RepoDigests: [] };
    const out = ["@@engine", "up", "@@volumes", "mariadb", "@@objects", JSON.stringify(container), JSON.stringify(image), "@@files", "@@content", "", "@@end"].join("\n");
    const f = parseFacts(out, { paths: [], images: ["lading/mariadb:1.0", "lading/gone:1.0"], stateFile: "/x" });
    assert.equal(f.engineReachable, true);
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
  it("hashes files above the size limit instead of reading them, and always reads the state file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const small = join(dir, "small.cnf");
    const big = join(dir, "big.cnf");
    const state = join(dir, "state.json");
    writeFileSync(small, "ab\n");
    writeFileSync(big, "0123456789\n");
    writeFileSync(state, JSON.stringify({ registrations: { x: "y" } }));
    const req = { paths: [big, small], images: [], stateFile: state };
    const argv = factsArgv(req);
    argv[4] = "5"; // the size limit: small.cnf is below it, big.cnf and the state file above
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${noEngineBin()}:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    const b = f.files.get(big)!;
    assert.ok(b.exists && !b.content);
    assert.equal(b.exists && b.sha256, createHash("sha256").update("0123456789\n").digest("hex"));
    assert.equal(b.exists && b.size, 11);
    const s = f.files.get(small)!;
    assert.equal(s.exists && s.content?.toString(), "ab\n");
    assert.deepEqual(f.state.registrations, { x: "y" });
  });

  it("takes a directory for a missing file and follows a symbolic link", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const target = join(dir, "target.cnf");
    writeFileSync(target, "t=1\n");
    chmodSync(target, 0o600);
    const link = join(dir, "link.cnf");
    symlinkSync(target, link);
    const sub = join(dir, "sub.cnf");
    mkdirSync(sub);
    const req = { paths: [sub, link], images: [], stateFile: join(dir, "none.json") };
    const argv = factsArgv(req);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${noEngineBin()}:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    assert.deepEqual(f.files.get(sub), { exists: false });
    const l = f.files.get(link)!;
    assert.equal(l.exists && l.mode, "0600");
    assert.equal(l.exists && l.content?.toString(), "t=1\n");
    assert.deepEqual(f.state, {});
  });

  it("asks one docker inspect for the managed containers and the normalized image references", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls.log");
    const container = {
      Id: "c1", Name: "/memcached", Image: "sha256:img", Config: { Image: "memcached", Labels: { "lading.managed": "true" } },
      State: { Status: "running", Running: true, StartedAt: "t" },
    };
    const image = { Id: "sha256:img", RepoTags: ["memcached:latest"], RepoDigests: [] };
    // A stand-in docker CLI that logs its arguments and answers like the real one.
    writeFileSync(join(bin, "docker"), [
      "#!/bin/sh",
      `echo "$*" >> '${calls}'`,
      "case $1 in",
      "  volume) echo memcached-data ;;",
      "  ps) echo c1 ;;",
      `  inspect) printf '%s\\n' '${JSON.stringify(container)}' '${JSON.stringify(image)}' ;;`,
      "esac",
      "",
    ].join("\n"));
    chmodSync(join(bin, "docker"), 0o755);
    const file = join(dir, "memcached.conf");
    writeFileSync(file, "m=1\n");
    const run = (volumes?: boolean) => {
      writeFileSync(calls, "");
      const req = { paths: [file], images: ["memcached", "memcached"], stateFile: join(dir, "none.json"), volumes };
      const argv = factsArgv(req);
      const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}` } });
      return { f: parseFacts(out, req), calls: readFileSync(calls, "utf8").split("\n").filter(Boolean).sort() };
    };
    const { f, calls: made } = run();
    assert.equal(f.engineReachable, true);
    assert.ok(f.volumes.has("memcached-data"));
    assert.equal(f.containers.get("memcached")?.imageRef, "memcached");
    assert.equal(f.images.get("memcached")?.id, "sha256:img");
    assert.equal(f.files.get(file)!.exists, true);
    assert.deepEqual(made, ["inspect --format {{json .}} c1 memcached:latest", "ps --all --quiet --filter label=lading.managed=true", "volume ls --quiet"]);
    // Without volumes (a plan): two docker calls in all.
    const lean = run(false);
    assert.equal(lean.f.volumes.size, 0);
    assert.equal(lean.f.containers.size, 1);
    assert.deepEqual(lean.calls, ["inspect --format {{json .}} c1 memcached:latest", "ps --all --quiet --filter label=lading.managed=true"]);
  });

  it("refuses file contents that do not add up to the listed sizes", () => {
    const out = ["@@engine", "NONE", "@@files", "F 644 root:root 0:0 5 /a", "@@content", Buffer.from("abc").toString("base64"), "@@end"].join("\n");
    assert.throws(() => parseFacts(out, { paths: ["/a"], images: [], stateFile: "/x" }), /changed while they were read/);
  });
});
