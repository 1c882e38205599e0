import assert from "node:assert/strict";
import { applyDestroy, destroyAllPlan, destroyPlan, formatDestroyPlan, removePathArgv } from "../../../src/lifecycle/destroy.js";
import type { RunEvent } from "../../../src/apply/events.js";
import type { HostFacts } from "../../../src/facts/parse.js";
import type { DesiredService } from "../../../src/render/desired.js";
import { container, facts, file, fileFact, runningFact, service, state } from "../engine/fixtures.js";
import { FakeTransport } from "./fake-transport.js";

function galera(): DesiredService {
  return service("mariadb", [file("mariadb", "galera.cnf", "x")], [container("mariadb", "mariadb", { volumes: [{ kind: "volume", source: "mariadb", target: "/var/lib/mysql", readOnly: false }] })], { rollout: { gate: { kind: "galera" } } });
}
function rabbit(): DesiredService {
  return service("rabbitmq", [], [container("rabbitmq", "rabbitmq")], { rollout: { gate: { kind: "rabbitmq" } } });
}
function haproxy(cfg: string): DesiredService {
  return service("haproxy", [file("haproxy", "haproxy.cfg", cfg, { restarts: ["haproxy"] })], [container("haproxy", "haproxy")], { rollout: { gate: { kind: "haproxy" } } });
}
function webapp(): DesiredService {
  return service("webapp", [file("webapp", "webapp.ini", "w")], [container("webapp", "webapp")], {
    database: { name: "webapp", user: "webuser", passwordSecret: "p" },
    messaging: { vhost: "webapp", user: "webmq", passwordSecret: "q" },
  });
}

function hostFacts(services: DesiredService[], extra: Partial<HostFacts> = {}): HostFacts {
  const f = facts({ volumes: new Set(["mariadb", "webapp-data", "unrelated"]), state: { registrations: { "database/webapp": "1", "messaging/webapp": "2", "database/other": "3" }, containers: { webapp: { id: "id-webapp", configHash: "c" } } }, ...extra });
  for (const s of services) {
    for (const c of s.containers) f.containers.set(c.name, runningFact(c, "c"));
    for (const x of s.files) f.files.set(x.path, fileFact(x.content));
  }
  return f;
}

