// The rollout engine over fake transports: batch order, gates between batches, halting, revert, the quorum
// guard, the VIP holder last, draining, maxFailPercentage and --serial under quorum.
import assert from "node:assert/strict";
import { applyPlan, membersNotAnswering } from "../../../src/apply/apply.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { buildPlan } from "../../../src/plan/plan.js";
import type { DesiredService, DesiredState } from "../../../src/render/desired.js";
import { configHashOf } from "../../../src/plan/plan.js";
import { container, facts, file, fileFact, runningFact, service, sha, withImages } from "../engine/fixtures.js";
import { actions, FakeTransport, type Responder } from "./fake-transport.js";
import { hostScript } from "../../../src/host-scripts/index.js";

const HOSTS = ["h1", "h2", "h3"];
const OLD = "[app]\nmessage=old\n";
const NEW = "[app]\nmessage=new\n";

function svc(rollout: DesiredService["rollout"], content = NEW): DesiredService {
  const c = container("app", "app");
  return service("app", [file("app", "app.ini", content)], [c], { rollout });
}

function desiredOf(rollout: DesiredService["rollout"], content = NEW): DesiredState {
  return { hosts: new Map(HOSTS.map((h, i) => [h, { name: h, address: `10.0.0.${i + 1}`, stateFile: "/etc/lading/.lading/state.json", services: [svc(rollout, content)] }])) };
}

/** Every host runs `app` with OLD config, up to date as lading left it. */
function factsOf(over: (host: string) => { status?: string; running?: boolean; health?: string; healthLog?: string } = () => ({})) {
  const c = container("app", "app");
  const f1 = file("app", "app.ini", OLD);
  const hash = configHashOf([{ path: f1.path, sha256: sha(OLD), mode: "0644", owner: "root" }]);
  return new Map(
    HOSTS.map((h) => {
      const f = withImages(facts(), c.image);
      f.files.set(f1.path, fileFact(OLD));
      f.containers.set("app", runningFact(c, hash, over(h)));
      return [h, f];
    }),
  );
}

interface Run {
  ok: boolean;
  log: string[];
  events: RunEvent[];
  transports: Map<string, FakeTransport>;
}

async function run(desired: DesiredState, respond: Responder, opts: { facts?: ReturnType<typeof factsOf>; serial?: number; hostParams?: Map<string, Record<string, unknown>>; everyService?: DesiredState } = {}): Promise<Run> {
  const f = opts.facts ?? factsOf();
  const plan = buildPlan({ desired, facts: f, secrets: {}, mode: "reconfigure" });
  const log: string[] = [];
  const events: RunEvent[] = [];
  const transports = new Map(HOSTS.map((h) => [h, new FakeTransport(h, log, respond)]));
  const res = await applyPlan({ plan, desired, facts: f, transports, secrets: {}, emit: (e) => events.push(e), forks: 10, serialOverride: opts.serial, hostParams: opts.hostParams, everyService: opts.everyService });
  return { ok: res.ok, log, events, transports };
}

/**
 * Puts a running HAProxy on every host in front of the app, which gets a new port (so it is recreated: the
 * planner compares the spec); returns the facts with HAProxy running.
 */
function behindHaproxy(d: DesiredState, port: number): ReturnType<typeof factsOf> {
  const lbContainer = container("haproxy", "haproxy");
  const lb = service("haproxy", [], [lbContainer], { rollout: { gate: { kind: "haproxy", container: "haproxy" } } });
  for (const h of d.hosts.values()) {
    h.services.unshift(lb);
    h.services[1]!.containers[0]!.ports = [port];
  }
  const f = factsOf();
  for (const hf of f.values()) {
    hf.containers.set("haproxy", runningFact(lbContainer, configHashOf([])));
    hf.images.set(lbContainer.image, { id: `sha256:${lbContainer.image}`, repoTags: [lbContainer.image], repoDigests: [] });
  }
  return f;
}

const healthy: Responder = (_h, argv) => (argv[1] === "inspect" && argv.includes("{{.Id}}") ? { stdout: "newid\n" } : argv[1] === "inspect" ? { stdout: "running healthy\n" } : undefined);

