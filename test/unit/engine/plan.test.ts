import assert from "node:assert/strict";
import { buildPlan, configHashOf, hasChanges, type Step } from "../../../src/plan/plan.js";
import { container, facts, file, fileFact, runningFact, service, sha, state, withImages } from "./fixtures.js";

const cnf = "[mysqld]\nport=3306\n";
const mc = container("memcached", "memcached");
const f1 = file("memcached", "memcached.conf", cnf);
const hashOf = (content: string, mode = "0644"): string => configHashOf([{ path: f1.path, sha256: sha(content), mode, owner: "root" }]);

function upToDate() {
  const f = withImages(facts(), mc.image);
  f.files.set(f1.path, fileFact(cnf));
  f.containers.set(mc.name, runningFact(mc, hashOf(cnf)));
  return f;
}

const kinds = (steps: Step[]): string[] => steps.map((s) => s.kind);

describe("buildPlan", () => {
  const desired = () => state({ h1: [service("memcached", [f1], [mc])] });

  it("plans nothing when files, container and image are as wanted, and says what it left alone", () => {
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", upToDate()]]), secrets: {}, mode: "deploy" });
    assert.equal(hasChanges(plan), false);
    const sp = plan.hosts.get("h1")!.services[0]!;
    assert.deepEqual(sp.unchanged, ["memcached.conf: up to date", "memcached: running, up to date"]);
  });

  it("writes a missing file, pulls a missing image and creates a missing container, with reasons", () => {
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", facts()]]), secrets: {}, mode: "deploy" });
    const hp = plan.hosts.get("h1")!;
    assert.deepEqual(hp.pulls.map((s) => s.reason), ["lading/memcached:1.0: not on the host"]);
    assert.deepEqual(kinds(hp.services[0]!.steps), ["write", "create"]);
    assert.deepEqual(hp.services[0]!.steps.map((s) => s.reason), ["memcached.conf: missing", "memcached: missing"]);
  });

  it("restarts (not recreates) a container whose config file changed, naming the file", () => {
    const wanted = "[mysqld]\nport=3307\n";
    const d = state({ h1: [service("memcached", [{ ...f1, content: wanted }], [mc])] });
    const plan = buildPlan({ desired: d, facts: new Map([["h1", upToDate()]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["write", "restart"]);
    assert.equal(steps[0]!.reason, "memcached.conf: content differs");
    assert.equal(steps[1]!.reason, "memcached: config changed (memcached.conf)");
    assert.equal((steps[0] as { old?: string }).old, cnf);
  });

  it("rewrites a file edited by hand on the host without restarting: the container runs the wanted config", () => {
    const f = upToDate();
    f.files.set(f1.path, fileFact("edited by hand\n"));
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    assert.deepEqual(kinds(plan.hosts.get("h1")!.services[0]!.steps), ["write"]);
  });

  it("rewrites a file whose mode differs", () => {
    const f = upToDate();
    f.files.set(f1.path, fileFact(cnf, "0666"));
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.equal(steps[0]!.reason, "memcached.conf: mode 0666 -> 0644");
  });

  it("recreates a container whose parameters changed and names the fields", () => {
    const f = upToDate();
    const changed = container("memcached", "memcached", { command: ["memcached", "-m", "128"] });
    const plan = buildPlan({ desired: state({ h1: [service("memcached", [f1], [changed])] }), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["recreate"]);
    assert.equal(steps[0]!.reason, "memcached: parameters differ (command)");
  });

  it("recreates a container whose image tag now points at another image", () => {
    const f = upToDate();
    f.images.set(mc.image, { id: "sha256:new", repoTags: [mc.image], repoDigests: [] });
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    assert.equal(plan.hosts.get("h1")!.services[0]!.steps[0]!.reason, "memcached: image differs (lading/memcached:1.0)");
  });

  it("counts a restart recorded in the state file, so a second run does not restart again", () => {
    const f = upToDate();
    const newCnf = "[mysqld]\nport=3307\n";
    f.files.set(f1.path, fileFact(newCnf));
    f.containers.set(mc.name, runningFact(mc, hashOf(cnf), { id: "abc" }));
    f.state = { containers: { memcached: { id: "abc", configHash: hashOf(newCnf) } } };
    const d = state({ h1: [service("memcached", [{ ...f1, content: newCnf }], [mc])] });
    const plan = buildPlan({ desired: d, facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    assert.equal(hasChanges(plan), false);
  });

  it("ignores a state-file record of another container id (the container was recreated since)", () => {
    const f = upToDate();
    f.state = { containers: { memcached: { id: "old-id", configHash: "stale" } } };
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    assert.equal(hasChanges(plan), false);
  });

  it("starts a stopped container that is otherwise up to date", () => {
    const f = upToDate();
    f.containers.set(mc.name, runningFact(mc, hashOf(cnf), { running: false, status: "exited" }));
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    assert.deepEqual(plan.hosts.get("h1")!.services[0]!.steps.map((s) => s.reason), ["memcached: exited"]);
  });

  it("genconfig mode writes files only, never touching containers", () => {
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", facts()]]), secrets: {}, mode: "genconfig" });
    assert.deepEqual(kinds(plan.hosts.get("h1")!.services[0]!.steps), ["write"]);
    assert.deepEqual(plan.hosts.get("h1")!.pulls, []);
  });

  it("deploy-containers mode writes nothing and hashes the files that are on the host", () => {
    const f = upToDate();
    f.files.set(f1.path, fileFact("changed by hand\n"));
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy-containers" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["restart"]);
  });

  it("deploy-containers restarts nothing when the host's files are what the containers started with", () => {
    const numeric = { ...f1, owner: "root:42439", mode: "0640" };
    const f = withImages(facts(), mc.image);
    f.files.set(f1.path, { ...fileFact(cnf, "0640", "root:UNKNOWN"), ownerIds: "0:42439" } as ReturnType<typeof fileFact>);
    f.containers.set(mc.name, runningFact(mc, configHashOf([{ path: f1.path, sha256: sha(cnf), mode: "0640", owner: "root:42439" }])));
    const plan = buildPlan({ desired: state({ h1: [service("memcached", [numeric], [mc])] }), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy-containers" });
    assert.equal(hasChanges(plan), false);
  });

  it("bootstraps a new Galera cluster on its first host only", () => {
    const db = (h: string) => service("mariadb", [], [container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] })]);
    const d = state({ db1: [db("db1")], db2: [db("db2")], db3: [db("db3")] });
    const plan = buildPlan({ desired: d, facts: new Map(["db1", "db2", "db3"].map((h) => [h, facts()])), secrets: {}, mode: "deploy" });
    assert.deepEqual([...plan.bootstrap], [["mariadb", "db1"]]);
    const create = plan.hosts.get("db1")!.services[0]!.steps.find((s) => s.kind === "create");
    assert.equal(create?.kind === "create" && create.bootstrap, true);
    const other = plan.hosts.get("db2")!.services[0]!.steps.find((s) => s.kind === "create");
    assert.equal(other?.kind === "create" && other.bootstrap, undefined);
  });

  it("does not bootstrap when a member of the cluster already exists: new members join", () => {
    const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const d = state({ db1: [service("mariadb", [], [c])], db2: [service("mariadb", [], [c])] });
    const f1x = withImages(facts(), c.image);
    f1x.containers.set("mariadb", runningFact(c, configHashOf([])));
    const plan = buildPlan({ desired: d, facts: new Map([["db1", f1x], ["db2", facts()]]), secrets: {}, mode: "deploy" });
    assert.equal(plan.bootstrap.size, 0);
  });

  it("registers a database once, and again only when the password changes", () => {
    const web = () => service("webapp", [], [], { database: { name: "web", user: "web", passwordSecret: "pw" } });
    const d = state({ h1: [web()] });
    const first = buildPlan({ desired: d, facts: new Map([["h1", facts()]]), secrets: { pw: "secret-one" }, mode: "deploy" });
    const step = first.hosts.get("h1")!.services[0]!.steps[0]!;
    assert.equal(step.kind, "register-database");
    const recorded = facts({ state: { registrations: { [(step as { stateKey: string }).stateKey]: (step as { stateValue: string }).stateValue } } });
    const again = buildPlan({ desired: d, facts: new Map([["h1", recorded]]), secrets: { pw: "secret-one" }, mode: "deploy" });
    assert.equal(hasChanges(again), false);
    const changed = buildPlan({ desired: d, facts: new Map([["h1", recorded]]), secrets: { pw: "secret-two" }, mode: "deploy" });
    assert.equal(changed.hosts.get("h1")!.services[0]!.steps[0]!.kind, "register-database");
    assert.ok(!JSON.stringify(changed.hosts.get("h1")!.services[0]!.steps).includes("secret-two"));
  });

  it("lists containers lading manages that no service wants as orphans", () => {
    const f = upToDate();
    f.containers.set("oldsvc", runningFact(container("oldsvc", "oldsvc"), ""));
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    assert.deepEqual(plan.hosts.get("h1")!.orphans, ["oldsvc"]);
  });
});

describe("ownerMatches", () => {
  it("accepts names or numbers for user and group, as the host reports both", async () => {
    const { ownerMatches } = await import("../../../src/plan/plan.js");
    assert.equal(ownerMatches("root:UNKNOWN", "0:42439", "root:42439"), true);
    assert.equal(ownerMatches("root:root", "0:0", "root"), true);
    assert.equal(ownerMatches("root:root", "0:0", "0:0"), true);
    assert.equal(ownerMatches("root:root", "0:0", "root:42439"), false);
    assert.equal(ownerMatches("mysql:mysql", "42434:42434", "root"), false);
  });
});
