// The rollout timeline's model (src/console/timeline-model.ts, which the console draws): lanes per service and
// host from a run's events, their batches, gates with how long each took, restarts, failures and states.
import assert from "node:assert/strict";
import { buildTimeline, type TimelineEvent } from "../../../src/console/timeline-model.js";
import { pacedReconfigure, recordedRun } from "./recorded-run.js";

const events = (run = recordedRun("r", new Date("2026-01-01T12:00:00Z"))): TimelineEvent[] => run.events as unknown as TimelineEvent[];

describe("rollout timeline model", () => {
  it("has a lane per service and host, in the order the services ran, each with its batch, gate and restart", () => {
    const tl = buildTimeline(events());
    assert.equal(tl.command, "reconfigure");
    assert.deepEqual(tl.services, ["memcached", "webapp", "haproxy"]);
    assert.deepEqual(tl.lanes.map((l) => `${l.service}/${l.host}`), ["memcached", "webapp", "haproxy"].flatMap((s) => ["lab1", "lab2", "lab3"].map((h) => `${s}/${h}`)));
    const lab2 = tl.lanes.find((l) => l.service === "memcached" && l.host === "lab2")!;
    assert.deepEqual(lab2.batch && [lab2.batch.index, lab2.batch.total], [2, 3]);
    assert.deepEqual(lab2.gates, [{ gate: "container", ms: 3200, passed: true }]);
    assert.equal(lab2.restarts, 1);
    const gate = lab2.segments.find((s) => s.kind === "gate")!;
    assert.equal(gate.end! - gate.start, 3200, "the wait drawn as long as it took");
    assert.ok(tl.lanes.every((l) => l.state === "ok"));
    assert.equal(tl.done, true);
    assert.equal(tl.ok, true);
    // Batches run one after the other: lab2 starts after lab1's gate passed.
    const lab1 = tl.lanes.find((l) => l.service === "memcached" && l.host === "lab1")!;
    assert.ok(lab2.batch!.start >= lab1.segments.find((s) => s.kind === "gate")!.end!);
  });

  it("advances as events come: a lane waits on its gate, others have not started", () => {
    const all = events();
    const firstWait = all.findIndex((e) => e.type === "gate" && e.host === "lab1");
    const tl = buildTimeline(all.slice(0, firstWait + 1));
    assert.deepEqual(tl.lanes.map((l) => `${l.host}:${l.state}`), ["lab1:active"]);
    assert.equal(tl.lanes[0]!.segments.at(-1)!.end, undefined, "the gate wait is still open");
    assert.equal(tl.done, false);
  });

  it("marks the lane whose gate failed and the halt, and a failed run", () => {
    let t = Date.parse("2026-01-01T12:00:00Z");
    const evs: TimelineEvent[] = [{ type: "run-start", command: "reconfigure", hosts: ["lab1", "lab2", "lab3"], time: new Date(t).toISOString() }];
    for (const { e, after } of pacedReconfigure({ failOn: "lab2" })) evs.push({ ...e, time: new Date((t += after)).toISOString() } as unknown as TimelineEvent);
    const tl = buildTimeline(evs);
    assert.deepEqual(tl.lanes.map((l) => `${l.service}/${l.host}:${l.state}`), ["memcached/lab1:ok", "memcached/lab2:failed"]);
    assert.match(tl.lanes[1]!.failures.join("\n"), /gate container: unhealthy/);
    assert.match(tl.notes.join("\n"), /halted at memcached on lab2/);
    assert.equal(tl.ok, false);
  });
});
