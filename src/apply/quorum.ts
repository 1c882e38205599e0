// The quorum guard: a clustered service never has more members down at once than keeps its quorum, and
// a rollout does not start while the cluster is already degraded (restarting a healthy member then could
// take the cluster below quorum).
import type { HostFacts } from "../facts/parse.js";
import type { Plan } from "../plan/plan.js";
import type { DesiredState } from "../render/desired.js";

export interface DegradedMember {
  host: string;
  /** What is wrong with it, e.g. "mariadb is exited". */
  detail: string;
  /** Running, but the engine's last healthcheck failed (a state as old as the check's interval). */
  running: boolean;
}

export interface QuorumRefusal {
  service: string;
  degraded: DegradedMember[];
  /** Healthy members the rollout would have restarted. */
  wouldRestart: string[];
  /** Every member of a Galera cluster is down: starting them would not form a cluster, recovery must. */
  fullOutage?: boolean;
}

/** How many members may be down at once so that a majority stays up (at least 1, or nothing could restart). */
export function maxDownForQuorum(members: number): number {
  return Math.max(1, Math.floor((members - 1) / 2));
}

/** Splits batches larger than `max` hosts, keeping their order. */
export function limitBatches<T>(batches: T[][], max: number): T[][] {
  const out: T[][] = [];
  for (const b of batches) for (let i = 0; i < b.length; i += max) out.push(b.slice(i, i + max));
  return out;
}

/**
 * Members whose container exists but is not running or not healthy. A member without the container is being
 * added (first deploy, a new host), which is not a degraded cluster.
 */
export function degradedMembers(members: string[], container: string, facts: Map<string, HostFacts>, healthyNow: ReadonlySet<string> = new Set()): DegradedMember[] {
  const out: DegradedMember[] = [];
  for (const host of members) {
    const c = facts.get(host)?.containers.get(container);
    if (!c) continue;
    if (!c.running) out.push({ host, detail: `${container} is ${c.status}`, running: false });
    else if (c.health === "unhealthy" && !healthyNow.has(host)) out.push({ host, detail: `${container} is unhealthy${c.healthLog ? ` (${c.healthLog.split("\n")[0]})` : ""}`, running: true });
  }
  return out;
}

const STOPPING_STEPS = new Set(["restart", "recreate"]);

/**
 * Every clustered service (rollout.quorum) whose plan would stop a running, healthy member while another
 * member is down or unhealthy. Steps that only bring the degraded members back (start, create) are allowed:
 * they repair the cluster. `healthyNow`: members (by service) the engine calls unhealthy whose gate passed
 * when asked live (see recheckUnhealthy in apply.ts); they count as healthy.
 */
export function quorumRefusals(plan: Plan, desired: DesiredState, facts: Map<string, HostFacts>, healthyNow: ReadonlyMap<string, ReadonlySet<string>> = new Map()): QuorumRefusal[] {
  const out: QuorumRefusal[] = [];
  const seen = new Set<string>();
  for (const h of desired.hosts.values()) {
    for (const svc of h.services) {
      if (!svc.rollout.quorum || seen.has(svc.name)) continue;
      seen.add(svc.name);
      const container = svc.rollout.gate && "container" in svc.rollout.gate && svc.rollout.gate.container ? svc.rollout.gate.container : svc.containers[0]?.name;
      if (!container) continue;
      const members = [...desired.hosts.values()].filter((x) => x.services.some((s) => s.name === svc.name)).map((x) => x.name);
      const degraded = degradedMembers(members, container, facts, healthyNow.get(svc.name));
      if (!degraded.length) continue;
      const down = new Set(degraded.map((d) => d.host));
      // Galera after a full outage: no member may simply start (none is safe to bootstrap, or one with older
      // data would be); only mariadb-recovery picks the node with the newest data.
      const existing = members.filter((m) => facts.get(m)?.containers.has(container));
      if (svc.rollout.gate?.kind === "galera" && existing.length > 0 && existing.every((m) => down.has(m) && !facts.get(m)?.containers.get(container)?.running)) {
        out.push({ service: svc.name, degraded, wouldRestart: [], fullOutage: true });
        continue;
      }
      const wouldRestart = members.filter((m) => {
        if (down.has(m)) return false;
        const sp = plan.hosts.get(m)?.services.find((s) => s.service === svc.name);
        const running = facts.get(m)?.containers.get(container)?.running;
        return !!running && !!sp?.steps.some((s) => STOPPING_STEPS.has(s.kind));
      });
      if (wouldRestart.length) out.push({ service: svc.name, degraded, wouldRestart });
    }
  }
  return out;
}

export function describeRefusal(r: QuorumRefusal): string {
  if (r.fullOutage) {
    return `every member of the ${r.service} cluster is down: ${r.degraded.map((d) => `${d.host} (${d.detail})`).join(", ")}; starting them would not form a cluster. Nothing was changed: run lading mariadb-recovery, which bootstraps from the node with the newest data`;
  }
  const who = r.degraded.map((d) => `${d.host} (${d.detail})`).join(", ");
  return `the ${r.service} cluster is already degraded: ${who}; restarting ${r.wouldRestart.join(", ")} now could lose its quorum. Nothing was changed: bring ${r.degraded.map((d) => d.host).join(", ")} back first (for example lading deploy -l ${r.degraded.map((d) => d.host).join(",")} -s ${r.service}), or after a full outage run lading ${r.service === "mariadb" ? "mariadb-recovery" : "rabbitmq-reset-state"}`;
}
