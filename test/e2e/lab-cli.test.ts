// The `lading lab` command line: exit codes, messages and JSON output of the real binary.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { ensureLab } from "./lab-fixture.js";

const lading = join(packageRoot, "bin", "lading.js");

function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe("lading lab (command line)", function () {
  this.timeout(600_000);

  it("refuses to run `lab up` as a non-root user, saying how to fix it", async function () {
    // Run as `nobody`, which must be able to read this checkout (CI may clone into a 0700 folder).
    const readable = await run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r", lading]);
    if (readable.code !== 0) this.skip();
    const r = await run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, lading, "lab", "up"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^lab: the lab must run as root .*sudo lading lab up/m);
  });

  it("prints the lab state as JSON and JSON event lines", async () => {
    await ensureLab();
    const status = await run([process.execPath, lading, "lab", "status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const state = JSON.parse(status.stdout) as { up: boolean; hosts: { name: string; address: string }[] };
    assert.deepEqual(state.hosts.slice(0, 3).map((h) => [h.name, h.address]), [
      ["lab1", "10.98.0.11"],
      ["lab2", "10.98.0.12"],
      ["lab3", "10.98.0.13"],
    ]);
    const up = await run([process.execPath, lading, "lab", "up", "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const lines = up.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.event !== undefined), "events");
    assert.ok("state" in (lines.at(-1) ?? {}), "the last line is the state");
  });

  it("runs a command in a host with `lab exec` and passes its exit code on", async () => {
    await ensureLab();
    const r = await run([process.execPath, lading, "lab", "exec", "lab2", "--", "hostname"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "lab2\n");
    const failing = await run([process.execPath, lading, "lab", "exec", "lab2", "--", "sh", "-c", "exit 7"]);
    assert.equal(failing.code, 7);
  });

  it("names the hosts when asked for an unknown one", async () => {
    await ensureLab();
    const r = await run([process.execPath, lading, "lab", "cut", "db1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no lab host named "db1" \(hosts: lab1, lab2, lab3/);
  });
});
