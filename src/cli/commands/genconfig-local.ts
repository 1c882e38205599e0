// Writes every host's rendered files into a local folder (one folder per host) for review.
import { mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { DesiredState } from "../../render/desired.js";

/** Writes DIR/<host>/<absolute path on the host>; returns the number of files written. */
export function writeLocalConfig(state: DesiredState, dir: string): number {
  let count = 0;
  const root = resolve(dir);
  for (const host of state.hosts.values()) {
    for (const svc of host.services) {
      for (const f of svc.files) {
        const target = join(root, host.name, f.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, f.content, { mode: Number.parseInt(f.mode, 8) });
        chmodSync(target, Number.parseInt(f.mode, 8));
        count++;
      }
    }
  }
  return count;
}
