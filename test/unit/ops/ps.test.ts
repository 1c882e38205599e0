import assert from "node:assert/strict";
import { containerFact, healthSinceOf, type InspectedObject } from "../../../src/facts/parse.js";
import { formatPsTable, psRows } from "../../../src/ops/ps.js";
import { buildPlan, configHashOf } from "../../../src/plan/plan.js";
import { container, facts, file, fileFact, runningFact, service, sha, state, withImages } from "../engine/fixtures.js";

const cnf = "-m 64\n";
const mc = container("memcached", "memcached");
const f1 = file("memcached", "memcached.conf", cnf);
const hash = configHashOf([{ path: f1.path, sha256: sha(cnf), mode: "0644", owner: "root" }]);
const NOW = Date.parse("2026-01-01T02:00:00Z");

function hostFacts(over: { running?: boolean; content?: string } = {}) {
  const f = withImages(facts(), mc.image);
  f.images.get(mc.image)!.repoDigests = ["lading/memcached@sha256:abcdef0123456789"];
  f.files.set(f1.path, fileFact(over.content ?? cnf));
  const running = over.running ?? true;
  f.containers.set(
    mc.name,
    runningFact(mc, hash, {
      running,
      status: running ? "running" : "exited",
      health: running ? "healthy" : undefined,
      healthSince: "2026-01-01T01:59:00Z",
      healthSinceAtLeast: true,
      startedAt: "2026-01-01T00:00:00Z",
    }),
  );
  f.state = { revisions: { memcached: { rev: 4, fingerprint: "x" } } };
  return f;
}

function rowsFor(byHost: Record<string, ReturnType<typeof hostFacts> | undefined>) {
  const desired = state(Object.fromEntries(Object.keys(byHost).map((h) => [h, [service("memcached", [f1], [mc])]])));
  const fm = new Map(Object.entries(byHost).filter(([, f]) => f) as [string, ReturnType<typeof hostFacts>][]);
  const plan = buildPlan({ desired, facts: fm, secrets: {}, mode: "deploy" });
  return psRows({ desired, facts: fm, plan, unreachable: new Map(), now: NOW });
}

describe("ps rows", () => {
  it("gives state, health and since when, image and digest, uptime and revision of an in-sync container", () => {
    const [row] = rowsFor({ h1: hostFacts() });
    assert.deepEqual(
      { ...row, drift: row!.drift },
      {
        host: "h1",
        service: "memcached",
        container: "memcached",
        state: "running",
        health: "healthy",
        healthSince: "2026-01-01T01:59:00Z",
        healthSinceAtLeast: true,
        image: mc.image,
        imageId: `sha256:${mc.image}`,
        digest: "lading/memcached@sha256:abcdef0123456789",
        startedAt: "2026-01-01T00:00:00Z",
        uptimeMs: 2 * 3600 * 1000,
        restarts: 0,
        revision: 4,
        drift: [],
      },
    );
  });

  it("flags a container stopped by hand and a file changed on the host as differing, with the plan's reasons", () => {
    const rows = rowsFor({ h1: hostFacts({ running: false }), h2: hostFacts({ content: "-m 1\n" }) });
    const stopped = rows.find((r) => r.host === "h1")!;
    assert.equal(stopped.state, "exited");
    assert.equal(stopped.uptimeMs, undefined);
    assert.match(stopped.drift.join("\n"), /start memcached/);
    const edited = rows.find((r) => r.host === "h2")!;
    assert.match(edited.drift.join("\n"), /memcached\.conf/);
    const table = formatPsTable(rows, NOW);
    assert.match(table, /^h1 .*exited .*DIFFERS: start memcached/m);
    assert.match(table, /^h2 .*running .*healthy \(>1m\) .*2h .*sha256:abcdef012345 .*4 .*DIFFERS/m);
  });

  it("lists a missing container as missing, and gives no row for a host without facts (unreachable)", () => {
    const f = hostFacts();
    f.containers.clear();
    const rows = rowsFor({ h1: f, h2: undefined });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.state, "missing");
    assert.match(rows[0]!.drift.join(" "), /create memcached/);
  });
});

describe("health since (from the engine's kept probes)", () => {
  const probe = (start: string, code: number) => ({ Start: start, ExitCode: code, Output: "" });
  it("is the oldest probe of the newest run agreeing with the status", () => {
    const log = [probe("t1", 1), probe("t2", 0), probe("t3", 0)];
    assert.deepEqual(healthSinceOf("healthy", log), { since: "t2", atLeast: false });
    assert.deepEqual(healthSinceOf("unhealthy", [probe("t1", 0), probe("t2", 1)]), { since: "t2", atLeast: false });
  });
  it("says 'at least' when every kept probe agrees, and nothing while starting", () => {
    assert.deepEqual(healthSinceOf("healthy", [probe("t1", 0), probe("t2", 0)]), { since: "t1", atLeast: true });
    assert.equal(healthSinceOf("starting", [probe("t1", 1)]), undefined);
    assert.equal(healthSinceOf("healthy", []), undefined);
  });
  it("is read from docker inspect's State.Health.Log", () => {
    const j: InspectedObject = {
      Id: "c1",
      Name: "/memcached",
      Image: "sha256:1",
      Config: { Image: "memcached:1" },
      State: { Status: "running", Running: true, StartedAt: "s", Health: { Status: "healthy", Log: [{ Output: "ok", Start: "2026-01-01T00:00:05Z", ExitCode: 0 }] } },
    };
    const c = containerFact(j);
    assert.equal(c.healthSince, "2026-01-01T00:00:05Z");
    assert.equal(c.healthSinceAtLeast, true);
  });
});
