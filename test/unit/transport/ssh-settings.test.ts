import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { connect } from "../../../src/transport/connect.js";
import { ConnectionPool, forEachHost } from "../../../src/transport/connection-pool.js";
import { parseProxyJump, readSshConfig, resolveSshSettings } from "../../../src/transport/ssh-settings.js";
import type { SshTarget } from "../../../src/transport/transport.js";
import { knownHostsLine, makeClientFiles, startTestServer, type TestServer } from "./ssh-test-server.js";

const CONFIG = `
# global default, applies last
ServerAliveInterval 7

Host web-* !web-admin
  HostName 10.98.0.%h
  User deploy
  Port 2222
  IdentityFile ~/.ssh/deploy_key
  ConnectTimeout 4

Host 10.98.0.*
  User fromaddress
  UserKnownHostsFile ~/.ssh/lab_known_hosts /etc/ssh/lab_known_hosts

Host behind
  HostName 10.98.0.13
  ProxyJump ops@bastion.example:2200,inner
  IdentitiesOnly yes
`;

function configFile(dir: string, text: string): string {
  const file = join(dir, "config");
  writeFileSync(file, text);
  return file;
}

describe("ssh config", () => {
  const files = makeClientFiles();
  after(() => rmSync(files.dir, { recursive: true, force: true }));

  it("applies Host wildcards, HostName, User, Port, IdentityFile and timeouts", () => {
    const config = readSshConfig(configFile(files.dir, CONFIG));
    const s = resolveSshSettings({ name: "web-1", connection: "ssh", become: false }, config);
    // %h expands to the name typed, like OpenSSH
    assert.equal(s.hostname, "10.98.0.web-1");
    assert.equal(s.user, "deploy");
    assert.equal(s.port, 2222);
    assert.deepEqual(s.identityFiles, [join(homedir(), ".ssh", "deploy_key")]);
    assert.equal(s.connectTimeoutMs, 4000);
    assert.equal(s.keepaliveIntervalMs, 7000);
    assert.deepEqual(s.jumps, []);
  });

  it("lets the target's own fields win, and matches Host patterns against the address too", () => {
    const config = readSshConfig(configFile(files.dir, CONFIG));
    const s = resolveSshSettings(
      { name: "lab2", address: "10.98.0.12", port: 22, key: "/keys/id", connection: "ssh", become: false },
      config,
      { connectTimeoutMs: 1500 },
    );
    assert.deepEqual([s.hostname, s.port, s.user], ["10.98.0.12", 22, "fromaddress"]);
    assert.deepEqual(s.identityFiles, ["/keys/id"]);
    assert.deepEqual(s.knownHostsFiles, [join(homedir(), ".ssh", "lab_known_hosts"), "/etc/ssh/lab_known_hosts"]);
    assert.equal(s.connectTimeoutMs, 1500);
  });

  it("honours negated patterns", () => {
    const config = readSshConfig(configFile(files.dir, CONFIG));
    const s = resolveSshSettings({ name: "web-admin", connection: "ssh", become: false }, config);
    assert.equal(s.hostname, "web-admin");
    assert.equal(s.port, 22);
  });

  it("reads ProxyJump chains, each hop with its own settings", () => {
    assert.deepEqual(parseProxyJump("ops@bastion:2200,inner,[::1]:22"), [
      { host: "bastion", user: "ops", port: 2200 },
      { host: "inner", user: undefined, port: undefined },
      { host: "::1", user: undefined, port: 22 },
    ]);
    assert.deepEqual(parseProxyJump("none"), []);
    const config = readSshConfig(configFile(files.dir, CONFIG));
    const s = resolveSshSettings({ name: "behind", connection: "ssh", become: false }, config);
    assert.equal(s.identitiesOnly, true);
    assert.deepEqual(s.jumps.map((j) => [j.user, j.hostname, j.port]), [["ops", "bastion.example", 2200], [s.jumps[1]!.user, "inner", 22]]);
  });

  it("treats a missing config file as empty", () => {
    const s = resolveSshSettings({ name: "x", address: "10.0.0.1", connection: "ssh", become: false }, readSshConfig("/nonexistent/ssh/config"));
    assert.deepEqual([s.hostname, s.port], ["10.0.0.1", 22]);
  });
});

