// lock status: who holds the deploy lock of each host of a run, since when, running what, and whether it looks
// stale. The facts read the lock file already: no round trip beyond them.
import type { LockInfo } from "../lifecycle/lock.js";
import type { RunContext } from "../run/run.js";

export interface LockRow {
  host: string;
  locked: boolean;
  lock?: LockInfo;
  stale?: boolean;
  /** "<host>: free", or who holds it, since when and whether it looks stale. */
  message: string;
}

export function lockStatus(ctx: RunContext): LockRow[] {
  const held = new Map(ctx.hold.heldLocks().map((h) => [h.host, h]));
  return [...ctx.desired.hosts.keys()].sort().map((host) => {
    const h = held.get(host);
    return { host, locked: !!h, lock: h?.lock, stale: h?.verdict.stale, message: h ? h.verdict.message : `${host}: free` };
  });
}
