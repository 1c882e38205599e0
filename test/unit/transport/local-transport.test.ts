import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostError } from "../../../src/errors.js";
import { connect } from "../../../src/transport/connect.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";

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
});
