// The deploy lock: a file on each target host (<config_dir>/.lading/lock) saying who runs what since when,
// taken with an atomic create (the shell's noclobber), so two runs never act on the same hosts at once.
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { hostScript } from "../host-scripts/index.js";

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
  /** The deployment's environment the run works on (-e), when one was selected. */
  environment?: string;
}

/**
 * A lock taken on another controller and older than this is reported as stale (one taken on this controller is
 * stale as soon as its process is gone). Stale or not, only --break-lock takes a lock over.
 */
export const STALE_AFTER_MS = 60 * 60 * 1000;

export function lockFileOf(stateFile: string): string {
  return `${stateFile.slice(0, stateFile.lastIndexOf("/"))}/lock`;
}

export function newLockInfo(command: string, now: Date = new Date(), environment?: string): LockInfo {
  const controller = hostname();
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): the pid and host still identify the run
  }
  const info: LockInfo = { id: randomUUID(), who: `${user}@${controller}`, controller, pid: process.pid, command, time: now.toISOString() };
  if (environment !== undefined) info.environment = environment;
  return info;
}

// $1: take | break | release; $2: the lock file; $3: the run's lock id; $4: the audit log; $5: the audit log's
// size when this run read the host's facts. The lock's JSON arrives on stdin.
// "take" creates the file only if it does not exist (set -C: O_EXCL), so of two runs exactly one wins. Once it
// holds the lock, the run checks that the audit log has not grown since it read the facts: a run that changed
// the host in between (and appended to the log before releasing) would make this run's plan stale, so it
// lets go and says MOVED instead. Every changing run takes it on all its hosts at once: it starts few processes
// (the folder is made, private, only when missing; the final exec keeps its mode).
export const LOCK_SCRIPT = hostScript("lock.sh");

export function lockArgv(mode: "take" | "break" | "release", file: string, id = "", audit = "", auditBytes = 0): string[] {
  return ["sh", "-c", LOCK_SCRIPT, "lading-lock", mode, file, id, audit, String(auditBytes)];
}

export type LockAnswer = { state: "taken" } | { state: "moved" } | { state: "released" } | { state: "not-ours" } | { state: "held"; lock: LockInfo | undefined; raw: string };

/** The lock file's JSON, or undefined when it cannot be read as a lock. */
export function parseLockInfo(raw: string): LockInfo | undefined {
  try {
    const j = JSON.parse(raw) as LockInfo;
    return typeof j === "object" && j !== null && typeof j.id === "string" ? j : undefined;
  } catch {
    return undefined;
  }
}

export function parseLockAnswer(out: string): LockAnswer {
  const [first, ...rest] = out.split("\n");
  switch (first?.trim()) {
    case "TAKEN":
      return { state: "taken" };
    case "MOVED":
      return { state: "moved" };
    case "RELEASED":
      return { state: "released" };
    case "NOT-OURS":
      return { state: "not-ours" };
    case "HELD": {
      const raw = rest.join("\n").trim();
      return { state: "held", lock: parseLockInfo(raw), raw };
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
  const processGone = sameController && !here.pidAlive(lock.pid);
  // On this controller the process tells; from another one only the age can.
  const stale = sameController ? processGone : !(ageMs <= STALE_AFTER_MS);
  const process = sameController ? `pid ${lock.pid}${processGone ? ", no longer running" : ", running"}` : `pid ${lock.pid} on ${lock.controller}`;
  return {
    stale,
    message: `${host}: locked by ${lock.who} (${process}) running "${lock.command}"${lock.environment !== undefined ? ` (environment ${lock.environment})` : ""} since ${lock.time} (${age} ago)${stale ? "; the lock looks stale: --break-lock takes it over" : ""}`,
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

/** How a lock file's content found on a host is reported. Pure but for the pid check on this controller. */
export function heldLockOf(host: string, raw: string, now: Date = new Date()): HeldLock {
  const lock = parseLockInfo(raw);
  return { host, lock, verdict: judgeLock(host, lock, now, { controller: hostname(), pidAlive }) };
}
