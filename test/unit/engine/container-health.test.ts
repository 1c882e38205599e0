// check's verdict on a container's health: "starting" right after a deploy is starting (within the healthcheck's
// start period and first interval), not drift; "starting" past that window, unhealthy or stopped is a problem.
import assert from "node:assert/strict";
import { containerHealth, probesStoppedAfterMs, startingWindowMs } from "../../../src/engine/container-health.js";
import type { ContainerFact } from "../../../src/facts/parse.js";

const webapp = { name: "webapp", healthcheck: { test: ["curl", "-f", "http://x/health"], interval: "10s", timeout: "5s", retries: 3, startPeriod: "10s" } };
const T0 = Date.parse("2026-12-02T20:00:00Z");
function fact(over: Partial<ContainerFact>): ContainerFact {
  return { name: "webapp", id: "c1", imageId: "sha256:1", imageRef: "webapp:1", labels: {}, status: "running", running: true, startedAt: new Date(T0).toISOString(), restartCount: 0, ...over };
}

describe("containerHealth (check)", () => {
  it("the starting window is start period + interval + timeout", () => {
    assert.equal(startingWindowMs(webapp), 25_000);
    assert.equal(startingWindowMs({ healthcheck: undefined }), 0);
  });

  it("healthy, or no healthcheck at all: ok", () => {
    assert.deepEqual(containerHealth("lab1", webapp, fact({ health: "healthy" }), T0 + 60_000), { ok: true });
    assert.deepEqual(containerHealth("lab1", { name: "x", healthcheck: undefined }, fact({ health: undefined }), T0), { ok: true });
  });

  it("starting 2 s after its start (a deploy just ended): ok, with a note", () => {
    const v = containerHealth("lab1", webapp, fact({ health: "starting" }), T0 + 2_000);
    assert.equal(v.ok, true);
    assert.match(v.ok ? (v.note ?? "") : "", /^lab1: webapp is starting \(2s since its start, within .* 25s\)$/);
  });

  it("starting at the window's edge: ok; past it: a problem with the last check's output", () => {
    assert.equal(containerHealth("lab1", webapp, fact({ health: "starting" }), T0 + 25_000).ok, true);
    assert.deepEqual(containerHealth("lab1", webapp, fact({ health: "starting", healthLog: "curl: (7) Failed to connect\nmore" }), T0 + 25_001), {
      ok: false,
      problem: "lab1: webapp is starting (curl: (7) Failed to connect)",
    });
  });

  it("starting with a start time it cannot read, or in the future: a problem (never silently ok)", () => {
    assert.equal(containerHealth("lab1", webapp, fact({ health: "starting", startedAt: "" }), T0).ok, false);
    assert.equal(containerHealth("lab1", webapp, fact({ health: "starting" }), T0 - 5_000).ok, false);
  });

  it("unhealthy at any age, or not running: a problem", () => {
    assert.deepEqual(containerHealth("lab2", webapp, fact({ health: "unhealthy", healthLog: "HTTP 500" }), T0 + 1_000), { ok: false, problem: "lab2: webapp is unhealthy (HTTP 500)" });
    assert.deepEqual(containerHealth("lab2", webapp, fact({ running: false, status: "exited" }), T0 + 1_000), { ok: false, problem: "lab2: webapp is exited" });
  });
});

describe("containerHealth: health checks that stopped running (moby#41871, an engine restarted with live-restore)", () => {
  const at = (ms: number) => new Date(T0 + ms).toISOString();

  it("stopped-after is three intervals and a timeout, plus a minute", () => {
    assert.equal(probesStoppedAfterMs(webapp), 95_000);
  });

  it("healthy with a recent probe: ok; healthy whose newest probe is old: a problem naming the cause", () => {
    assert.deepEqual(containerHealth("lab1", webapp, fact({ health: "healthy", lastProbeAt: at(590_000) }), T0 + 600_000), { ok: true });
    const v = containerHealth("lab1", webapp, fact({ health: "healthy", lastProbeAt: at(100_000) }), T0 + 600_000);
    assert.equal(v.ok, false);
    assert.match(v.ok ? "" : v.problem, /^lab1: webapp is healthy as of .*, but its health checks stopped 500s ago: .*live-restore.*moby#41871/);
  });

  it("starting, frozen since before the restart: the stopped checks are the problem, not the service", () => {
    const v = containerHealth("lab1", webapp, fact({ health: "starting" }), T0 + 3_600_000);
    assert.match(v.ok ? "" : v.problem, /^lab1: webapp is starting, and no health check has run in the 3600s since its start: .*moby#41871/);
    // Within the window plus the stopped-after time, a starting container without probes is only "starting".
    assert.match((containerHealth("lab1", webapp, fact({ health: "starting" }), T0 + 60_000) as { problem: string }).problem, /^lab1: webapp is starting$/);
  });

  it("a young container is judged by its starting window only", () => {
    assert.equal(containerHealth("lab1", webapp, fact({ health: "starting", lastProbeAt: at(-200_000) }), T0 + 10_000).ok, true);
  });
});
