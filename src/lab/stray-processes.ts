// Processes a killed `lab up` left behind in a build folder (debootstrap's children run `chroot <dir> dpkg ...`).
import { readdirSync, readFileSync } from "node:fs";

/** Pids of processes whose command line names `path` (or a path under it). */
export function processesMentioning(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args.some((a) => a === path || a.startsWith(`${path}/`))) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}

/** Kills them (SIGKILL): they belong to a run that no longer exists. */
export function killProcessesMentioning(path: string): number {
  const pids = processesMentioning(path);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  return pids.length;
}
