// The schedule (src/plan/schedule.ts): pure, from plan, desired state and facts; and the executor following it
// exactly: services that wait for nothing overlap, a service waits for the ones it names, batches as scheduled.
import assert from "node:assert/strict";
import { applyPlan } from "../../../src/apply/apply.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { buildPlan, configHashOf } from "../../../src/plan/plan.js";
import { formatSchedule } from "../../../src/plan/format.js";
import { buildSchedule, type Schedule } from "../../../src/plan/schedule.js";
import type { DesiredService, DesiredState } from "../../../src/render/desired.js";
import { container, facts, file, fileFact, runningFact, service, sha, withImages } from "../engine/fixtures.js";
import { FakeTransport, type Responder } from "../apply/fake-transport.js";

const HOSTS = ["h1", "h2", "h3"];

function galera(): DesiredService {
  const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
  return service("mariadb", [file("mariadb", "galera.cnf", "[galera]\n")], [c], { rollout: { gate: { kind: "galera", container: "mariadb" }, quorum: true, newService: "one-at-a-time", minHealthy: "10s" }, loadBalanced: true });
}
function queue(): DesiredService {
  return service("rabbitmq", [], [container("rabbitmq", "rabbitmq")], { rollout: { gate: { kind: "rabbitmq", container: "rabbitmq" }, quorum: true, newService: "one-at-a-time" } });
}
function lb(): DesiredService {
  return service("haproxy", [file("haproxy", "haproxy.cfg", "global\n")], [container("haproxy", "haproxy")], { rollout: { gate: { kind: "haproxy", container: "haproxy" }, vipLast: true } });
}
function cache(): DesiredService {
  return service("memcached", [], [container("memcached", "memcached")], { rollout: { gate: { kind: "tcp", port: 11211 } } });
}
function web(content = "[app]\n"): DesiredService {
  const s = service("webapp", [file("webapp", "webapp.ini", content)], [container("webapp", "webapp")], { rollout: { gate: { kind: "http", port: 8080, path: "/health" }, minHealthy: "5s" }, dependsOn: ["mariadb", "rabbitmq", "haproxy"], loadBalanced: true });
  s.database = { name: "webapp", user: "webapp", passwordSecret: "webapp_database_password" };
  return s;
}

function desiredOf(services: () => DesiredService[]): DesiredState {
  return { hosts: new Map(HOSTS.map((h, i) => [h, { name: h, address: `10.0.0.${i + 1}`, stateFile: "/etc/lading/.lading/state.json", services: services() }])) };
}

const all = (): DesiredService[] => [galera(), queue(), lb(), cache(), web()];

/** Empty hosts with every image: a first deploy. */
function emptyFacts(d: DesiredState) {
  return new Map(HOSTS.map((h) => [h, withImages(facts(), ...d.hosts.get(h)!.services.flatMap((s) => s.containers.map((c) => c.image)))]));
}

/** Every service runs as lading left it, with the files `d` wants. */
function runningFacts(d: DesiredState, changed: Record<string, string> = {}) {
  return new Map(
    HOSTS.map((h) => {
      const f = withImages(facts(), ...d.hosts.get(h)!.services.flatMap((s) => s.containers.map((c) => c.image)));
      for (const s of d.hosts.get(h)!.services) {
        const files = s.files.map((x) => ({ ...x, content: changed[s.name] ?? x.content }));
        for (const x of files) f.files.set(x.path, fileFact(x.content));
        const hash = configHashOf(files.map((x) => ({ path: x.path, sha256: sha(x.content), mode: x.mode, owner: x.owner })));
        for (const c of s.containers) f.containers.set(c.name, runningFact(c, hash));
      }
      return [h, f];
    }),
  );
}

function scheduleOf(d: DesiredState, f: ReturnType<typeof emptyFacts>, opts: { serial?: number; vipHolder?: string } = {}): Schedule {
  const plan = buildPlan({ desired: d, facts: f, secrets: { webapp_database_password: "pw-123456789" }, mode: "deploy" });
  return buildSchedule({ plan, desired: d, facts: f, serialOverride: opts.serial, vipHolder: opts.vipHolder });
}

