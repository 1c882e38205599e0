// The deploy lock: a file on each target host (<config_dir>/.lading/lock) saying who runs what since when,
// taken with an atomic create (the shell's noclobber), so two runs never act on the same hosts at once.
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { HostError } from "../errors.js";
import type { Transport } from "../transport/index.js";

export interface LockInfo {
  /** Random per run: a release removes only its own lock. */
  id: string;
  /** user@controller-host */
  who: string;
  /** The controller host, to tell whether the pid can be checked here. */
  controller: string;
  pid: number;
  command: string;
  /** ISO time the lock was taken. */
  time: string;
}

/** A lock older than this whose process is gone is reported as stale (taken over only with --break-lock). */
export const STALE_AFTER_MS = 10 * 60 * 1000;

export function lockFileOf(stateFile: string): string {
  return `${stateFile.slice(0, stateFile.lastIndexOf("/"))}/lock`;
}

export function newLockInfo(command: string, now: Date = new Date()): LockInfo {
  const controller = hostname();
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): the pid and host still identify the run
  }
  return { id: randomUUID(), who: `${user}@${controller}`, controller, pid: process.pid, command, time: now.toISOString() };
}

// $1: take | break | release | status; $2: the lock file; $3: the run's lock id. The lock's JSON arrives on stdin.
// "take" creates the file only if it does not exist (set -C: O_EXCL), so of two runs exactly one wins.
export const LOCK_SCRIPT = `
mode=$1; f=$2; id=$3; d=\${f%/*}
case "$mode" in
take)
  mkdir -p "$d" && chmod 0700 "$d" || exit 3
  if ( set -C; umask 077; cat > "$f" ) 2>/dev/null; then echo TAKEN; else echo HELD; cat "$f"; fi ;;
break)
  mkdir -p "$d" && chmod 0700 "$d" || exit 3
  ( umask 077; cat > "$f.new" ) && mv -f "$f.new" "$f" && echo TAKEN ;;
release)
  if [ -f "$f" ] && grep -qF "\\"$id\\"" "$f"; then rm -f "$f"; echo RELEASED; else echo NOT-OURS; fi ;;
status)
  if [ -f "$f" ]; then echo HELD; cat "$f"; else echo FREE; fi ;;
*) exit 2 ;;
esac
`;

export function lockArgv(mode: "take" | "break" | "release" | "status", file: string, id = ""): string[] {
  return ["sh", "-c", LOCK_SCRIPT, "lading-lock", mode, file, id];
}

export type LockAnswer = { state: "taken" } | { state: "free" } | { state: "released" } | { state: "not-ours" } | { state: "held"; lock: LockInfo | undefined; raw: string };

export function parseLockAnswer(out: string): LockAnswer {
  const [first, ...rest] = out.split("\n");
  switch (first?.trim()) {
    case "TAKEN":
      return { state: "taken" };
    case "FREE":
      return { state: "free" };
    case "RELEASED":
      return { state: "released" };
    case "NOT-OURS":
      return { state: "not-ours" };
    case "HELD": {
      const raw = rest.join("\n").trim();
      try {
        return { state: "held", lock: JSON.parse(raw) as LockInfo, raw };
      } catch {
        return { state: "held", lock: undefined, raw };
      }
    }
    default:
      throw new Error(`unexpected lock answer: ${out.slice(0, 80)}`);
  }
}

export interface LockVerdict {
  stale: boolean;
  message: string;
}

/**
 * How a lock held by another run is reported: who, what, since when, and whether it looks stale (its process
 * is gone from this controller, or cannot be checked from here, and it is older than STALE_AFTER_MS). Pure.
 */
export function judgeLock(
  host: string,
  lock: LockInfo | undefined,
  now: Date,
  here: { controller: string; pidAlive: (pid: number) => boolean },
): LockVerdict {
  if (!lock) return { stale: true, message: `${host}: locked by an unreadable lock file (use --break-lock to take it over)` };
  const ageMs = now.getTime() - Date.parse(lock.time);
  const age = Number.isFinite(ageMs) ? formatAge(ageMs) : "an unknown time";
  const sameController = lock.controller === here.controller;
  const processGone = sameController ? !here.pidAlive(lock.pid) : true;
  const stale = processGone && ageMs > STALE_AFTER_MS;
  const process = sameController ? `pid ${lock.pid}${processGone ? ", no longer running" : ", running"}` : `pid ${lock.pid} on ${lock.controller}`;
  return {
    stale,
    message: `${host}: locked by ${lock.who} (${process}) running "${lock.command}" since ${lock.time} (${age} ago)${stale ? "; the lock looks stale: --break-lock takes it over" : ""}`,
  };
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface HeldLock {
  host: string;
  lock: LockInfo | undefined;
  verdict: LockVerdict;
}

export type AcquireResult = { ok: true; release: () => Promise<void> } | { ok: false; held: HeldLock[] };

/**
 * Takes the lock on every host (one exec each). If any host is held by another run, releases the ones it
 * took and reports the holders; with `breakLock` it replaces whatever lock is there.
 */
export async function acquireLocks(
  transports: Map<string, Transport>,
  lockFiles: Map<string, string>,
  info: LockInfo,
  opts: { breakLock?: boolean; now?: Date } = {},
): Promise<AcquireResult> {
  const body = `${JSON.stringify(info)}\n`;
  const taken: string[] = [];
  const held: HeldLock[] = [];
  await Promise.all(
    [...lockFiles].map(async ([host, file]) => {
      const t = transports.get(host);
      if (!t) return;
      const r = await t.exec(lockArgv(opts.breakLock ? "break" : "take", file, info.id), { become: true, stdin: body });
      if (r.code !== 0) throw new HostError(host, `taking the deploy lock ${file} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
      const a = parseLockAnswer(r.stdout);
      if (a.state === "taken") taken.push(host);
      else if (a.state === "held") held.push({ host, lock: a.lock, verdict: judgeLock(host, a.lock, opts.now ?? new Date(), { controller: info.controller, pidAlive }) });
    }),
  );
  const release = async (): Promise<void> => {
    await releaseLocks(transports, new Map(taken.map((h) => [h, lockFiles.get(h)!])), info);
  };
  if (held.length) {
    await release();
    held.sort((a, b) => a.host.localeCompare(b.host));
    return { ok: false, held };
  }
  return { ok: true, release };
}

/** Removes this run's lock from each host (a lock another run took over is left alone). */
export async function releaseLocks(transports: Map<string, Transport>, lockFiles: Map<string, string>, info: LockInfo): Promise<void> {
  await Promise.all(
    [...lockFiles].map(async ([host, file]) => {
      const t = transports.get(host);
      if (!t) return;
      await t.exec(lockArgv("release", file, info.id), { become: true }).catch(() => undefined);
    }),
  );
}

/** The lock of each host: free, or held with who/what/when and whether it looks stale. */
export async function lockStatus(transports: Map<string, Transport>, lockFiles: Map<string, string>, now: Date = new Date()): Promise<Map<string, HeldLock | undefined>> {
  const out = new Map<string, HeldLock | undefined>();
  await Promise.all(
    [...lockFiles].map(async ([host, file]) => {
      const t = transports.get(host);
      if (!t) return;
      const r = await t.exec(lockArgv("status", file), { become: true });
      if (r.code !== 0) throw new HostError(host, `reading the deploy lock failed (exit ${r.code})`);
      const a = parseLockAnswer(r.stdout);
      out.set(host, a.state === "held" ? { host, lock: a.lock, verdict: judgeLock(host, a.lock, now, { controller: hostname(), pidAlive }) } : undefined);
    }),
  );
  return out;
}
