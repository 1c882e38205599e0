// The lab from the outside: real SSH with host key verification, each host's own filesystem, address and engine.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  labCutHost,
  labExec,
  labHealHost,
  labStartHost,
  labStatus,
  labStopHost,
  labUp,
  type LabEvent,
  type LabState,
} from "../../src/lab/index.js";
import { ensureLab, labImageDirs, sshRun } from "./lab-fixture.js";

/** Sends one line to a TCP service and returns what it answers first. */
function ask(address: string, port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port, timeout: 5000 });
    s.setEncoding("utf8");
    s.once("connect", () => s.write(line));
    s.once("data", (d: string) => {
      s.destroy();
      resolve(d);
    });
    s.once("timeout", () => {
      s.destroy();
      reject(new Error(`no answer from ${address}:${port}`));
    });
    s.once("error", reject);
  });
}

/** argv that connects to address:port from inside a host (bash's /dev/tcp), giving up after 3 s. */
function tcpProbe(address: string, port: number): string[] {
  return ["timeout", "3", "bash", "-c", 'exec 3<>"/dev/tcp/$0/$1"', address, String(port)];
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("lab (end to end)", function () {
  this.timeout(600_000);
  let state: LabState;

  before(async () => {
    state = await ensureLab();
  });

  it("brings up 3 hosts with fixed addresses and writes the inventory", () => {
    assert.equal(state.up, true);
    assert.deepEqual(
      state.hosts.map((h) => [h.name, h.address, h.running, h.connected]),
      [
        ["lab1", "10.98.0.11", true, true],
        ["lab2", "10.98.0.12", true, true],
        ["lab3", "10.98.0.13", true, true],
      ],
    );
    const inventory = readFileSync(state.inventory, "utf8");
    assert.match(inventory, /lab2:\n\s+address: 10\.98\.0\.12/);
    const knownHosts = readFileSync(state.knownHosts, "utf8").trim().split("\n");
    assert.equal(knownHosts.length, 3);
    assert.equal(new Set(knownHosts.map((l) => l.split(" ")[2])).size, 3, "every host has its own host key");
  });

  it("gives each host its own filesystem", async () => {
    for (const h of state.hosts) assert.equal((await sshRun(state, h.address, "rm -f /root/lab-e2e-marker")).code, 0);
    assert.equal((await sshRun(state, "10.98.0.11", "echo lab1 > /root/lab-e2e-marker")).code, 0);
    assert.equal((await sshRun(state, "10.98.0.11", "test -e /root/lab-e2e-marker")).code, 0);
    assert.equal((await sshRun(state, "10.98.0.12", "test -e /root/lab-e2e-marker")).code, 1);
    assert.equal((await sshRun(state, "10.98.0.13", "test -e /root/lab-e2e-marker")).code, 1);
  });

  it("gives each host its own address on eth0 and its own name", async () => {
    for (const h of state.hosts) {
      const r = await sshRun(state, h.address, "hostname; ip -4 -o addr show eth0");
      assert.equal(r.code, 0, r.stderr);
      const [name, addr] = r.stdout.split("\n");
      assert.equal(name, h.name);
      assert.match(addr ?? "", new RegExp(`inet ${h.address.replace(/\./g, "\\.")}/24`));
    }
  });

  it("runs a service image with host networking on a host's own engine", async () => {
    const r = await sshRun(state, "10.98.0.13",
      "docker rm -f lab-e2e-memcached >/dev/null 2>&1; docker run -d --name lab-e2e-memcached --network host lading/memcached:1.0");
    assert.equal(r.code, 0, r.stderr);
    try {
      const answer = await waitFor("memcached on lab3", 20_000, () => ask("10.98.0.13", 11211, "version\r\n"));
      assert.match(answer, /^VERSION /);
    } finally {
      await sshRun(state, "10.98.0.13", "docker rm -f lab-e2e-memcached");
    }
  });

  it("refuses a host whose key does not match known_hosts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-known-hosts-"));
    try {
      const lines = readFileSync(state.knownHosts, "utf8").trim().split("\n");
      const lab2Key = (lines.find((l) => l.startsWith("10.98.0.12 ")) ?? "").split(" ").slice(1).join(" ");
      const wrong = join(dir, "known_hosts");
      writeFileSync(wrong, `10.98.0.11 ${lab2Key}\n`);
      const r = await sshRun(state, "10.98.0.11", "true", { knownHosts: wrong });
      assert.equal(r.code, 255);
      assert.match(r.stderr, /host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i);
      const ok = await sshRun(state, "10.98.0.11", "true");
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("treats a second up as a no-op: no build, no load", async () => {
    const events: LabEvent[] = [];
    const again = await labUp({ hosts: 3, imageDirs: labImageDirs, onEvent: (e) => events.push(e) });
    assert.equal(again.up, true);
    assert.deepEqual(events.map((e) => [e.step, e.status]), [["up", "skip"]]);
  });

  it("stops and starts a host, which keeps its host key and data", async () => {
    assert.equal((await sshRun(state, "10.98.0.13", "echo kept > /root/lab-e2e-kept")).code, 0);
    await labStopHost("lab3");
    assert.equal((await labStatus()).hosts.find((h) => h.name === "lab3")?.running, false);
    assert.equal((await labStatus()).up, false);
    assert.equal((await sshRun(state, "10.98.0.13", "true")).code, 255);
    await labStartHost("lab3");
    const r = await waitFor("sshd on lab3", 30_000, async () => {
      const x = await sshRun(state, "10.98.0.13", "cat /root/lab-e2e-kept; docker info --format '{{.ServerVersion}}'");
      return x.code === 0 ? x : undefined;
    });
    assert.match(r.stdout, /^kept\n\d+\./);
  });

  it("cuts a host off the lab network and heals it", async () => {
    await labCutHost("lab2");
    try {
      assert.equal((await labStatus()).hosts.find((h) => h.name === "lab2")?.connected, false);
      assert.equal((await sshRun(state, "10.98.0.12", "true")).code, 255);
      // Like a pulled cable: lab2 keeps eth0 and its address but reaches no one.
      const inside = await labExec("lab2", ["ip", "-4", "-o", "addr", "show", "eth0"]);
      assert.match(inside.stdout, /inet 10\.98\.0\.12\/24/);
      assert.notEqual((await labExec("lab2", tcpProbe("10.98.0.11", 22))).code, 0);
      // The other hosts are unaffected.
      assert.equal((await sshRun(state, "10.98.0.11", "true")).code, 0);
    } finally {
      await labHealHost("lab2");
    }
    const r = await waitFor("ssh to healed lab2", 20_000, async () => {
      const x = await sshRun(state, "10.98.0.12", "ip -4 -o addr show eth0");
      return x.code === 0 ? x : undefined;
    });
    assert.match(r.stdout, /inet 10\.98\.0\.12\/24/);
    assert.equal((await labExec("lab2", tcpProbe("10.98.0.11", 22))).code, 0);
    assert.equal((await labStatus()).up, true);
  });

  it("lab up plugs back a host that a killed test left cut off", async () => {
    await labCutHost("lab3");
    try {
      assert.equal((await labStatus()).up, false, "a cut host makes the lab not up");
      const again = await labUp({ hosts: 3, imageDirs: labImageDirs });
      assert.equal(again.up, true);
      assert.equal(again.hosts.find((h) => h.name === "lab3")?.connected, true);
      const r = await waitFor("ssh to lab3 after lab up", 20_000, async () => {
        const x = await sshRun(state, "10.98.0.13", "true");
        return x.code === 0 ? x : undefined;
      });
      assert.equal(r.code, 0);
    } finally {
      await labHealHost("lab3").catch(() => undefined);
    }
  });

  it("refuses an unknown host name with the list of hosts", async () => {
    await assert.rejects(labStopHost("lab9"), /no lab host named "lab9" \(hosts: lab1, lab2, lab3\)/);
  });
});