describe("destroy --service", () => {
  const before = state({ h1: [galera(), rabbit(), haproxy("frontend webapp\nfrontend db\n"), webapp()], h2: [galera(), rabbit(), haproxy("frontend webapp\nfrontend db\n"), webapp()] });
  const without = state({ h1: [galera(), rabbit(), haproxy("frontend db\n")], h2: [galera(), rabbit(), haproxy("frontend db\n")] });
  const f = new Map([["h1", hostFacts(before.hosts.get("h1")!.services)], ["h2", hostFacts(before.hosts.get("h2")!.services)]]);

  it("plans the load balancer first, then containers, volumes, files, registrations once, revisions and records", () => {
    const plan = destroyPlan(before, without, f, "webapp", { volumes: ["webapp-data"], paths: ["/var/log/webapp"] });
    const lines = plan.steps.map((s) => `${s.host} ${s.kind} ${"reason" in s ? s.reason : ""}`);
    assert.deepEqual(lines, [
      "h1 write haproxy.cfg: drops webapp",
      "h1 reload haproxy: reload without webapp (graceful)",
      "h2 write haproxy.cfg: drops webapp",
      "h2 reload haproxy: reload without webapp (graceful)",
      "h1 remove-container webapp: container of webapp",
      "h1 remove-volume webapp-data: volume of webapp",
      "h1 remove-path config directory of webapp",
      "h1 remove-path listed in webapp's destroy.paths",
      "h1 remove-path revisions of webapp",
      "h1 drop-database database webapp and user webuser of webapp",
      "h1 remove-messaging queue user webmq and vhost webapp of webapp",
      "h2 remove-container webapp: container of webapp",
      "h2 remove-volume webapp-data: volume of webapp",
      "h2 remove-path config directory of webapp",
      "h2 remove-path listed in webapp's destroy.paths",
      "h2 remove-path revisions of webapp",
      "h1 forget-state lading's records of webapp",
      "h2 forget-state lading's records of webapp",
    ]);
    // Nothing of the other services goes: not the Galera volume, not their containers.
    assert.ok(!plan.steps.some((s) => s.kind === "remove-volume" && s.volume === "mariadb"));
    assert.ok(!plan.steps.some((s) => s.kind === "remove-container" && s.container !== "webapp"));
    const forget = plan.steps.find((s) => s.kind === "forget-state");
    assert.ok(forget?.kind === "forget-state");
    assert.deepEqual(forget.state.registrations, { "database/other": "3" });
    // HAProxy's record carries the hash of its new config, so the next plan does not restart it.
    assert.ok(forget.state.containers?.haproxy?.configHash);
    assert.equal(forget.state.containers?.webapp, undefined);
    assert.match(formatDestroyPlan(plan), /18 step\(s\) to destroy webapp\n$/);
  });

  it("runs the steps: USR2 to HAProxy, SQL on stdin, rabbitmqctl, rm -rf of exact paths", async () => {
    const plan = destroyPlan(before, without, f, "webapp", { volumes: ["webapp-data"] });
    const ts = new Map([["h1", new FakeTransport("h1")], ["h2", new FakeTransport("h2")]]);
    const events: RunEvent[] = [];
    assert.equal(await applyDestroy(plan, ts, {}, (e) => void events.push(e)), true);
    const h1 = ts.get("h1")!;
    const cmds = h1.commands();
    assert.ok(cmds.includes("docker kill --signal USR2 haproxy"));
    assert.ok(cmds.includes("docker rm --force webapp"));
    assert.ok(cmds.includes("docker volume rm --force webapp-data"));
    assert.ok(cmds.includes("rm -rf -- /etc/lading/webapp"));
    assert.ok(cmds.includes("rm -rf -- /etc/lading/.lading/revisions/webapp"));
    const sql = h1.calls.find((c) => c.argv.includes("mysql"));
    assert.match(sql!.stdin!, /DROP DATABASE IF EXISTS `webapp`;\nDROP USER IF EXISTS 'webuser'@'%';/);
    assert.ok(cmds.includes("docker exec rabbitmq rabbitmqctl --quiet delete_user webmq"));
    assert.ok(cmds.includes("docker exec rabbitmq rabbitmqctl --quiet delete_vhost webapp"));
    assert.equal(h1.files.get("/etc/lading/haproxy/haproxy.cfg")?.content, "frontend db\n");
    assert.ok(!cmds.some((c) => c.includes("mariadb") && c.startsWith("docker rm")));
    assert.equal(events.filter((e) => e.type === "step" && e.status === "ok").length, plan.steps.length);
  });

  it("stops at the first failed step", async () => {
    const plan = destroyPlan(before, without, f, "webapp", undefined);
    const failing = new FakeTransport("h1", (argv) => (argv[1] === "rm" ? { code: 1, stderr: "boom" } : {}));
    const ts = new Map([["h1", failing], ["h2", new FakeTransport("h2")]]);
    assert.equal(await applyDestroy(plan, ts, {}, () => undefined), false);
    assert.equal(ts.get("h2")!.calls.filter((c) => c.argv[1] === "rm").length, 0);
  });

  it("warns instead of dropping a registration when no cluster node runs", () => {
    const down = new Map([...f].map(([h, x]) => [h, { ...x, containers: new Map([...x.containers].filter(([n]) => n !== "mariadb")) }]));
    const plan = destroyPlan(before, without, down, "webapp", undefined);
    assert.ok(!plan.steps.some((s) => s.kind === "drop-database"));
    assert.match(plan.warnings.join("\n"), /no running Galera node is reachable/);
  });

  it("refuses to remove relative or top-level paths", () => {
    assert.throws(() => removePathArgv("/"), /refusing/);
    assert.throws(() => removePathArgv("/etc"), /refusing/);
    assert.throws(() => removePathArgv("etc/lading"), /refusing/);
    assert.deepEqual(removePathArgv("/etc/lading"), ["rm", "-rf", "--", "/etc/lading"]);
  });
});

describe("destroy --all", () => {
  it("removes every managed container, the volumes of every role and the config directory", () => {
    const d = state({ h1: [galera(), webapp()] });
    const f = new Map([["h1", hostFacts(d.hosts.get("h1")!.services)]]);
    const plan = destroyAllPlan(d, f, new Map([["mariadb", { volumes: ["mariadb"] }], ["webapp", { volumes: ["webapp-data"] }]]));
    assert.deepEqual(plan.steps.map((s) => `${s.kind} ${"container" in s ? s.container : "volume" in s ? s.volume : "path" in s ? s.path : ""}`), [
      "remove-container mariadb",
      "remove-container webapp",
      "remove-volume mariadb",
      "remove-volume webapp-data",
      "remove-path /etc/lading",
    ]);
  });
});
