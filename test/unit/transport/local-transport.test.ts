import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostError } from "../../../src/errors.js";
import { connect } from "../../../src/transport/connect.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { permissionPlan, PutFilesError, writeFileAtomically, writeFilesAtomically } from "../../../src/transport/put-file.js";

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

  it("streams a command's output as it arrives, with its exit code", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const out: string[] = [];
    const s = await transport.stream(["sh", "-c", "echo one; read x; echo $x; exit 4"], { onStdout: (c) => out.push(c.toString()) });
    s.write("two\n");
    assert.deepEqual(await s.done, { code: 4 });
    assert.equal(out.join(""), "one\ntwo\n");
    const long = await transport.stream(["sleep", "30"], { onStdout: () => undefined });
    long.stop();
    assert.equal((await long.done).signal, "SIGTERM");
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
    // argv: sh -c SCRIPT sh count dir name mask chmod chown size tag
    assert.deepEqual(seen.map((a) => a[9]), ["", "root", "root:42400", ""]);
  });

  it("writes several files in one round trip, each whole with its mode, binary and empty ones included", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const files = [
      { path: join(dir, "many", "a.conf"), content: "a=1\n", opts: { mode: "0600" } },
      { path: join(dir, "many", "deep", "b.bin"), content: binary, opts: { mode: "0644" } },
      { path: join(dir, "many", "empty"), content: "", opts: { mode: "0640" } },
      { path: join(dir, "many", "run.sh"), content: "#!/bin/sh\necho hi\n", opts: { mode: "0755" } },
    ];
    const execsBefore = transport.stats.execs;
    await transport.putFiles(files);
    assert.equal(transport.stats.execs - execsBefore, 1);
    assert.equal(readFileSync(files[0]!.path, "utf8"), "a=1\n");
    assert.ok(readFileSync(files[1]!.path).equals(binary));
    assert.equal(readFileSync(files[2]!.path, "utf8"), "");
    assert.equal(readFileSync(files[3]!.path, "utf8"), "#!/bin/sh\necho hi\n");
    assert.deepEqual(files.map((f) => (statSync(f.path).mode & 0o777).toString(8)), ["600", "644", "640", "755"]);
    assert.deepEqual(readdirSync(join(dir, "many")).sort(), ["a.conf", "deep", "empty", "run.sh"]);
  });

  it("creates missing directories 0755 even after a 0600 file (the service's user must reach the files in them)", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const d = join(dir, "dirs");
    await transport.putFiles([
      { path: join(d, "secret"), content: "s\n", opts: { mode: "0600" } },
      { path: join(d, "keys", "0"), content: "k\n", opts: { mode: "0600" } },
    ]);
    assert.equal((statSync(join(d, "keys")).mode & 0o777).toString(8), "755");
    assert.equal((statSync(join(d, "keys", "0")).mode & 0o777).toString(8), "600");
  });

  it("several files: a cut-off stream leaves the files before in place, the cut one unchanged, no temporary file", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const d = join(dir, "cut");
    const files = ["one", "two", "three"].map((n) => ({ path: join(d, n), content: `${n} new\n`, opts: { mode: "0644" } }));
    await transport.putFiles(files.map((f) => ({ ...f, content: "old\n" })));
    // The connection drops in the middle of the second file's bytes.
    const cut: Parameters<typeof writeFilesAtomically>[0] = (argv, o) => transport.exec(argv, { ...o, stdin: Buffer.from(String(o?.stdin)).subarray(0, 12) });
    const err = await writeFilesAtomically(cut, "aio", files).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PutFilesError, String(err));
    assert.deepEqual(err.written, [files[0]!.path]);
    assert.equal(err.failed, files[1]!.path);
    assert.match(err.message, /^aio: cannot write .*\/two: received 4 of 8 bytes/);
    assert.deepEqual(files.map((f) => readFileSync(f.path, "utf8")), ["one new\n", "old\n", "old\n"]);
    assert.deepEqual(readdirSync(d).sort(), ["one", "three", "two"]);
  });

  it("several files: a write that fails stops there and names the files written before it", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const d = join(dir, "stop");
    writeFileSync(join(dir, "not-a-dir"), "");
    const files = [
      { path: join(d, "first"), content: "1", opts: { mode: "0644" } },
      { path: join(dir, "not-a-dir", "second"), content: "2", opts: { mode: "0644" } },
      { path: join(d, "third"), content: "3", opts: { mode: "0644" } },
    ];
    const err = await transport.putFiles(files).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PutFilesError && err instanceof HostError, String(err));
    assert.deepEqual([err.written, err.failed], [[files[0]!.path], files[1]!.path]);
    assert.deepEqual(readdirSync(d), ["first"]);
  });

  it("several files then a command, in one round trip: the command runs once every file is in place, never after a failed write", async () => {
    const transport = new LocalTransport({ host: "aio", become: false });
    const d = join(dir, "then");
    const files = [
      { path: join(d, "a"), content: "a\n", opts: { mode: "0644" } },
      { path: join(d, "b"), content: "b\n", opts: { mode: "0644" } },
    ];
    const execsBefore = transport.stats.execs;
    const r = await transport.putFiles(files, { then: ["sh", "-c", 'cat "$1" "$2"; echo oops >&2; exit 7', "sh", files[0]!.path, files[1]!.path] });
    assert.equal(transport.stats.execs - execsBefore, 1);
    assert.deepEqual([r?.code, r?.stdout, r?.stderr.trim()], [7, "a\nb\n", "oops"]);
    // A write that fails: the command never runs.
    writeFileSync(join(dir, "blocker"), "");
    const marker = join(dir, "ran");
    const err = await transport.putFiles([{ path: join(dir, "blocker", "x"), content: "x", opts: { mode: "0644" } }], { then: ["touch", marker] }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PutFilesError, String(err));
    assert.equal(existsSync(marker), false);
  });
});