describe("rollout engine (fake transports)", function () {
  this.timeout(20_000);

  it("a changed host costs one round trip for all its files and the restart, then the gate: each file and the restart keep their events", async () => {
    const c = container("app", "app");
    const two = service("app", [file("app", "app.ini", NEW), file("app", "extra.ini", NEW)], [c]);
    const desired: DesiredState = { hosts: new Map(HOSTS.map((h, i) => [h, { name: h, address: `10.0.0.${i + 1}`, stateFile: "/etc/lading/.lading/state.json", services: [two] }])) };
    const r = await run(desired, healthy);
    assert.equal(r.ok, true);
    for (const h of HOSTS) {
      // putFiles with the docker restart, one gate check (healthy at once), and the state file (which a real run
      // writes in its final exec with the audit log: src/lifecycle/run-lock.ts); the container id comes from the facts.
      assert.equal(r.transports.get(h)!.stats.execs, 3, r.log.filter((l) => l.startsWith(`${h}:`)).join("\n"));
      const restarts = r.events.filter((e) => e.type === "step" && e.host === h && e.kind === "restart").map((e) => e.type === "step" && e.status);
      assert.deepEqual(restarts, ["start", "ok"]);
      assert.ok(!r.log.some((l) => l.startsWith(`${h}: docker inspect --format {{.Id}}`)));
      const writes = r.events.filter((e) => e.type === "step" && e.host === h && e.kind === "write").map((e) => e.type === "step" && `${e.status} ${e.target}`);
      assert.deepEqual(writes, ["start /etc/lading/app/app.ini", "start /etc/lading/app/extra.ini", "ok /etc/lading/app/app.ini", "ok /etc/lading/app/extra.ini"]);
    }
  });

  it("a restart that fails in the round trip of the writes halts the rollout with its error: the files are in place, nothing else touched", async () => {
    const failing: Responder = (h, argv) => (h === "h1" && argv[1] === "restart" ? { code: 1, stderr: "Error response from daemon: cannot restart app\n" } : healthy(h, argv));
    const r = await run(desiredOf({}), failing);
    assert.equal(r.ok, false);
    const failed = r.events.find((e) => e.type === "step" && e.kind === "restart" && e.status === "failed");
    assert.ok(failed && failed.type === "step" && /docker restart app failed \(exit 1\): Error response from daemon: cannot restart app/.test(failed.error ?? ""), JSON.stringify(failed));
    assert.equal(r.transports.get("h1")!.files.get("/etc/lading/app/app.ini")?.content, NEW);
    assert.deepEqual(actions(r.log).filter((l) => !l.startsWith("h1:")), []);
  });

  it("restarts one host at a time by default, each gated before the next starts", async () => {
    const r = await run(desiredOf({}), healthy);
    assert.equal(r.ok, true);
    assert.deepEqual(actions(r.log), [
      "h1: put /etc/lading/app/app.ini 0644", "h1: docker restart app",
      "h2: put /etc/lading/app/app.ini 0644", "h2: docker restart app",
      "h3: put /etc/lading/app/app.ini 0644", "h3: docker restart app",
    ]);
    // The gate of h1 was checked after its restart and before anything happened on h2.
    const gateH1 = r.log.findIndex((l) => l.startsWith("h1: docker inspect --format {{.State.Status}}"));
    assert.ok(gateH1 > r.log.indexOf("h1: docker restart app") && gateH1 < r.log.indexOf("h2: put /etc/lading/app/app.ini 0644"));
    assert.deepEqual(r.events.filter((e) => e.type === "batch").map((e) => e.type === "batch" && e.hosts), [["h1"], ["h2"], ["h3"]]);
  });

  it("takes batch sizes in Ansible's list form", async () => {
    const r = await run(desiredOf({ batch: [1, 2] }), healthy);
    assert.deepEqual(r.events.filter((e) => e.type === "batch").map((e) => e.type === "batch" && e.hosts), [["h1"], ["h2", "h3"]]);
  });

  it("halts when the first batch fails its gate: the other hosts are never touched, the report names host, gate and log lines", async () => {
    const sick: Responder = (h, argv) => {
      if (argv[1] === "logs") return { stdout: "Traceback: config broken\n" };
      if (argv[1] === "inspect" && !argv.includes("{{.Id}}")) return { stdout: "running unhealthy\n" };
      return healthy(h, argv);
    };
    const r = await run(desiredOf({ deadline: "300ms" }), sick);
    assert.equal(r.ok, false);
    assert.deepEqual(actions(r.log), ["h1: put /etc/lading/app/app.ini 0644", "h1: docker restart app", "h1: docker logs --tail 20 app"]);
    const halt = r.events.find((e) => e.type === "halt");
    assert.ok(halt && halt.type === "halt");
    assert.equal(halt.host, "h1");
    assert.deepEqual(halt.untouched, ["h2", "h3"]);
    assert.match(halt.reason, /gate healthcheck of app failed: .*app is unhealthy/);
    assert.match(halt.reason, /Traceback: config broken/);
  });

  it("with onFailure: revert, puts the previous file back, restarts and gates the failed host again, then halts", async () => {
    let restarts = 0;
    const breaksOnNewConfig: Responder = (h, argv) => {
      if (argv[1] === "restart") restarts++;
      if (argv[1] === "inspect" && !argv.includes("{{.Id}}")) return { stdout: restarts === 1 ? "running unhealthy\n" : "running healthy\n" };
      return healthy(h, argv);
    };
    const r = await run(desiredOf({ deadline: "300ms", onFailure: "revert" }), breaksOnNewConfig);
    assert.equal(r.ok, false);
    assert.deepEqual(actions(r.log), [
      "h1: put /etc/lading/app/app.ini 0644", "h1: docker restart app", "h1: docker logs --tail 20 app",
      "h1: put /etc/lading/app/app.ini 0644", "h1: docker restart app",
    ]);
    assert.equal(r.transports.get("h1")!.files.get("/etc/lading/app/app.ini")!.content, OLD);
    assert.deepEqual(r.events.filter((e) => e.type === "revert"), [{ type: "revert", service: "app", host: "h1", status: "ok", error: undefined }]);
    const halt = r.events.find((e) => e.type === "halt");
    assert.ok(halt && halt.type === "halt" && halt.untouched.join() === "h2,h3");
  });

  it("reverts a recreated container to the spec and image of its lading.spec label", async () => {
    const d = desiredOf({ deadline: "300ms", onFailure: "revert" }, OLD);
    for (const h of d.hosts.values()) h.services[0]!.containers[0]!.environment = { MODE: "broken" };
    let runs = 0;
    const r = await run(d, (h, argv) => {
      if (argv[1] === "run") runs++;
      if (argv[1] === "inspect" && !argv.includes("{{.Id}}")) return { stdout: runs === 1 ? "exited none\n" : "running healthy\n" };
      return healthy(h, argv);
    });
    const runsOnH1 = r.log.filter((l) => l.startsWith("h1: docker run"));
    assert.equal(runsOnH1.length, 2);
    assert.match(runsOnH1[0]!, /--env MODE=broken/);
    assert.doesNotMatch(runsOnH1[1]!, /MODE=broken/);
    assert.ok(r.log.every((l) => !l.startsWith("h2:") || /inspect/.test(l)));
  });

  it("refuses to start while a member of a quorum service is down, naming it, before any change", async () => {
    const f = factsOf((h) => (h === "h3" ? { status: "exited", running: false } : {}));
    const r = await run(desiredOf({ quorum: true }), healthy, { facts: f });
    assert.equal(r.ok, false);
    assert.deepEqual(actions(r.log), []);
    const halt = r.events.find((e) => e.type === "halt");
    assert.ok(halt && halt.type === "halt");
    assert.equal(halt.host, "h3");
    assert.match(halt.reason, /rollout refused: the app cluster is already degraded: h3 \(app is exited\)/);
  });

  it("refuses to start any member of a Galera cluster that is down everywhere, pointing to mariadb-recovery", async () => {
    const f = factsOf(() => ({ status: "exited", running: false }));
    const r = await run(desiredOf({ quorum: true, gate: { kind: "galera", container: "app" } }, OLD), healthy, { facts: f });
    assert.equal(r.ok, false);
    assert.deepEqual(actions(r.log), []);
    const halt = r.events.find((e) => e.type === "halt");
    assert.ok(halt && halt.type === "halt");
    assert.match(halt.reason, /every member of the app cluster is down: h1 \(app is exited\), h2 \(app is exited\), h3 \(app is exited\).*Nothing was changed: run lading mariadb-recovery/);
  });

  it("starts a non-Galera quorum service that is down everywhere (RabbitMQ nodes wait for each other)", async () => {
    const f = factsOf(() => ({ status: "exited", running: false }));
    const r = await run(desiredOf({ quorum: true }, OLD), healthy, { facts: f });
    assert.equal(r.ok, true);
    assert.deepEqual(actions(r.log).sort(), ["h1: docker start app", "h2: docker start app", "h3: docker start app"]);
  });

  it("checks the other members live before each batch: one lost since the facts halts the rollout before the next stop", async () => {
    let h1Restarted = false;
    const r = await run(desiredOf({ quorum: true }), (h, argv) => {
      if (h === "h1" && argv[1] === "restart") h1Restarted = true;
      if (h === "h3" && h1Restarted && argv[1] === "inspect" && !argv.includes("{{.Id}}")) return { stdout: "exited none\n" };
      return healthy(h, argv);
    });
    assert.equal(r.ok, false);
    const stops = actions(r.log).filter((l) => / docker (restart|stop)/.test(l));
    assert.deepEqual(stops, ["h1: docker restart app"]);
    const halt = r.events.find((e) => e.type === "halt");
    assert.ok(halt && halt.type === "halt");
    assert.equal(halt.host, "h3");
    assert.match(halt.reason, /^quorum guard: h3: healthcheck: app is exited; stopping h2 now could take the app cluster below its quorum/);
    assert.deepEqual(halt.untouched, ["h2", "h3"]);
  });

  it("counts a member that does not answer (a partitioned host) as lost, after a second look", async () => {
    const hang = new FakeTransport("h3", [], () => undefined);
    hang.exec = () => new Promise(() => undefined);
    const ok = new FakeTransport("h2", [], healthy);
    const app = svc({ quorum: true });
    const lost = await membersNotAnswering(["h2", "h3"], (h) => ({ transport: h === "h3" ? hang : ok, service: app, expectedMembers: 3, address: "10.0.0.9" }), 30);
    assert.deepEqual(lost, [{ host: "h3", detail: "healthcheck: no answer within 0.03 s" }]);
  });

  describe("a member the engine still calls unhealthy (its last healthcheck is older than its recovery)", () => {
    const galera = { quorum: true, gate: { kind: "galera" as const, container: "app" } };
    const staleH3 = () => factsOf((h) => (h === "h3" ? { health: "unhealthy", healthLog: "WSREP: not synced" } : {}));
    const wsrep = (state: string, size: number) => ({ stdout: `wsrep_cluster_size\t${size}\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\t${state}\n` });

    it("asks its Galera gate now: Synced in a cluster of 3, it counts as healthy and the rollout goes ahead, with a warning", async () => {
      const r = await run(desiredOf(galera), (h, argv) => (argv.includes("mysql") ? wsrep("Synced", 3) : healthy(h, argv)), { facts: staleH3() });
      assert.equal(r.ok, true, JSON.stringify(r.events.find((e) => e.type === "halt")));
      assert.deepEqual(actions(r.log).filter((l) => / docker restart/.test(l)), ["h1: docker restart app", "h2: docker restart app", "h3: docker restart app"]);
      const w = r.events.find((e) => e.type === "warning" && e.host === "h3");
      assert.ok(w && w.type === "warning");
      assert.match(w.message, /^app: the engine still reports app unhealthy from its last healthcheck, but its galera gate passes now: counted as healthy$/);
      // Asked before any change: the first mysql call on h3 precedes the first write anywhere.
      assert.ok(r.log.findIndex((l) => l.startsWith("h3:") && l.includes("mysql")) < r.log.findIndex((l) => l.includes(" put ")));
    });

    it("still refuses when the gate fails now (Joined, not Synced), naming the member, before any change", async () => {
      const r = await run(desiredOf(galera), (h, argv) => (argv.includes("mysql") ? (h === "h3" ? wsrep("Joined", 3) : wsrep("Synced", 3)) : healthy(h, argv)), { facts: staleH3() });
      assert.equal(r.ok, false);
      assert.deepEqual(actions(r.log), []);
      const halt = r.events.find((e) => e.type === "halt");
      assert.ok(halt && halt.type === "halt");
      assert.match(halt.reason, /the app cluster is already degraded: h3 \(app is unhealthy \(WSREP: not synced\)\); restarting h1, h2 now/);
      assert.ok(!r.events.some((e) => e.type === "warning" && e.host === "h3"));
    });

    it("does not ask again a service gated on the healthcheck itself (the engine would repeat its state)", async () => {
      const r = await run(desiredOf({ quorum: true }), healthy, { facts: staleH3() });
      assert.equal(r.ok, false);
      assert.deepEqual(r.log.filter((l) => l.startsWith("h3:")), []);
    });
  });

  it("lets a rollout that only brings the down member back go ahead", async () => {
    const f = factsOf((h) => (h === "h3" ? { status: "exited", running: false } : {}));
    const r = await run(desiredOf({ quorum: true }, OLD), healthy, { facts: f });
    assert.equal(r.ok, true);
    assert.deepEqual(actions(r.log), ["h3: docker start app"]);
  });

  it("keeps quorum under --serial: batches of a 3-member cluster stay at one host", async () => {
    const r = await run(desiredOf({ quorum: true }), healthy, { serial: 3 });
    assert.deepEqual(r.events.filter((e) => e.type === "batch").map((e) => e.type === "batch" && e.hosts), [["h1"], ["h2"], ["h3"]]);
  });

  it("restarts the VIP holder last", async () => {
    const r = await run(desiredOf({ vipLast: true }), (h, argv) => {
      if (argv[0] === "ip") return { stdout: `2: eth0    inet 10.0.0.${h.slice(1)}/24 brd 10.0.0.255 scope global eth0\n${h === "h1" ? "2: eth0    inet 10.0.0.100/24 scope global secondary eth0\n" : ""}` };
      return healthy(h, argv);
    }, { hostParams: new Map(HOSTS.map((h) => [h, { vip_address: "10.0.0.100" }])) });
    assert.deepEqual(r.events.filter((e) => e.type === "batch").map((e) => e.type === "batch" && e.hosts), [["h2"], ["h3"], ["h1"]]);
  });

  it("drains a running member before it restarts", async () => {
    const r = await run(desiredOf({ drain: ["rabbitmq-upgrade", "drain"], revive: ["rabbitmq-upgrade", "revive"] }), healthy);
    assert.deepEqual(actions(r.log).slice(0, 4), ["h1: put /etc/lading/app/app.ini 0644", "h1: docker exec app rabbitmq-upgrade drain", "h1: docker restart app", "h1: docker exec app rabbitmq-upgrade revive"]);
  });

  for (const limited of [false, true])
  it(`takes a host out of the HAProxies in front of it while it restarts, and puts it back after its gate${limited ? " (a run limited to the app: --service)" : ""}`, async () => {
    const d = desiredOf({});
    const f = behindHaproxy(d, 8080);
    const stat = "# pxname,svname,status,addr\nweb,FRONTEND,OPEN,\nweb,h1,UP,10.0.0.1:8080\nweb,h2,UP,10.0.0.2:8080\nweb,h3,UP,10.0.0.3:8080\nweb,BACKEND,UP,\n";
    // Limited to the app, the run's desired state lacks HAProxy: the load balancers come from every service's.
    const appOnly: DesiredState = { hosts: new Map([...d.hosts].map(([name, h]) => [name, { ...h, services: h.services.filter((x) => x.name !== "haproxy") }])) };
    const r = await run(limited ? appOnly : d, (h, argv) => (argv.includes("show stat") || argv.some((a) => a.includes("show stat")) ? (argv.includes("/run/haproxy/admin.sock") ? { stdout: stat } : undefined) : healthy(h, argv)), { facts: f, everyService: limited ? d : undefined });
    assert.equal(r.ok, true);
    const h2 = actions(r.log).filter((l) => l.includes("web/h2") || l.startsWith("h2: docker stop"));
    const admin = `sh -c ${hostScript("haproxy-admin.sh")} lading-haproxy-admin /run/haproxy/admin.sock`;
    assert.deepEqual(h2, [
      `h1: docker exec haproxy ${admin} set server web/h2 state maint`,
      `h2: docker exec haproxy ${admin} set server web/h2 state maint`,
      `h3: docker exec haproxy ${admin} set server web/h2 state maint`,
      "h2: docker stop app",
      `h1: docker exec haproxy ${admin} set server web/h2 state ready`,
      `h2: docker exec haproxy ${admin} set server web/h2 state ready`,
      `h3: docker exec haproxy ${admin} set server web/h2 state ready`,
    ]);
  });

  it("waits before a drain until another server of the proxy serves (right after a first deploy HAProxy still counts them up)", async () => {
    const d = desiredOf({});
    const f = behindHaproxy(d, 8080);
    // The first two looks on each load balancer: h2 and h3 are still coming up ("DOWN 1/2").
    const looks = new Map<string, number>();
    const log: string[] = [];
    const r = await run(d, (h, argv) => {
      if (!argv.some((a) => a.includes("show stat"))) return healthy(h, argv);
      const n = (looks.get(h) ?? 0) + 1;
      looks.set(h, n);
      const others = n <= 3 ? "DOWN 1/2" : "UP";
      log.push(`${h} look ${n}: ${others}`);
      return { stdout: `# pxname,svname,status,addr\nweb,h1,UP,10.0.0.1:8080\nweb,h2,${others},10.0.0.2:8080\nweb,h3,${others},10.0.0.3:8080\n` };
    }, { facts: f });
    assert.equal(r.ok, true);
    const first = r.log.findIndex((l) => l.includes("web/h1 state maint"));
    const lastLookBefore = r.log.slice(0, first).filter((l) => l.includes("show stat")).length;
    // One look to find the servers, then looks until every load balancer sees h2/h3 up (the fourth on each).
    assert.ok(lastLookBefore >= 3 * 4, `the drain of h1 waited for the others: ${lastLookBefore} looks before it\n${log.join("\n")}`);
    assert.ok(!r.events.some((e) => e.type === "warning"), "no warning: the others came up in time");
  });

  it("a Galera node out of rotation lets its transactions in flight finish, then HAProxy closes the idle connections, before it stops", async () => {
    const d = desiredOf({ gate: { kind: "galera", container: "app" }, quorum: true });
    const f = behindHaproxy(d, 3306);
    const stat = "# pxname,svname,status,addr\nmariadb,h1,UP,10.0.0.1:3306\nmariadb,h2,UP,10.0.0.2:3306\nmariadb,h3,UP,10.0.0.3:3306\n";
    let inFlight = 2;
    const r = await run(d, (h, argv, stdin) => {
      if (argv.some((a) => a.includes("show stat"))) return { stdout: stat };
      if (stdin?.includes("information_schema.processlist")) return { stdout: `${h === "h1" ? Math.max(0, inFlight--) : 0}\n` };
      if (stdin?.includes("wsrep_cluster_size")) return { stdout: "wsrep_local_state_comment\tSynced\nwsrep_cluster_size\t3\nwsrep_cluster_status\tPrimary\n" };
      return healthy(h, argv);
    }, { facts: f });
    assert.equal(r.ok, true, JSON.stringify(r.events.filter((e) => e.type === "halt" || e.type === "warning")));
    const h1 = r.log.filter((l) => /mariadb\/h1 state maint|processlist|shutdown sessions|h1: docker stop/.test(l) || (l.startsWith("h1:") && l.includes("mysql"))).map((l) => (l.includes("state maint") ? `${l.slice(0, 3)} maint` : l.includes("shutdown sessions") ? `${l.slice(0, 3)} shutdown sessions server mariadb/h1` : l.includes("docker stop") ? "h1: stop" : "h1: in flight?"));
    const firstStop = h1.indexOf("h1: stop");
    const before = h1.slice(0, firstStop);
    assert.deepEqual(before.filter((l) => l.endsWith("maint")).length, 3, before.join("\n"));
    assert.deepEqual(before.filter((l) => l === "h1: in flight?").length, 3, "asked until nothing was in flight (2, 1, 0)");
    assert.deepEqual(before.filter((l) => l.includes("shutdown sessions")).sort(), ["h1: shutdown sessions server mariadb/h1", "h2: shutdown sessions server mariadb/h1", "h3: shutdown sessions server mariadb/h1"]);
    assert.ok(before.lastIndexOf("h1: in flight?") < before.findIndex((l) => l.includes("shutdown sessions")), "sessions are closed once nothing is in flight");
  });

  it("a load balancer cut off mid-rollout is a warning: the batch that passed its gate stays a success", async () => {
    const d = desiredOf({});
    const f = behindHaproxy(d, 8080);
    const stat = "# pxname,svname,status,addr\nweb,h1,UP,10.0.0.1:8080\nweb,h2,UP,10.0.0.2:8080\nweb,h3,UP,10.0.0.3:8080\n";
    let cut = false;
    const r = await run(d, (h, argv) => {
      // h3 drops off the network once h1's app was stopped: putting h1 back on h3's HAProxy cannot reach it.
      if (argv.includes("stop") && argv.includes("app") && h === "h1") cut = true;
      if (h === "h3" && cut && argv[1] === "exec") throw new Error("h3: Keepalive timeout");
      return argv.some((a) => a.includes("show stat")) ? { stdout: stat } : healthy(h, argv);
    }, { facts: f });
    assert.ok(r.events.some((e) => e.type === "warning" && e.host === "h1" && /could not put h3 web\/h1: h3: Keepalive timeout/.test(e.message)), JSON.stringify(r.events.filter((e) => e.type === "warning")));
    assert.ok(r.events.some((e) => e.type === "warning" && e.host === "h2" && /could not ask the load balancer on h3: h3: Keepalive timeout/.test(e.message)));
    assert.ok(!r.events.some((e) => e.type === "halt" && e.host === "h1"), "h1's batch is not failed by an unreachable load balancer");
  });

  it("after a stale lock was broken, puts back in rotation the servers a dead run left in maintenance", async () => {
    const d = desiredOf({}, OLD);
    const lbContainer = container("haproxy", "haproxy");
    const lb = service("haproxy", [], [lbContainer], { rollout: { gate: { kind: "haproxy", container: "haproxy" } } });
    for (const h of d.hosts.values()) h.services.unshift(lb);
    const stat = "# pxname,svname,status,addr\nweb,FRONTEND,OPEN,\nweb,h1,UP,10.0.0.1:8080\nweb,h2,MAINT,10.0.0.2:8080\nweb,h3,UP,10.0.0.3:8080\nweb,BACKEND,UP,\n";
    const respond: Responder = (h, argv) => (argv.some((a) => a.includes("show stat")) ? { stdout: stat } : healthy(h, argv));
    const withLb = (lock?: string) => {
      const f = factsOf();
      for (const hf of f.values()) {
        hf.containers.set("haproxy", runningFact(lbContainer, configHashOf([])));
        hf.images.set(lbContainer.image, { id: `sha256:${lbContainer.image}`, repoTags: [lbContainer.image], repoDigests: [] });
        hf.lock = lock;
      }
      return f;
    };
    const normal = await run(d, respond, { facts: withLb() });
    assert.ok(!normal.log.some((l) => l.includes("state ready")), "an operator's maintenance is left alone on a normal run");
    const after = await run(d, respond, { facts: withLb('{"who":"ann@ctl","pid":1}') });
    assert.deepEqual(actions(after.log).filter((l) => l.includes("state ready")).map((l) => `${l.slice(0, 3)} ${l.slice(l.indexOf("set server"))}`), ["h1: set server web/h2 state ready", "h2: set server web/h2 state ready", "h3: set server web/h2 state ready"]);
    assert.ok(after.events.some((e) => e.type === "warning" && /web\/h2 was left in maintenance by the run that died/.test(e.message)));
  });

  it("goes on past a failed host within maxFailPercentage", async () => {
    const r = await run(desiredOf({ deadline: "300ms", maxFailPercentage: 34 }), (h, argv) => {
      if (h === "h2" && argv[1] === "inspect" && !argv.includes("{{.Id}}")) return { stdout: "running unhealthy\n" };
      return healthy(h, argv);
    });
    assert.equal(r.ok, true);
    assert.ok(r.log.includes("h3: docker restart app"));
    assert.ok(r.events.some((e) => e.type === "warning" && /1 of 3 hosts failed/.test(e.message)));
  });
});