describe("ssh config applied on connect, ProxyJump through a bastion, connection pool", function () {
  this.timeout(30_000);
  const files = makeClientFiles();
  let target: TestServer;
  let bastion: TestServer;
  let sshConfigFile: string;

  before(async () => {
    delete process.env["SSH_AUTH_SOCK"];
    target = await startTestServer({ clientPublicKey: files.key.public });
    bastion = await startTestServer({ clientPublicKey: files.key.public });
    writeFileSync(files.knownHostsFile, knownHostsLine(target) + knownHostsLine(bastion));
    sshConfigFile = configFile(
      files.dir,
      `Host app-*\n  HostName 127.0.0.1\n  Port ${target.port}\n  User deploy\n  IdentityFile ${files.keyFile}\n` +
        `Host hidden-*\n  HostName 127.0.0.1\n  Port ${target.port}\n  User root\n  IdentityFile ${files.keyFile}\n  ProxyJump jump@127.0.0.1:${bastion.port}\n`,
    );
  });
  after(async () => {
    await target.close();
    await bastion.close();
    rmSync(files.dir, { recursive: true, force: true });
  });

  it("connects with HostName, Port, User and IdentityFile taken from the config", async () => {
    const transport = await connect({ name: "app-1", connection: "ssh", become: false }, { sshConfigFile, knownHostsFile: files.knownHostsFile });
    assert.equal((await transport.exec(["echo", "via config"])).stdout, "via config\n");
    assert.equal(target.users.at(-1), "deploy");
    await transport.close();
  });

  it("reaches a host through the bastion's direct-tcpip channel", async () => {
    const forwardsBefore = bastion.forwards;
    const transport = await connect({ name: "hidden-1", connection: "ssh", become: false }, { sshConfigFile, knownHostsFile: files.knownHostsFile });
    assert.equal((await transport.exec(["printf", "%s", "behind the bastion"])).stdout, "behind the bastion");
    assert.equal(bastion.forwards, forwardsBefore + 1);
    assert.equal(bastion.users.at(-1), "jump");
    await transport.close();
  });

  it("opens one connection per host, shares the bastion, and reports unreachable hosts", async () => {
    const pool = new ConnectionPool({ sshConfigFile, knownHostsFile: files.knownHostsFile }, 2);
    const bastionConnectionsBefore = bastion.connections;
    const targets: SshTarget[] = [
      { name: "hidden-1", connection: "ssh", become: false },
      { name: "hidden-2", connection: "ssh", become: false },
      { name: "hidden-3", connection: "ssh", become: false },
      { name: "app-1", connection: "ssh", become: false },
      { name: "down", address: "127.0.0.1", port: 1, user: "root", key: files.keyFile, connection: "ssh", become: false },
    ];
    try {
      const { transports, failures } = await pool.openAll(targets);
      assert.deepEqual([...transports.keys()], ["hidden-1", "hidden-2", "hidden-3", "app-1"]);
      assert.deepEqual(failures.map((f) => [f.host, f.error.message]), [["down", "down: cannot connect to 127.0.0.1:1: connection refused"]]);
      assert.equal(bastion.connections, bastionConnectionsBefore + 1, "one bastion connection for all hosts behind it");
      const results = await forEachHost([...transports.values()], 2, async (t) => {
        for (let i = 0; i < 5; i++) await t.exec(["true"]);
        return t.host;
      });
      assert.deepEqual(results.map((r) => r.status === "fulfilled" && r.value), ["hidden-1", "hidden-2", "hidden-3", "app-1"]);
      // opening again reuses the open connections
      await pool.openAll(targets.slice(0, 4));
      for (const [, stats] of pool.stats()) assert.deepEqual(stats, { connections: 1, execs: 5 });
    } finally {
      await pool.closeAll();
    }
  });

  it("forEachHost never runs more than `forks` at once", async () => {
    let running = 0;
    let peak = 0;
    const results = await forEachHost([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      if (n === 4) throw new Error("four failed");
      return n * 2;
    });
    assert.equal(peak, 3);
    assert.equal(results.filter((r) => r.status === "rejected").length, 1);
    assert.deepEqual(results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<number>).value), [2, 4, 6, 10, 12, 14]);
  });
});
