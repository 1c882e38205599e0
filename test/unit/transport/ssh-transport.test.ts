import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server as NetServer } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { HostError } from "../../../src/errors.js";
import { cleanupTempFiles } from "../../../src/transport/cleanup-temp-files.js";
import { connect } from "../../../src/transport/connect.js";
import { SshTransport } from "../../../src/transport/ssh-transport.js";
import type { ConnectOptions, SshTarget, Transport } from "../../../src/transport/transport.js";
import { knownHostsLine, makeClientFiles, startTestServer, type TestServer } from "./ssh-test-server.js";

const NO_SSH_CONFIG = "/nonexistent/lading-test-ssh-config";

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("SSH transport against a real ssh2 server", function () {
  this.timeout(30_000);
  const files = makeClientFiles();
  let server: TestServer;
  let target: SshTarget;
  let opts: ConnectOptions;
  let transport: Transport;
  const savedAgent = process.env["SSH_AUTH_SOCK"];

  before(async () => {
    delete process.env["SSH_AUTH_SOCK"];
    server = await startTestServer({ clientPublicKey: files.key.public });
    writeFileSync(files.knownHostsFile, knownHostsLine(server));
    target = { name: "lab-test", address: "127.0.0.1", port: server.port, user: "root", key: files.keyFile, connection: "ssh", become: false };
    opts = { knownHostsFile: files.knownHostsFile, sshConfigFile: NO_SSH_CONFIG };
    transport = await connect(target, opts);
  });

  after(async () => {
    await transport?.close();
    await server?.close();
    rmSync(files.dir, { recursive: true, force: true });
    if (savedAgent !== undefined) process.env["SSH_AUTH_SOCK"] = savedAgent;
  });

  describe("stream", () => {
    it("delivers output as it arrives, takes stdin, reports the exit code, and stops on request", async () => {
      const chunks: string[] = [];
      const s = await transport.stream(["sh", "-c", 'echo first; read line; echo "got $line" >&2; exit 3'], { onStdout: (c) => chunks.push(c.toString()), onStderr: (c) => chunks.push(`err:${c.toString()}`) });
      await waitFor(() => chunks.join("").includes("first"), "the first line before the command ends");
      s.write("hello\n");
      assert.deepEqual(await s.done, { code: 3 });
      assert.deepEqual(chunks, ["first\n", "err:got hello\n"]);
      const forever = await transport.stream(["sh", "-c", "echo up; exec sleep 60"], { onStdout: () => undefined });
      forever.stop();
      const ended = await forever.done;
      assert.notEqual(ended.code, 0, "stopped, not finished");
    });

    it("ends a stopped stream at once even when the command on the host does not end", async () => {
      // Ignored signals survive exec: this sleep ignores the TERM that stop() sends, as an idle docker logs -f
      // on pipes outlives its closed channel.
      const stubborn = await transport.stream(["sh", "-c", "trap '' TERM; exec sleep 5"], { onStdout: () => undefined });
      const t0 = Date.now();
      stubborn.stop();
      assert.deepEqual(await stubborn.done, { code: null, signal: "HUP" });
      assert.ok(Date.now() - t0 < 1000, "not waiting for the command");
    });

    it("asks for a PTY of the given size and passes window changes on", async () => {
      const s = await transport.stream(["sh", "-c", "sleep 0.3"], { pty: { rows: 40, cols: 120, term: "xterm" }, onStdout: () => undefined });
      s.resize(50, 132);
      await s.done;
      assert.deepEqual(server.ptys.slice(-2), [{ rows: 40, cols: 120, term: "xterm" }, { rows: 50, cols: 132 }]);
    });

    it("rejects with HostError when the connection is lost under a running stream", async () => {
      const own = (await connect(target, opts)) as SshTransport;
      const s = await own.stream(["sleep", "30"], { onStdout: () => undefined });
      own.destroy();
      await assert.rejects(s.done, (err: unknown) => err instanceof HostError && /connection lost/.test(err.message));
      await assert.rejects(own.stream(["true"], { onStdout: () => undefined }), HostError);
      await own.close();
    });
  });

  describe("exec", () => {
    it("returns exit codes, stdout and stderr without rejecting on failure", async () => {
      const ok = await transport.exec(["sh", "-c", "echo out; echo err >&2; exit 0"]);
      assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "out\n", "err\n"]);
      const failed = await transport.exec(["sh", "-c", "echo nope >&2; exit 42"]);
      assert.deepEqual([failed.code, failed.stderr], [42, "nope\n"]);
      assert.ok(failed.durationMs >= 0);
    });

    it("feeds stdin to the command", async () => {
      const result = await transport.exec(["cat"], { stdin: "line one\nline two\n" });
      assert.equal(result.stdout, "line one\nline two\n");
      const binary = Buffer.from([0, 1, 2, 255, 10]);
      const counted = await transport.exec(["wc", "-c"], { stdin: binary });
      assert.equal(counted.stdout.trim(), "5");
    });

    it("delivers nasty argument values byte for byte", async () => {
      const nasty = ["it's", `"q"`, "$(echo pwned)", "`id`", "a\nb", ";|&", "*", "héllo ✓", "-n", "", "\\"];
      for (const value of nasty) {
        const result = await transport.exec(["printf", "%s", value]);
        assert.equal(result.stdout, value);
      }
    });

    it("round-trips any argument through ssh and sh -c (property)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !s.includes("\0")), async (value) => {
          const result = await transport.exec(["printf", "%s", value]);
          assert.equal(result.stdout, value);
        }),
        { numRuns: 60 },
      );
    });

    it("reuses one connection for every command and counts round trips", async () => {
      const before = transport.stats.execs;
      const connections = server.connections;
      await Promise.all(Array.from({ length: 20 }, (_, i) => transport.exec(["echo", String(i)])));
      assert.equal(transport.stats.connections, 1);
      assert.equal(transport.stats.execs, before + 20);
      assert.equal(server.connections, connections, "no new connection for 20 commands");
    });

    it("kills a command that outlives its timeout and keeps the connection usable", async () => {
      const started = Date.now();
      await assert.rejects(transport.exec(["sleep", "30"], { timeoutMs: 300 }), (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.match(err.message, /lab-test: command timed out after 0\.3s: sleep 30/);
        return true;
      });
      assert.ok(Date.now() - started < 10_000);
      assert.equal((await transport.exec(["echo", "still here"])).stdout, "still here\n");
    });
  });

  describe("putFile", () => {
    it("writes atomically with the mode, creating the parent directory", async () => {
      const path = join(files.dir, "etc", "app", "app.conf");
      await transport.putFile(path, "secret=1\n", { mode: "0640" });
      assert.equal(readFileSync(path, "utf8"), "secret=1\n");
      assert.equal(statSync(path).mode & 0o777, 0o640);
      await transport.putFile(path, Buffer.from("secret=2\n"), { mode: "600", owner: "root:root" });
      assert.equal(readFileSync(path, "utf8"), "secret=2\n");
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(join(files.dir, "etc", "app")), ["app.conf"]);
      // the content went over stdin, never into the command line
      assert.ok(!server.commands.some((c) => c.includes("secret=")));
    });

    it("keeps the old file whole when the connection drops mid-write", async function () {
      this.timeout(90_000); // 64 MiB through a loaded machine
      const dir = join(files.dir, "drop");
      const path = join(dir, "big.bin");
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, "old content\n");
      const own = (await connect(target, opts)) as SshTransport;
      const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
      const writing = own.putFile(path, big, { mode: "0644" });
      const tempFiles = (): string[] => readdirSync(dir).filter((f) => f.includes(".lading-tmp."));
      await waitFor(() => tempFiles().some((f) => statSync(join(dir, f)).size > 0), "the temporary file to grow");
      own.destroy();
      await assert.rejects(writing, (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.match(err.message, /^lab-test: connection lost while running sh -c <script> sh 1 \S+drop big\.bin 133 '' '' 67108864 [0-9a-f]{12}/);
        return true;
      });
      await waitFor(() => server.running === 0, "the remote write to end", 60_000);
      assert.equal(readFileSync(path, "utf8"), "old content\n");
      assert.deepEqual(tempFiles(), [], "the cut-off temporary file is removed");
      await own.close();
    });

    it("removes stale temporary files left by a killed write", async () => {
      const dir = join(files.dir, "stale");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, ".x.conf.lading-tmp.dead01"), "half");
      writeFileSync(join(dir, ".y.conf.lading-tmp.dead02"), "half");
      await transport.putFile(join(dir, "x.conf"), "whole\n", { mode: "0644" });
      assert.deepEqual(readdirSync(dir).sort(), [".y.conf.lading-tmp.dead02", "x.conf"]);
      assert.equal(await cleanupTempFiles(transport, dir), 1);
      assert.deepEqual(readdirSync(dir), ["x.conf"]);
    });

    it("rejects relative paths and bad modes before anything runs", async () => {
      await assert.rejects(transport.putFile("relative.conf", "x", { mode: "0644" }), /absolute/);
      await assert.rejects(transport.putFile("/tmp/x.conf", "x", { mode: "rw-r--r--" }), /octal/);
    });
  });

  describe("become", () => {
    const sudoDir = join(files.dir, "fake-sudo");
    before(() => {
      mkdirSync(sudoDir, { recursive: true });
      // A stand-in sudo: refuses when asked to, otherwise checks it got `-n --` and runs the rest.
      writeFileSync(
        join(sudoDir, "sudo"),
        `#!/bin/sh\nif [ -e "${sudoDir}/refuse" ]; then echo "sudo: a password is required" >&2; exit 1; fi\n` +
          `[ "$1" = "-n" ] && [ "$2" = "--" ] || exit 99\nshift 2\nexec "$@"\n`,
        { mode: 0o755 },
      );
      server.env = { PATH: `${sudoDir}:${process.env["PATH"]}` };
    });
    after(() => {
      server.env = {};
    });

    it("wraps argv in sudo -n -- for a non-root user", async () => {
      const deploy = await connect({ ...target, user: "deploy", become: true }, opts);
      try {
        const result = await deploy.exec(["printf", "%s", "it's me"]);
        assert.equal(result.stdout, "it's me");
        assert.equal(server.commands.at(-1), `sudo -n -- printf %s 'it'\\''s me'`);
        await deploy.exec(["true"], { become: false });
        assert.equal(server.commands.at(-1), "true");
      } finally {
        await deploy.close();
      }
    });

    it("does not wrap for root", async () => {
      const root = await connect({ ...target, become: true }, opts);
      await root.exec(["true"]);
      assert.equal(server.commands.at(-1), "true");
      await root.close();
    });

    it("says clearly when sudo needs a password", async () => {
      writeFileSync(join(sudoDir, "refuse"), "");
      const deploy = await connect({ ...target, user: "deploy", become: true }, opts);
      try {
        await assert.rejects(deploy.exec(["true"]), (err: unknown) => {
          assert.ok(err instanceof HostError);
          assert.equal(err.message, "lab-test: user deploy cannot sudo without a password on lab-test: sudo: a password is required");
          return true;
        });
      } finally {
        rmSync(join(sudoDir, "refuse"));
        await deploy.close();
      }
    });
  });

  describe("ssh-agent", () => {
    let agent: ChildProcess | undefined;
    after(() => {
      if (agent?.pid !== undefined) agent.kill("SIGTERM");
      delete process.env["SSH_AUTH_SOCK"];
    });

    it("authenticates with a key held by ssh-agent (SSH_AUTH_SOCK)", async function () {
      const socket = join(files.dir, "agent.sock");
      agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
      await waitFor(() => existsSync(socket), "ssh-agent to listen");
      execFileSync("ssh-add", [files.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: "ignore" });
      process.env["SSH_AUTH_SOCK"] = socket;
      const noKeys = join(files.dir, "config-no-keys");
      writeFileSync(noKeys, "IdentityFile /nonexistent/key\n");
      const viaAgent = await connect({ ...target, key: undefined }, { ...opts, sshConfigFile: noKeys });
      assert.equal((await viaAgent.exec(["echo", "agent"])).stdout, "agent\n");
      await viaAgent.close();
      delete process.env["SSH_AUTH_SOCK"];
      await assert.rejects(connect({ ...target, key: undefined }, { ...opts, sshConfigFile: noKeys }), /authentication failed for user root; tried no key/);
    });
  });

  describe("connection failures", () => {
    it("reports a refused port clearly", async () => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1");
      await new Promise((resolve) => probe.once("listening", resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      await assert.rejects(connect({ ...target, port }, opts), (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.equal(err.message, `lab-test: cannot connect to 127.0.0.1:${port}: connection refused`);
        return true;
      });
    });

    it("times out on a server that never speaks", async () => {
      const silent: NetServer = createServer(() => undefined);
      silent.listen(0, "127.0.0.1");
      await new Promise((resolve) => silent.once("listening", resolve));
      const port = (silent.address() as AddressInfo).port;
      try {
        await assert.rejects(connect({ ...target, port }, { ...opts, connectTimeoutMs: 300 }), /cannot connect to 127\.0\.0\.1:\d+: timed out after 0\.3s/);
      } finally {
        silent.close();
        // the silent server holds the accepted socket open; closing the listener is enough for the test
      }
    });

    it("names the key it tried when authentication fails", async () => {
      const other = makeClientFiles();
      try {
        await assert.rejects(connect({ ...target, key: other.keyFile }, opts), (err: unknown) => {
          assert.ok(err instanceof HostError);
          assert.match(err.message, new RegExp(`authentication failed for user root; tried key ${other.keyFile}`));
          return true;
        });
      } finally {
        rmSync(other.dir, { recursive: true, force: true });
      }
    });

    it("rejects commands after the connection is lost", async () => {
      const own = (await connect(target, opts)) as SshTransport;
      own.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await assert.rejects(own.exec(["true"]), (err: unknown) => err instanceof HostError && /cannot run true/.test(err.message));
      await own.close();
    });
  });
});
