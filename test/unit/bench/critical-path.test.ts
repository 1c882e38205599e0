// The first-deploy benchmark's critical path (bench/first-deploy/critical-path.ts): batches from their batch
// event to their hosts' last gate passed, a service's batches in series, a service after those it waits for.
import assert from "node:assert/strict";
import { criticalPath, type Event, type ScheduleEntry } from "../../../bench/first-deploy/critical-path.js";

const T0 = Date.parse("2026-12-02T20:00:00.000Z");
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const batch = (s: number, service: string, hosts: string[]): Event => ({ type: "batch", time: at(s), service, hosts });
const passed = (s: number, service: string, host: string, elapsedMs = 0): Event => ({ type: "gate", time: at(s), service, host, gate: service, status: "passed", elapsedMs });

describe("first-deploy critical path", () => {
  const schedule: ScheduleEntry[] = [
    { service: "db", after: [], batches: [{ hosts: ["a"], kind: "bootstrap", hold: false }, { hosts: ["b"], kind: "create", hold: false }] },
    { service: "cache", after: [], batches: [{ hosts: ["a", "b"], kind: "create", hold: false }] },
    { service: "app", after: [{ service: "db", why: "dependsOn" }, { service: "cache", why: "dependsOn" }], batches: [{ hosts: ["a", "b"], kind: "create", hold: false }] },
  ];
  const events: Event[] = [
    { type: "run-start", time: at(0) },
    { type: "connect", time: at(1), host: "a", ms: 900 },
    batch(4, "db", ["a"]),
    batch(4, "cache", ["a", "b"]),
    passed(5, "cache", "a"),
    passed(7, "cache", "b", 2500),
    passed(10, "db", "a", 5000),
    batch(10, "db", ["b"]), // the same millisecond as the gate that let it start

    passed(20, "db", "b", 8000),
    batch(21, "app", ["a", "b"]),
    passed(24, "app", "b"),
    passed(25, "app", "a"),
    { type: "recap", time: at(26) },
  ];

  it("takes the longest chain of batches after the time before the first batch", () => {
    const a = criticalPath(events, schedule);
    assert.equal(a.runStartToFirstBatchMs, 4000);
    // db: 4 -> 10 (6 s) then 10 -> 20 (10 s), the gate in the first batch although the second starts in its millisecond.
    assert.deepEqual(a.services.find((s) => s.service === "db")!.batches.map((b) => b.ms), [6000, 10000]);
    assert.deepEqual(a.services.find((s) => s.service === "cache")!.batches.map((b) => b.ms), [3000]);
    assert.equal(a.criticalPathMs, 4000 + 16000 + 4000);
    assert.deepEqual(a.criticalChain, ["db", "app"]);
    assert.equal(a.runMs, 26000);
    assert.equal(a.gates.length, 6);
    assert.equal(a.beforeFirstBatch["connect (max ms)"], 900);
  });

  it("follows the longer dependency when another one is slower", () => {
    const slowCache = events.map((e) => (e.service === "cache" && e.host === "b" ? { ...e, time: at(19.5) } : e));
    const a = criticalPath(slowCache, schedule);
    assert.deepEqual(a.criticalChain, ["db", "app"]);
    const slower = events.map((e) => (e.service === "cache" && e.host === "b" ? { ...e, time: at(20.5) } : e));
    assert.deepEqual(criticalPath(slower, schedule).criticalChain, ["cache", "app"]);
  });
});
