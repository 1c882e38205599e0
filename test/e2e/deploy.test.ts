// The apply engine on the lab: examples/lab deployed from empty hosts, then re-runs that change nothing,
// a one-parameter change, host key refusal and an unreachable host.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labStartHost, labStopHost } from "../../src/lab/index.js";
import { clustersSettled, ensureDeployed, eventually, lading, LAB_HOSTS, onHost, startTimes, VIP, type Deployment } from "./deployment-fixture.js";
import type { Schedule } from "../../src/plan/schedule.js";

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

describe("deploy examples/lab onto the lab (e2e)", function () {
  this.timeout(900_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("forms a Galera cluster of 3, reachable through the VIP", async () => {
    const out = await onHost(d, "lab1", `docker exec mariadb mysql -h ${VIP} -u haproxy -N -B -e "SHOW STATUS LIKE 'wsrep_cluster_size'"`);
    assert.match(out, /wsrep_cluster_size\s+3/);
  });

  it("forms a RabbitMQ cluster of 3 running nodes", async () => {
    const out = await onHost(d, "lab2", "docker exec rabbitmq rabbitmqctl --quiet cluster_status --formatter json");
    const status = JSON.parse(out) as { running_nodes: string[] };
    assert.deepEqual([...status.running_nodes].sort(), ["rabbit@lab1", "rabbit@lab2", "rabbit@lab3"]);
  });

  it("serves the web service through HAProxy on the VIP, using the database", async () => {
    const first = await eventually("webapp through the VIP", 60_000, async () => {
      const r = await httpGet(`http://${VIP}:8080/`);
      return r.status === 200 ? r : undefined;
    });
    const a = JSON.parse(first.body) as { visits: number; host: string };
    const second = JSON.parse((await httpGet(`http://${VIP}:8080/`)).body) as { visits: number };
    assert.ok(second.visits > a.visits, "a second visit is counted in the database");
    assert.equal((await httpGet(`http://${VIP}:8080/health`)).status, 200);
  });

  it("re-runs with nothing changed: plan exits 0 and reconfigure restarts no container", async () => {
    const before = await startTimes(d);
    const plan = await lading(["plan", "-d", d.dir]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /lab1: no changes/);
    const re = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(re.code, 0, re.stdout + re.stderr);
    assert.deepEqual(await startTimes(d), before);
  });

  it("restarts only the containers of the service whose parameter changed", async () => {
    const before = await startTimes(d);
    const globals = join(d.dir, "globals.yml");
    const original = readFileSync(globals, "utf8");
    writeFileSync(globals, `${original}\nmemcached_memory_mb: 96\n`);
    try {
      const plan = await lading(["plan", "-d", d.dir]);
      assert.equal(plan.code, 2, plan.stdout + plan.stderr);
      const re = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(re.code, 0, re.stdout + re.stderr);
      const after = await startTimes(d);
      for (const [k, v] of Object.entries(before)) {
        if (k.endsWith("/memcached")) assert.notEqual(after[k], v, `${k} restarted`);
        else assert.equal(after[k], v, `${k} did not restart`);
      }
    } finally {
      writeFileSync(globals, original);
      const back = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(back.code, 0, back.stdout + back.stderr);
    }
  });

  it("check reports drift for a file edited by hand, and reconfigure puts it back without a restart", async () => {
    // Right after the memcached restarts of the test before, on a deployment whose engines the bootstrap tests
    // restarted, CI twice saw this check exit 2 where a run of this file alone sees 0 (cause not found yet): the
    // first answer is printed, and the check must be clean within 30 s.
    const first = await lading(["check", "-d", d.dir]);
    if (first.code !== 0) console.log(`      first check after the memcached restarts: exit ${first.code}\n${first.stdout}${first.stderr}`);
    await eventually("check clean", 30_000, async () => ((await lading(["check", "-d", d.dir])).code === 0 ? true : undefined));
    const before = await startTimes(d);
    await onHost(d, "lab2", "sed -i 's/^max_connections = .*/max_connections = 7/' /etc/lading/mariadb/galera.cnf");
    const drift = await lading(["check", "-d", d.dir]);
    assert.equal(drift.code, 2, drift.stdout);
    assert.match(drift.stdout, /lab2: 1 change/);
    assert.match(drift.stdout, /galera\.cnf: content differs/);
    const fix = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal((await lading(["check", "-d", d.dir])).code, 0);
    assert.deepEqual(await startTimes(d), before, "the container runs the wanted config: no restart");
  });

  it("genconfig writes a changed file without restarting; deploy-containers then restarts only that service", async () => {
    const globals = join(d.dir, "globals.yml");
    const original = readFileSync(globals, "utf8");
    const before = await startTimes(d);
    writeFileSync(globals, `${original}\nwebapp_message: changed by genconfig\n`);
    try {
      const gen = await lading(["genconfig", "-d", d.dir]);
      assert.equal(gen.code, 0, gen.stdout + gen.stderr);
      assert.deepEqual(await startTimes(d), before, "genconfig restarts nothing");
      assert.match(await onHost(d, "lab1", "cat /etc/lading/webapp/webapp.ini"), /changed by genconfig/);
      const pending = await lading(["check", "-d", d.dir]);
      assert.equal(pending.code, 2);
      assert.match(pending.stdout, /webapp: config changed/);
      const dc = await lading(["deploy-containers", "-d", d.dir]);
      assert.equal(dc.code, 0, dc.stdout + dc.stderr);
      const after = await startTimes(d);
      for (const [k, v] of Object.entries(before)) {
        if (k.endsWith("/webapp")) assert.notEqual(after[k], v, `${k} restarted`);
        else assert.equal(after[k], v, `${k} did not restart`);
      }
      const page = await eventually("the new message through the VIP", 60_000, async () => {
        const r = await httpGet(`http://${VIP}:8080/`);
        return r.body.includes("changed by genconfig") ? r : undefined;
      });
      assert.equal(page.status, 200);
    } finally {
      writeFileSync(globals, original);
      const back = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(back.code, 0, back.stdout + back.stderr);
    }
  });

  it("stop --service stops one service everywhere; check says so; deploy starts it again", async () => {
    const stop = await lading(["stop", "-d", d.dir, "-s", "memcached"]);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    assert.match(await onHost(d, "lab1", "docker inspect --format '{{.State.Status}}' memcached"), /exited/);
    assert.match(await onHost(d, "lab1", "docker inspect --format '{{.State.Status}}' mariadb"), /running/);
    const check = await lading(["check", "-d", d.dir]);
    assert.equal(check.code, 2);
    assert.match(check.stdout, /lab1: memcached is exited/);
    const start = await lading(["deploy", "-d", d.dir, "-s", "memcached"]);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.equal((await lading(["check", "-d", d.dir])).code, 0);
  });

  it("stops before any change when an image cannot be had on a host", async () => {
    const globals = join(d.dir, "globals.yml");
    const original = readFileSync(globals, "utf8");
    const before = await startTimes(d);
    const ini = await onHost(d, "lab1", "cat /etc/lading/webapp/webapp.ini");
    assert.match(original, /^webapp_tag: "1\.0"$/m);
    writeFileSync(globals, `${original.replace(/^webapp_tag: .*$/m, 'webapp_tag: "9.9"')}\nwebapp_message: never deployed\n`);
    try {
      const r = await lading(["deploy", "-d", d.dir]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /cannot pull lading\/webapp:9\.9/);
      assert.match(r.stdout, /images missing, nothing was changed/);
      assert.deepEqual(await startTimes(d), before);
      assert.equal(await onHost(d, "lab1", "cat /etc/lading/webapp/webapp.ini"), ini, "no file was written either");
    } finally {
      writeFileSync(globals, original);
    }
  });

  it("prechecks pass on the deployed lab (engine, disk, clock, addresses, ports)", async () => {
    const r = await lading(["prechecks", "-d", d.dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok {3}lab1: engine: docker 20\.10/);
    assert.match(r.stdout, /ok {3}lab3: address: 10\.98\.0\.13 present/);
  });

  it("refuses a host whose key is not in known_hosts, and names it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-hostkey-"));
    cpSync(d.dir, dir, { recursive: true });
    writeFileSync(join(dir, "empty_known_hosts"), "");
    const inv = readFileSync(join(dir, "inventory.yml"), "utf8").replace(/knownHosts: .*/, `knownHosts: ${join(dir, "empty_known_hosts")}`);
    writeFileSync(join(dir, "inventory.yml"), inv);
    const r = await lading(["plan", "-d", dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /lab1: .*host key of 10\.98\.0\.11:22 is not known: .* run again with --accept-new-host-keys/);
  });

  it("reports a host that is down as unreachable and changes nothing", async () => {
    await labStopHost("lab3");
    try {
      const r = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /UNREACHABLE lab3/);
      assert.match(r.stdout, /nothing was changed/);
    } finally {
      await labStartHost("lab3");
      await eventually("lab3 back", 120_000, async () => ((await lading(["plan", "-d", d.dir])).code === 0 ? true : undefined));
      await clustersSettled(d);
    }
  });

  it("deployed the plan's schedule exactly, independent services at the same time", () => {
    const events = d.firstDeploy.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; time: string } & Record<string, unknown>);
    const detail = d.firstPlan.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; plan?: { schedule?: Schedule } }).find((e) => e.type === "plan-detail");
    const schedule = detail?.plan?.schedule;
    assert.ok(schedule?.services.length, d.firstPlan.stdout);
    const ran = events.filter((e) => e.type === "batch") as unknown as { service: string; index: number; total: number; hosts: string[] }[];
    for (const s of schedule.services) {
      const mine = ran.filter((b) => b.service === s.service);
      assert.deepEqual(mine.map((b) => b.hosts), s.batches.map((b) => b.hosts), `${s.service}: batches run vs scheduled`);
      assert.ok(mine.every((b, i) => b.index === i + 1 && b.total === s.batches.length), s.service);
    }
    assert.equal(ran.length, schedule.services.reduce((n, s) => n + s.batches.length, 0), "no batch the schedule did not name");
    // Every service started only once those it waits for had passed their last gate, and Galera and RabbitMQ
    // (which wait for nothing) formed at the same time.
    const t = (e: { time: string }): number => Date.parse(e.time);
    const span = (svc: string): [number, number] => {
      const mine = events.filter((e) => (e.type === "batch" || e.type === "gate") && e.service === svc);
      return [t(mine[0]!), t(mine[mine.length - 1]!)];
    };
    for (const s of schedule.services) for (const a of s.after) assert.ok(span(s.service)[0] >= span(a.service)[1], `${s.service} started before ${a.service} was done`);
    const [m, r] = [span("mariadb"), span("rabbitmq")];
    assert.ok(m[0] < r[1] && r[0] < m[1], `mariadb ${m.join("-")} and rabbitmq ${r.join("-")} overlap`);
  });

  it("lists the lab hosts it deployed to", () => {
    for (const h of LAB_HOSTS) assert.match(d.firstDeploy.stdout, new RegExp(h));
  });
});
