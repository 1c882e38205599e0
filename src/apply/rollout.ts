// Splits the hosts of a service into batches, as its rollout policy says.
import type { Rollout } from "../generated/role.js";

/** `3` -> 3 hosts, `"50%"` -> half of them (at least 1). */
export function batchSize(size: number | string, total: number): number {
  if (typeof size === "number") return Math.max(1, size);
  const pct = Number(size.replace("%", ""));
  return Math.max(1, Math.floor((total * pct) / 100));
}

/**
 * Batches in Ansible's `serial` form: a list of sizes whose last one repeats.
 * parallel: one batch; serial: one host at a time; rolling: the declared batch sizes (default 1).
 */
export function batchesOf<T>(hosts: T[], rollout: Rollout, override?: number | string): T[][] {
  if (!hosts.length) return [];
  const strategy = rollout.strategy ?? "rolling";
  let sizes: (number | string)[];
  if (override !== undefined) sizes = [override];
  else if (strategy === "parallel") return [hosts];
  else if (strategy === "serial") sizes = [1];
  else sizes = Array.isArray(rollout.batch) ? rollout.batch : [rollout.batch ?? 1];
  const out: T[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const n = batchSize(sizes[Math.min(k, sizes.length - 1)]!, hosts.length);
    out.push(hosts.slice(i, i + n));
    i += n;
    k++;
  }
  return out;
}
