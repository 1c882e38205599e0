import assert from "node:assert/strict";
import { waitForLock } from "../../../src/lifecycle/lock-wait.js";
import { newLockInfo } from "../../../src/lifecycle/lock.js";

/** A fake clock: sleeping moves time on at once. */
function clock() {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const held = JSON.stringify({ ...newLockInfo("deploy", new Date(1_000_000), "staging"), controller: "ci-runner-7", who: "ci@ci-runner-7" });

describe("--lock-wait", () => {
  it("goes on at once when no host is locked", async () => {
    const c = clock();
    const r = await waitForLock({ locks: () => new Map([["h1", undefined]]), refresh: async () => undefined, waitMs: 60_000, ...c, onHeld: () => assert.fail(), onWaiting: () => assert.fail() });
    assert.deepEqual(r, { ok: true, waitedMs: 0 });
  });

  it("says who holds it, prints waiting lines, and goes on with fresh facts once it is released", async () => {
    const c = clock();
    let refreshes = 0;
    const lines: string[] = [];
    const r = await waitForLock({
      locks: () => new Map([["h1", refreshes >= 20 ? undefined : held], ["h2", undefined]]),
      refresh: async () => void refreshes++,
      waitMs: 5 * 60_000,
      pollMs: 5000,
      reportEveryMs: 30_000,
      ...c,
      onHeld: (h) => lines.push(`held ${h.map((x) => x.verdict.message).join()}`),
      onWaiting: (elapsed, _w, h) => lines.push(`waiting ${elapsed / 1000}s ${h.map((x) => x.host).join()}`),
    });
    assert.deepEqual(r, { ok: true, waitedMs: 100_000 });
    assert.match(lines[0]!, /^held h1: locked by ci@ci-runner-7 .* running "deploy" \(environment staging\)/);
    assert.deepEqual(lines.slice(1), ["waiting 30s h1", "waiting 60s h1", "waiting 90s h1"]);
  });

  it("fails when the time runs out, with the holders", async () => {
    const c = clock();
    const r = await waitForLock({ locks: () => new Map([["h1", held]]), refresh: async () => undefined, waitMs: 12_000, pollMs: 5000, ...c, onHeld: () => undefined, onWaiting: () => undefined });
    assert.equal(r.ok, false);
    assert.equal(r.waitedMs, 12_000, "the last poll is cut to the deadline");
    assert.equal(!r.ok && r.held[0]!.host, "h1");
  });
});

describe("the environment in the lock and the audit log", () => {
  it("a run with -e records its environment in the lock it takes and in each audit entry", async () => {
    const { RunHold } = await import("../../../src/lifecycle/run-lock.js");
    const hold = new RunHold("deploy", [{ name: "h1", stateFile: "/etc/lading/.lading/state.json" }], new Map(), (s) => s, "staging");
    assert.equal(hold.info.environment, "staging");
    hold.audit.observe({ type: "step", host: "h1", service: "memcached", kind: "create", target: "memcached", reason: "missing", status: "ok" });
    assert.equal(hold.audit.pending("h1")[0]!.environment, "staging");
    const plain = new RunHold("deploy", [{ name: "h1", stateFile: "/etc/lading/.lading/state.json" }], new Map());
    assert.equal("environment" in plain.info, false);
  });
});
