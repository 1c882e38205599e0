// Faults on the lab: a host down at the start (--keep-going), a host dying mid-rollout, the deployer killed
// with -9 (stale lock), an SSH connection cut while a file is written, a Galera node partitioned during a rollout, a service image removed under its
// running container. Each: a clear report, nothing half-done or lost, and a re-run converges. Changed
// parameters stay changed for the rest of the test process (globals.yml keeps them), so that no test pays
// for a second rolling restart to put a value back.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labCutHost, labExec, labHealHost, labStartHost, labStopHost } from "../../src/lab/index.js";
import { packageRoot } from "../../src/paths.js";
import { connect } from "../../src/transport/index.js";
import { clustersSettled, ensureDeployed, eventually, lading, LAB_ADDRESSES, onHost, setGlobal, startTimes, type CliResult, type Deployment, type LiveEvent } from "./deployment-fixture.js";
import { sshRun } from "./lab-fixture.js";

/** Runs the CLI with --json and calls `onEvent` for every event as it arrives (to act mid-run). */
async function ladingLive(args: string[], onEvent: (e: LiveEvent, child: ChildProcess) => void): Promise<CliResult & { events: LiveEvent[] }> {
  const events: LiveEvent[] = [];
  const r = await lading([...args, "--json"], { onEvent: (e, child) => { events.push(e); onEvent(e, child); } });
  return { ...r, events };
}

async function sshUp(d: Deployment, host: string): Promise<void> {
  await eventually(`ssh to ${host}`, 60_000, async () => ((await sshRun(d.lab, LAB_ADDRESSES[host]!, "true")).code === 0 ? true : undefined));
}

const webappIni = (d: Deployment, host: string): Promise<string> => onHost(d, host, "cat /etc/lading/webapp/webapp.ini");


