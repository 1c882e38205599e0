import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostError } from "../../../src/errors.js";
import { connect } from "../../../src/transport/connect.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { permissionPlan, writeFileAtomically } from "../../../src/transport/put-file.js";

describe("local transport", function () {
  this.timeout(10_000);
  const dir = mkdtempSync(join(tmpdir(), "lading-local-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is what connect returns for connection: local", async () => {
    const transport = await connect({ name: "aio", connection: "local", become: false });
    assert.ok(transport instanceof LocalTransport);
    assert.equal(transport.host, "aio");
    assert.equal(transport.stats.connections, 0);
  });

  it("runs argv without a shell, with stdin, exit codes and stderr", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const echoed = await transport.exec(["printf", "%s", "$(id) `x` ; | & *"]);
    assert.equal(echoed.stdout, "$(id) `x` ; | & *");
    assert.equal((await transport.exec(["cat"], { stdin: "in\n" })).stdout, "in\n");
    const failed = await transport.exec(["sh", "-c", "echo bad >&2; exit 7"]);
    assert.deepEqual([failed.code, failed.stderr], [7, "bad\n"]);
    const missing = await transport.exec(["lading-no-such-command"]);
    assert.equal(missing.code, 127);
    assert.equal(transport.stats.execs, 4);
  });

  it("kills a command and its children at the timeout", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const started = Date.now();
    await assert.rejects(transport.exec(["sh", "-c", "sleep 30; echo late"], { timeoutMs: 200 }), (err: unknown) => {
      assert.ok(err instanceof HostError);
      assert.match(err.message, /^aio: command timed out after 0\.2s/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000);
  });

  it("writes files atomically with their mode and cleans stale temporary files", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const path = join(dir, "sub", "conf.cnf");
    writeFileSync(join(dir, ".conf.cnf.lading-tmp.dead"), "x");
    await transport.putFile(path, "a=1\n", { mode: "0600" });
    assert.equal(readFileSync(path, "utf8"), "a=1\n");
    assert.equal(statSync(path).mode & 0o777, 0o600);
    writeFileSync(join(dir, "sub", ".conf.cnf.lading-tmp.dead"), "half");
    await transport.putFile(path, Buffer.from("a=2\n"), { mode: "0644" });
    assert.deepEqual(readdirSync(join(dir, "sub")), ["conf.cnf"]);
    assert.equal(readFileSync(path, "utf8"), "a=2\n");
    assert.equal(statSync(path).mode & 0o777, 0o644);
  });
  it("gets every mode right, execute bits included, whatever the caller's umask", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const before = process.umask(0o002);
    try {
      for (const mode of ["0755", "0640", "0666", "600", "0700", "0444"]) {
        const path = join(dir, "modes", `f${mode}`);
        await transport.putFile(path, "x\n", { mode });
        assert.equal((statSync(path).mode & 0o777).toString(8), parseInt(mode, 8).toString(8), mode);
      }
    } finally {
      process.umask(before);
    }
  });

  it("plans the permission bits: a umask where it suffices, chmod for execute bits", () => {
    assert.deepEqual(permissionPlan("0644"), { mask: "133", chmod: "" });
    assert.deepEqual(permissionPlan("0640"), { mask: "137", chmod: "" });
    assert.deepEqual(permissionPlan("600"), { mask: "177", chmod: "" });
    assert.deepEqual(permissionPlan("0755"), { mask: "077", chmod: "0755" });
    assert.deepEqual(permissionPlan("0710"), { mask: "077", chmod: "0710" });
  });

  it("runs chown only when it changes the owner", async () => {
    const seen: string[][] = [];
    const exec = async (argv: readonly string[]) => {
      seen.push([...argv]);
      return { code: 0, stdout: "", stderr: "", durationMs: 0 };
    };
    await writeFileAtomically(exec, "h", "/etc/x.conf", "x", { mode: "0644", owner: "root" }, true);
    await writeFileAtomically(exec, "h", "/etc/x.conf", "x", { mode: "0644", owner: "root" }, false);
    await writeFileAtomically(exec, "h", "/etc/x.conf", "x", { mode: "0640", owner: "root:42400" }, true);
    await writeFileAtomically(exec, "h", "/etc/x.conf", "x", { mode: "0644" }, true);
    // argv: sh -c SCRIPT sh dir name mask chmod chown size tag
    assert.deepEqual(seen.map((a) => a[8]), ["", "root", "root:42400", ""]);
  });
});