const shape = (s: Schedule) => Object.fromEntries(s.services.map((x) => [x.service, { after: x.after.map((a) => a.service), batches: x.batches.map((b) => `${b.kind}:${b.hosts.join(",")}${b.hold ? "+hold" : ""}`) }]));

describe("schedule", () => {
  it("a first deploy: independent services at once, a new Galera cluster in order, the others on every host at once", () => {
    const d = desiredOf(all);
    const s = scheduleOf(d, emptyFacts(d));
    assert.deepEqual(shape(s), {
      mariadb: { after: [], batches: ["bootstrap:h1", "create:h2", "create:h3", "rejoin:h1"] },
      rabbitmq: { after: [], batches: ["create:h1", "create:h2", "create:h3"] },
      haproxy: { after: [], batches: ["create:h1,h2,h3"] },
      memcached: { after: [], batches: ["create:h1,h2,h3"] },
      webapp: { after: ["mariadb", "rabbitmq", "haproxy"], batches: ["create:h1,h2,h3"] },
    });
    assert.match(s.services[0]!.why, /h1 bootstraps it alone, then the others join one at a time/);
    assert.match(s.services.find((x) => x.service === "haproxy")!.why, /nothing runs yet, every host at once/);
  });

  it("a rolling change of a running service: one host at a time, each held, the VIP holder last", () => {
    const d = desiredOf(() => [galera(), lb(), { ...web(), database: undefined }]);
    const f = runningFacts(d, { haproxy: "global\n  maxconn 1\n" });
    const s = scheduleOf(d, f, { vipHolder: "h1" });
    assert.deepEqual(shape(s), { haproxy: { after: [], batches: ["rollout:h2+hold", "rollout:h3+hold", "rollout:h1+hold"] } });
    assert.match(s.services[0]!.why, /h1 holds the VIP: last/);
  });

  it("a service drained through HAProxy waits for HAProxy when the run changes both; a Galera --serial is cut to its quorum", () => {
    const d = desiredOf(() => [galera(), lb(), { ...web(), database: undefined }]);
    const f = runningFacts(d, { mariadb: "[galera]\nold=1\n", haproxy: "global\nold\n" });
    const s = scheduleOf(d, f, { serial: 3 });
    assert.deepEqual(shape(s).mariadb, { after: ["haproxy"], batches: ["rollout:h1+hold", "rollout:h2+hold", "rollout:h3+hold"] });
    assert.equal(s.services[0]!.service, "haproxy", "the service waited for comes first");
    assert.deepEqual(s.warnings, ["mariadb: batches limited to 1 host so that 2 of 3 members keep the quorum"]);
    assert.ok(s.services.find((x) => x.service === "mariadb")!.guards.some((g) => /quorum/.test(g)));
  });

  it("a service that registers its database waits for the database's service even without dependsOn", () => {
    const d = desiredOf(() => [galera(), { ...web(), dependsOn: [] }]);
    const s = scheduleOf(d, emptyFacts(d));
    assert.deepEqual(shape(s).webapp!.after, ["mariadb"]);
    assert.match(s.services.find((x) => x.service === "webapp")!.after[0]!.why, /registers its database/);
  });

  it("prints each level with its services, batches and the guards left to the run", () => {
    const d = desiredOf(all);
    const text = formatSchedule(scheduleOf(d, emptyFacts(d))).join("\n");
    assert.match(text, /level 1: mariadb, rabbitmq, haproxy, memcached/);
    assert.match(text, /level 2: webapp/);
    assert.match(text, /webapp: after mariadb \(depends on it \(role\.yaml dependsOn\)\)/);
    assert.match(text, /1\. h1 {2}# bootstraps the cluster/);
    assert.match(text, /at run time: gate after each host: galera/);
  });
});

describe("the executor follows the schedule", function () {
  this.timeout(20_000);

  it("runs independent services at the same time, a dependent one after their gates, with the batches scheduled", async () => {
    const d = desiredOf(() => [cache(), lb(), { ...web(), dependsOn: ["haproxy"], database: undefined }]);
    const f = emptyFacts(d);
    const plan = buildPlan({ desired: d, facts: f, secrets: {}, mode: "deploy" });
    plan.schedule = buildSchedule({ plan, desired: d, facts: f });
    const timeline: string[] = [];
    const emit = (e: RunEvent): void => {
      if (e.type === "batch") timeline.push(`batch ${e.service} ${e.hosts.join(",")}`);
      if (e.type === "gate" && e.status === "passed") timeline.push(`passed ${e.service} ${e.host}`);
    };
    const respond: Responder = (host, argv) => {
      if (argv[1] === "run") timeline.push(`run ${argv[argv.indexOf("--name") + 1]} ${host}`);
      if (argv[0] === "timeout") return { stdout: "HTTP/1.0 200 OK\n" };
      if (argv.some((a) => a.includes("show stat"))) return { stdout: "# pxname,svname,status,addr\nweb,FRONTEND,OPEN,\n" };
      return argv[1] === "run" ? { stdout: "newid\n" } : undefined;
    };
    const log: string[] = [];
    const transports = new Map(HOSTS.map((h) => [h, new FakeTransport(h, log, respond, new Map(), () => 20)]));
    const res = await applyPlan({ plan, desired: d, facts: f, transports, secrets: {}, emit, forks: 10 });
    assert.equal(res.ok, true, timeline.join("\n"));
    assert.deepEqual(timeline.filter((l) => l.startsWith("batch")).sort(), ["batch haproxy h1,h2,h3", "batch memcached h1,h2,h3", "batch webapp h1,h2,h3"]);
    const first = (prefix: string): number => timeline.findIndex((l) => l.startsWith(prefix));
    const last = (prefix: string): number => timeline.length - 1 - [...timeline].reverse().findIndex((l) => l.startsWith(prefix));
    // memcached comes first in the order, yet haproxy starts before memcached is done: they overlap.
    assert.ok(first("run haproxy") < last("passed memcached"), timeline.join("\n"));
    // webapp waits for haproxy's gates on every host (not for memcached, which it does not depend on).
    assert.ok(first("run webapp") > last("passed haproxy"), timeline.join("\n"));
    assert.equal(timeline.filter((l) => l.startsWith("passed haproxy")).length, 3);
  });

  it("a service that halts stops the others at their next batch and never starts those that wait for it", async () => {
    const d = desiredOf(() => [queue(), lb(), { ...web(), dependsOn: ["haproxy"], database: undefined }]);
    const f = emptyFacts(d);
    const plan = buildPlan({ desired: d, facts: f, secrets: {}, mode: "deploy" });
    plan.schedule = buildSchedule({ plan, desired: d, facts: f });
    const events: RunEvent[] = [];
    const log: string[] = [];
    const respond: Responder = (_host, argv) => {
      // haproxy cannot start: its batch fails at once, while rabbitmq is in its first batch.
      if (argv[1] === "run" && argv.includes("haproxy")) return { code: 125, stderr: "port is already allocated" };
      if (argv.includes("cluster_status")) return { stdout: JSON.stringify({ running_nodes: HOSTS.map((x) => `rabbit@${x}`), partitions: [] }) };
      return argv[1] === "run" ? { stdout: "newid\n" } : undefined;
    };
    const slowQueue = (argv: readonly string[]): number => (argv.includes("rabbitmq") || argv.includes("cluster_status") ? 150 : 10);
    const transports = new Map(HOSTS.map((h) => [h, new FakeTransport(h, log, respond, new Map(), slowQueue)]));
    const res = await applyPlan({ plan, desired: d, facts: f, transports, secrets: {}, emit: (e) => events.push(e), forks: 10 });
    assert.equal(res.ok, false);
    assert.ok(events.some((e) => e.type === "halt" && e.service === "haproxy"));
    assert.ok(!log.some((l) => /docker run .*--name webapp/.test(l)), "webapp waited for haproxy and never started");
    const warnings = events.filter((e) => e.type === "warning").map((e) => (e.type === "warning" ? e.message : ""));
    assert.ok(warnings.some((m) => /^rabbitmq: stopped before batch 2 of 3 \(haproxy halted the run\); untouched: h2, h3$/.test(m)), warnings.join("\n"));
    assert.equal(log.filter((l) => /docker run .*--name rabbitmq/.test(l)).length, 1, "only rabbitmq's first batch ran");
  });
});
