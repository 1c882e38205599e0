// --lock-wait: instead of failing at once when another run holds the deploy lock, wait for it (CI jobs queue up
// behind each other), reading the hosts' facts again every poll (one round trip per host): when the lock is
// gone, the run goes on with facts taken after the other run's changes, so its plan is not stale.
import { heldLockOf, type HeldLock } from "./lock.js";

export interface LockWaitInput {
  /** The lock file content per host as the latest facts read it (undefined: free). */
  locks: () => Map<string, string | undefined>;
  /** Reads the facts again (the locks with them). */
  refresh: () => Promise<void>;
  waitMs: number;
  /** How often the hosts are asked again; default 5 s. */
  pollMs?: number;
  /** How often a "still waiting" line is printed; default 30 s. */
  reportEveryMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The first line: who holds it. */
  onHeld: (held: HeldLock[], waitMs: number) => void;
  onWaiting: (elapsedMs: number, waitMs: number, held: HeldLock[]) => void;
}

export type LockWaitResult = { ok: true; waitedMs: number } | { ok: false; waitedMs: number; held: HeldLock[] };

function heldOf(locks: Map<string, string | undefined>, now: number): HeldLock[] {
  return [...locks]
    .filter(([, raw]) => raw !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, raw]) => heldLockOf(host, raw!, new Date(now)));
}

/** Waits until no host's facts show a lock, or `waitMs` has passed. Resolves at once when none is held. */
export async function waitForLock(input: LockWaitInput): Promise<LockWaitResult> {
  const now = input.now ?? Date.now;
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = input.pollMs ?? 5000;
  const reportEvery = input.reportEveryMs ?? 30_000;
  const start = now();
  let held = heldOf(input.locks(), start);
  if (!held.length) return { ok: true, waitedMs: 0 };
  input.onHeld(held, input.waitMs);
  let reported = 0;
  for (;;) {
    const elapsed = now() - start;
    if (elapsed >= input.waitMs) return { ok: false, waitedMs: elapsed, held };
    await sleep(Math.min(pollMs, input.waitMs - elapsed));
    await input.refresh();
    held = heldOf(input.locks(), now());
    const after = now() - start;
    if (!held.length) return { ok: true, waitedMs: after };
    if (Math.floor(after / reportEvery) > reported) {
      reported = Math.floor(after / reportEvery);
      input.onWaiting(after, input.waitMs, held);
    }
  }
}