describe("faults on the lab: a clear report, nothing half-done, a re-run converges (e2e)", function () {
  this.timeout(1_800_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("a host down at the start: with --keep-going the others change and the recap names it; the re-run finishes it", async () => {
    setGlobal(d, "webapp_message", "kept going without lab3");
    await labStopHost("lab3");
    let r: CliResult;
    try {
      const refused = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /UNREACHABLE lab3/);
      assert.match(refused.stdout, /nothing was changed on any host \(use --keep-going/);
      assert.doesNotMatch(await webappIni(d, "lab1"), /kept going/);

      r = await lading(["reconfigure", "-d", d.dir, "--keep-going"]);
      assert.match(r.stdout, /UNREACHABLE lab3/);
      assert.match(r.stdout, /^\s+lab3\s+unreachable/m, r.stdout);
      assert.match(r.stdout, /^\s+lab1\s+changed/m);
      for (const h of ["lab1", "lab2"]) assert.match(await webappIni(d, h), /message = kept going without lab3/);
    } finally {
      await labStartHost("lab3");
    }
    await sshUp(d, "lab3");
    await clustersSettled(d);
    const again = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(await webappIni(d, "lab3"), /message = kept going without lab3/);
    assert.equal((await lading(["plan", "-d", d.dir])).code, 0);
  });

  it("a host dies while its batch restarts: the rollout halts, the hosts after it are untouched, the re-run finishes", async () => {
    await clustersSettled(d);
    setGlobal(d, "webapp_message", "survived a dead host");
    const before = await startTimes(d);
    const lab3Ini = await webappIni(d, "lab3");
    let stopped: Promise<void> | undefined;
    let r: Awaited<ReturnType<typeof ladingLive>>;
    try {
      r = await ladingLive(["reconfigure", "-d", d.dir], (e) => {
        if (!stopped && e.type === "step" && e.host === "lab2" && e.service === "webapp" && e.status === "start") stopped = labStopHost("lab2");
      });
      await stopped;
      assert.ok(stopped, "lab2's webapp batch started");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const halt = r.events.find((e) => e.type === "halt");
      assert.ok(halt, `the rollout halted:\n${r.stdout}`);
      assert.equal(halt.host, "lab2");
      assert.deepEqual(halt.untouched, ["lab3"]);
      assert.equal(await webappIni(d, "lab3"), lab3Ini, "lab3 got no new file");
      assert.equal((await startTimes(d, ["lab3"]))["lab3/webapp"], before["lab3/webapp"], "lab3's webapp did not restart");
      assert.match(await webappIni(d, "lab1"), /message = survived a dead host/);
      // Whether the dying host still took the run's final exec depends on which of its daemons died first;
      // when it did not, it keeps this run's lock, and the run says so.
      if (/lab2: writing lading's state/.test(r.stdout)) assert.match(r.stdout, /lab2: writing lading's state[^\n]*deploy lock stays on it/);
    } finally {
      await stopped?.catch(() => undefined);
      await labStartHost("lab2");
    }
    await sshUp(d, "lab2");
    await clustersSettled(d);
    let again = await lading(["reconfigure", "-d", d.dir]);
    if (again.code !== 0) {
      assert.match(again.stdout + again.stderr, /lab2: locked by .*looks stale: --break-lock takes it over/);
      again = await lading(["reconfigure", "-d", d.dir, "--break-lock"]);
    }
    assert.equal(again.code, 0, again.stdout + again.stderr);
    for (const h of ["lab2", "lab3"]) assert.match(await webappIni(d, h), /message = survived a dead host/);
    // The dead host's server, drained when its batch began, is back in rotation everywhere.
    for (const h of ["lab1", "lab2", "lab3"]) {
      const stat = await onHost(d, h, `docker exec haproxy sh -c 'echo "show stat" | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock'`);
      assert.doesNotMatch(stat, /,MAINT/, `${h}'s HAProxy has no server in maintenance`);
    }
    assert.equal((await lading(["plan", "-d", d.dir])).code, 0);
  });

  it("the deployer killed with -9 mid-run: the next run reports the stale lock (who, when, what), --break-lock takes over and converges", async () => {
    setGlobal(d, "webapp_message", "after a kill -9");
    let killed = false;
    // Killed once it has changed something: the lock is held and the first file is written.
    const r = await ladingLive(["reconfigure", "-d", d.dir], (e, child) => {
      if (!killed && e.type === "step" && e.status === "ok") {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    assert.ok(killed, `the run was killed mid-way:\n${r.stdout}`);
    const status = await lading(["lock", "status", "-d", d.dir]);
    assert.match(status.stdout, /locked by \S+@\S+ \(pid \d+[^)]*\) running "reconfigure" since \d{4}-\d\d-\d\dT[\d:.]+Z .*looks stale/);
    const refused = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout + refused.stderr, /running "reconfigure" since .*looks stale: --break-lock takes it over/);
    const again = await lading(["reconfigure", "-d", d.dir, "--break-lock"]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    for (const h of ["lab1", "lab2", "lab3"]) {
      assert.match(await webappIni(d, h), /message = after a kill -9/);
      await onHost(d, h, "test ! -e /etc/lading/.lading/lock");
      // No server is left in maintenance in HAProxy by the killed run's drain.
      const stat = await onHost(d, h, `docker exec haproxy sh -c 'echo "show stat" | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock'`);
      assert.doesNotMatch(stat, /,MAINT/, `${h}'s HAProxy has no server in maintenance`);
    }
    assert.equal((await lading(["plan", "-d", d.dir])).code, 0);
  });

  it("an SSH connection cut mid-write leaves the old file whole, as the container sees it, and no temporary file", async () => {
    const path = "/etc/lading/webapp/webapp.ini";
    const inContainer = async (): Promise<string> => (await labExec("lab1", ["docker", "exec", "webapp", "sha256sum", "/etc/webapp/webapp.ini"])).stdout.split(" ")[0]!;
    const before = await inContainer();
    assert.equal(before, createHash("sha256").update(await webappIni(d, "lab1")).digest("hex"));
    const t = await connect({ name: "lab1", address: LAB_ADDRESSES.lab1, user: "root", key: d.lab.sshKey, knownHosts: d.lab.knownHosts, connection: "ssh", become: false }, { sshConfigFile: "/dev/null" });
    const temps = async (): Promise<string[]> => (await labExec("lab1", ["sh", "-c", "ls -a /etc/lading/webapp | grep lading-tmp || true"])).stdout.split("\n").filter(Boolean);
    try {
      // 256 MiB takes seconds to cross the lab bridge: long enough to cut the session while it flows.
      const writing = t.putFile(path, Buffer.alloc(256 * 1024 * 1024, 0x78), { mode: "0644" });
      writing.catch(() => undefined);
      await eventually("the temporary file to grow", 60_000, async () => ((await temps()).length ? true : undefined));
      // The host's side of the session dies, as when the network drops it: sshd's session process is killed.
      await labExec("lab1", ["sh", "-c", "pkill -9 -f 'sshd: root@notty' || true"]);
      await assert.rejects(writing, /lab1: connection lost|lab1: .*(closed|reset|not connected)/i);
    } finally {
      await t.close().catch(() => undefined);
    }
    await eventually("the cut-off temporary file to be removed", 30_000, async () => ((await temps()).length === 0 ? true : undefined));
    assert.equal(await inContainer(), before, "the container sees the old file, whole");
    const check = await lading(["check", "-d", d.dir]);
    assert.equal(check.code, 0, check.stdout);
  });

  it("a RabbitMQ node outside its cluster though its container runs: check names it; a blip that split every pair is healed by autoheal", async () => {
    await clustersSettled(d);
    const rabbitmqctl = (h: string, ...args: string[]): Promise<string> => onHost(d, h, `docker exec rabbitmq rabbitmqctl ${args.map((a) => `'${a}'`).join(" ")}`);
    // The rabbit app stopped on lab2, its Erlang node and container up: the engine still calls it healthy
    // for up to three healthchecks; check asks the cluster itself.
    await rabbitmqctl("lab2", "stop_app");
    try {
      const check = await lading(["check", "-d", d.dir]);
      assert.equal(check.code, 2, check.stdout);
      assert.match(check.stdout, /lab1: rabbitmq is not whole with its cluster: 2\/3 nodes running/);
      assert.match(check.stdout, /lab2: rabbitmq is not whole with its cluster: rabbitmqctl: /);
      assert.match(check.stdout, /lab3: rabbitmq is not whole with its cluster: 2\/3 nodes running/);
    } finally {
      await rabbitmqctl("lab2", "start_app");
    }
    await clustersSettled(d, 120_000);
    // Every pair's distribution link dropped at once, as a short network blip does: Mnesia records a partition
    // on both sides and never merges it by itself; autoheal restarts the smaller side and the cluster is one.
    await rabbitmqctl("lab2", "eval", "erlang:disconnect_node(rabbit@lab1), erlang:disconnect_node(rabbit@lab3).");
    await rabbitmqctl("lab1", "eval", "erlang:disconnect_node(rabbit@lab3).");
    await clustersSettled(d, 120_000);
    const healed = await Promise.all(["lab1", "lab2", "lab3"].map((h) => onHost(d, h, "docker logs --since 5m rabbitmq 2>&1 | grep -c 'Autoheal finished' || true")));
    assert.ok(healed.some((n) => Number(n.trim()) > 0), "a node logged that autoheal finished");
    const check = await lading(["check", "-d", d.dir]);
    assert.equal(check.code, 0, check.stdout);
  });

  it("a Galera node partitioned during its rollout: the quorum guard stops the rollout and says why; healed, a re-run converges", async () => {
    await clustersSettled(d);
    setGlobal(d, "mariadb_max_connections", "1301");
    let cut: Promise<void> | undefined;
    let r: Awaited<ReturnType<typeof ladingLive>>;
    const lab3Cnf = await onHost(d, "lab3", "cat /etc/lading/mariadb/galera.cnf");
    try {
      r = await ladingLive(["reconfigure", "-d", d.dir, "-s", "mariadb"], (e, child) => {
        // The deployer is frozen the moment it reports the first batch healthy and thawed once lab3 is cut off:
        // the partition lands before its next step (the guard), never during it (a partition after the guard
        // passed and before the next node stops is a race no deployer can close).
        if (!cut && e.type === "gate" && e.service === "mariadb" && e.status === "passed") {
          child.kill("SIGSTOP");
          cut = labCutHost("lab3").finally(() => child.kill("SIGCONT"));
        }
      });
      await cut;
      assert.ok(cut, "the first mariadb batch passed its gate");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const halt = r.events.find((e) => e.type === "halt");
      assert.ok(halt, `the rollout halted:\n${r.stdout}`);
      // lab3 is named for not answering; lab1 may be named too, for the cluster of 2 it sees without lab3.
      assert.match(String(halt.reason), /^quorum guard: (lab1: galera: Synced, Primary, cluster size 2\/3; )?lab3: /);
      const restarted = r.events.filter((e) => e.type === "step" && e.service === "mariadb" && e.status === "ok" && /restart|recreate/.test(String(e.kind))).map((e) => e.host);
      assert.equal(restarted.length, 1, `one node restarted before the guard stopped it: ${restarted.join(", ")}`);
    } finally {
      await cut?.catch(() => undefined);
      await labHealHost("lab3");
    }
    // A healed cable takes a moment to carry traffic again (the bridge relearns lab3's address).
    await sshUp(d, "lab3");
    assert.equal(await onHost(d, "lab3", "cat /etc/lading/mariadb/galera.cnf"), lab3Cnf, "the partitioned node was not touched");
    await clustersSettled(d);
    // Galera is whole again, but the engine's health state of lab3 can lag its recovery by a check interval
    // or more. Made certain here: lab3's healthcheck fails (a failing script shadows it on the PATH) until the
    // engine calls it unhealthy while Galera says Synced. The re-run asks Galera itself and goes on.
    const health = async (): Promise<string> => (await onHost(d, "lab3", "docker inspect --format '{{.State.Health.Status}}' mariadb")).trim();
    const shadow = "/usr/local/sbin/lading-galera-check";
    await onHost(d, "lab3", `docker exec -u 0 mariadb sh -c 'printf "#!/bin/sh\\necho stale on purpose\\nexit 1\\n" > ${shadow} && chmod 755 ${shadow}'`);
    try {
      await eventually("the engine calls lab3's mariadb unhealthy", 120_000, async () => ((await health()) === "unhealthy" ? true : undefined));
      // lab3 was cut off when the run ended: its lock stays for --break-lock.
      const again = await lading(["reconfigure", "-d", d.dir, "--break-lock"]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /lab3.*mariadb: the engine still reports mariadb unhealthy from its last healthcheck, but its galera gate passes now: counted as healthy/);
    } finally {
      await onHost(d, "lab3", `docker exec -u 0 mariadb rm -f ${shadow}`);
    }
    for (const h of ["lab1", "lab2", "lab3"]) assert.match(await onHost(d, h, "cat /etc/lading/mariadb/galera.cnf"), /max_connections\s*=\s*1301/);
    await clustersSettled(d);
    await eventually("the engine calls lab3's mariadb healthy again", 120_000, async () => ((await health()) === "healthy" ? true : undefined));
  });

  it("an image removed under its running container: check reports it, a restart is refused before the container stops", async () => {
    await clustersSettled(d);
    const image = "lading/memcached:1.0";
    const id = (await onHost(d, "lab2", `docker inspect --format '{{.Image}}' memcached`)).trim();
    await onHost(d, "lab2", `docker rmi -f ${image}`);
    try {
      assert.equal((await onHost(d, "lab2", "docker inspect --format '{{.State.Running}}' memcached")).trim(), "true");
      const check = await lading(["check", "-d", d.dir]);
      assert.equal(check.code, 2, check.stdout);
      assert.match(check.stdout, /lab2: image lading\/memcached:1\.0 of memcached is gone from the host/);

      setGlobal(d, "memcached_memory_mb", "96");
      const before = await startTimes(d);
      const r = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /cannot pull lading\/memcached:1\.0/);
      assert.match(r.stdout, /images missing, nothing was changed/);
      assert.deepEqual(await startTimes(d), before, "no container stopped or restarted");
    } finally {
      await onHost(d, "lab2", `docker tag ${id} ${image}`);
    }
    const again = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal((await lading(["check", "-d", d.dir])).code, 0);
  });
});
