// The same transport against a real OpenSSH sshd on 127.0.0.1, when /usr/sbin/sshd is installed
// (skipped otherwise): real login shell, real channel-close semantics, real signal handling.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, createConnection, type AddressInfo } from "node:net";
import { join } from "node:path";
import { HostError } from "../../../src/errors.js";
import { connect } from "../../../src/transport/connect.js";
import { SshTransport } from "../../../src/transport/ssh-transport.js";
import type { ConnectOptions, SshTarget, Transport } from "../../../src/transport/transport.js";
import { makeClientFiles } from "./ssh-test-server.js";

const SSHD = "/usr/sbin/sshd";

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("SSH transport against a real OpenSSH sshd", function () {
  this.timeout(60_000);
  const files = makeClientFiles();
  let sshd: ChildProcess | undefined;
  let target: SshTarget;
  let opts: ConnectOptions;
  let transport: Transport;

  before(async function () {
    if (!existsSync(SSHD) || process.getuid?.() !== 0) this.skip();
    delete process.env["SSH_AUTH_SOCK"];
    const port = await freePort();
    const hostKey = join(files.dir, "ssh_host_ed25519_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    writeFileSync(join(files.dir, "authorized_keys"), files.key.public + "\n");
    const config = join(files.dir, "sshd_config");
    writeFileSync(
      config,
      [
        "ListenAddress 127.0.0.1", `Port ${port}`, `HostKey ${hostKey}`, `PidFile ${join(files.dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(files.dir, "authorized_keys")}`, "StrictModes no", "PermitRootLogin prohibit-password",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "",
      ].join("\n"),
    );

    // sshd refuses to start without its privilege separation directory, which only its init script makes.
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    sshd = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: "ignore" });
    await waitForPort(port, 10_000);
    writeFileSync(files.knownHostsFile, `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, "utf8")}`);
    target = { name: "real-sshd", address: "127.0.0.1", port, user: "root", key: files.keyFile, connection: "ssh", become: false };
    opts = { knownHostsFile: files.knownHostsFile, sshConfigFile: "/nonexistent/config" };
    transport = await connect(target, opts);
  });

  after(async () => {
    await transport?.close();
    if (sshd?.pid !== undefined) sshd.kill("SIGTERM");
    rmSync(files.dir, { recursive: true, force: true });
  });

  it("runs commands with nasty arguments through the login shell, one connection", async () => {
    const nasty = ["it's", "$(echo pwned)", "`id`", "a\nb", ";|&", "*", "héllo ✓", "-n", "", "!!", "\\"];
    for (const value of nasty) assert.equal((await transport.exec(["printf", "%s", value])).stdout, value);
    const failed = await transport.exec(["sh", "-c", "echo e >&2; exit 3"]);
    assert.deepEqual([failed.code, failed.stderr], [3, "e\n"]);
    assert.equal(transport.stats.connections, 1);
  });

  it("measures round trips", async () => {
    const runs = 10;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await transport.exec(["true"]);
    const perExec = (performance.now() - started) / runs;
    console.log(`      real sshd on loopback: ${perExec.toFixed(1)} ms per exec round trip`);
    // No bound asserted: the machine is shared, and sshd's per-session cost (fork, login shell) dominates.
    assert.equal(transport.stats.connections, 1);
  });

  it("kills a timed-out command with a signal", async () => {
    await assert.rejects(transport.exec(["sleep", "30"], { timeoutMs: 300 }), /timed out after 0\.3s/);
    assert.equal((await transport.exec(["echo", "alive"])).stdout, "alive\n");
  });

  it("putFile survives a dropped connection: the old file stays whole", async () => {
    const dir = join(files.dir, "drop");
    const path = join(dir, "big.bin");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, "old content\n");
    await transport.putFile(join(dir, "small.conf"), "x=1\n", { mode: "0644" });
    assert.equal(readFileSync(join(dir, "small.conf"), "utf8"), "x=1\n");
    const own = (await connect(target, opts)) as SshTransport;
    const writing = own.putFile(path, Buffer.alloc(64 * 1024 * 1024, 0x62), { mode: "0644" });
    const temps = (): string[] => readdirSync(dir).filter((f) => f.includes(".lading-tmp."));
    const deadline = Date.now() + 10_000;
    while (temps().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    own.destroy();
    await assert.rejects(writing, HostError);
    const cleaned = Date.now() + 10_000;
    while (temps().length > 0 && Date.now() < cleaned) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(readFileSync(path, "utf8"), "old content\n");
    assert.deepEqual(temps(), []);
    await own.close();
  });
});
