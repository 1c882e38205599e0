// The schedule: the order a run takes, decided before it starts, from the plan, the desired state and the facts.
// For every service with steps: the services it waits for (and why), its host batches (and why they are serial
// when they are), and the guards that only the run can answer (gates, the live quorum check). Pure: `plan` prints
// it, `deploy` executes exactly it, and the executor never adds a batch or changes one.
import type { HostFacts } from "../facts/parse.js";
import { batchesOf } from "../apply/rollout.js";
import { holderLast } from "../apply/vip.js";
import { limitBatches, maxDownForQuorum } from "../apply/quorum.js";
import { describeGate, gateOf } from "../apply/gates.js";
import type { DesiredService, DesiredState } from "../render/desired.js";
import type { Plan, ServicePlan } from "./plan.js";

/**
 * bootstrap: a new cluster's first node, started with its bootstrap command; create: new members; rollout:
 * members that run now are changed (stopped, restarted, recreated); rejoin: the bootstrap node leaves its
 * bootstrap command once the others joined.
 */
export type BatchKind = "bootstrap" | "create" | "rollout" | "rejoin";

export interface ScheduledBatch {
  hosts: string[];
  kind: BatchKind;
  /** Whether each host must stay healthy for the role's minHealthy before the next batch. */
  hold: boolean;
}

export interface ServiceSchedule {
  service: string;
  /** Services of this run that must have passed all their batches before this one starts. */
  after: { service: string; why: string }[];
  batches: ScheduledBatch[];
  /** Why the batches are what they are (all hosts at once, one at a time, quorum...). */
  why: string;
  /** What the run checks as it goes, which no plan can know beforehand. */
  guards: string[];
}

export interface Schedule {
  services: ServiceSchedule[];
  /** Things the schedule had to limit (a --serial larger than the quorum allows...). */
  warnings: string[];
}

export interface ScheduleInput {
  plan: Plan;
  desired: DesiredState;
  facts: Map<string, HostFacts>;
  /** Batch size for every service (--serial). */
  serialOverride?: number | string;
  /** The host holding the VIP, for services that restart the holder last (vipLast), when known. */
  vipHolder?: string;
}

/** The container a service's rollout checks and drains: the gate's, or the service's first. */
export function mainContainerOf(svc: DesiredService): string | undefined {
  const g = svc.rollout.gate;
  return (g && "container" in g && g.container) || svc.containers[0]?.name;
}

/** Services in the desired state's order (role dependency order). */
export function serviceOrder(desired: DesiredState): string[] {
  const seen = new Set<string>();
  for (const h of desired.hosts.values()) for (const s of h.services) seen.add(s.name);
  return [...seen];
}

/** Whether a step of the plan stops a member that runs now (a restart or recreate of its main container). */
function stopsRunningMember(sp: ServicePlan, facts: HostFacts | undefined): boolean {
  const main = mainContainerOf(sp.desired);
  if (!main || !facts?.containers.get(main)?.running) return false;
  return sp.steps.some((x) => x.kind === "restart" || x.kind === "recreate");
}

export function buildSchedule(input: ScheduleInput): Schedule {
  const { plan, desired, facts } = input;
  const warnings: string[] = [];
  const spOf = (host: string, service: string): ServicePlan | undefined => plan.hosts.get(host)?.services.find((s) => s.service === service);
  const isRegistration = (kind: string): boolean => kind === "register-database" || kind === "register-messaging" || kind === "register-catalog";
  const inRun = serviceOrder(desired).filter((svc) => [...plan.hosts.keys()].some((h) => spOf(h, svc)?.steps.length));
  const inRunSet = new Set(inRun);
  const desiredOf = (svc: string): DesiredService | undefined => {
    for (const h of desired.hosts.values()) {
      const s = h.services.find((x) => x.name === svc);
      if (s) return s;
    }
    return undefined;
  };
  const gateKindOf = (svc: string): string | undefined => desiredOf(svc)?.rollout.gate?.kind;
  const byGateKind = (kind: string): string | undefined => inRun.find((s) => gateKindOf(s) === kind);

  const services: ServiceSchedule[] = [];
  // Whether `from` waits for `to`, directly or through others, among the services scheduled so far and their
  // declared dependencies (those of services not yet scheduled count too: they are acyclic by validation).
  const waitsFor = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    const scheduled = services.find((x) => x.service === from);
    const next = scheduled ? scheduled.after.map((a) => a.service) : (desiredOf(from)?.dependsOn ?? []);
    return next.some((n) => waitsFor(n, to, seen));
  };
  for (const service of inRun) {
    const sample = desiredOf(service)!;
    const policy = sample.rollout;
    const members = [...desired.hosts.values()].filter((h) => h.services.some((s) => s.name === service)).map((h) => h.name);
    const withSteps = members.filter((h) => spOf(h, service)?.steps.some((x) => !isRegistration(x.kind)));
    const main = mainContainerOf(sample);
    const running = members.filter((m) => main && facts.get(m)?.containers.get(main)?.running);
    const stopping = withSteps.filter((h) => stopsRunningMember(spOf(h, service)!, facts.get(h)));

    // What it waits for: its declared dependencies, the clusters it registers in, and HAProxy when its running
    // members leave HAProxy's rotation while they restart (a restarting HAProxy would forget the maintenance state).
    const after: { service: string; why: string }[] = [];
    const add = (dep: string | undefined, why: string): void => {
      if (!dep || dep === service || !inRunSet.has(dep) || after.some((a) => a.service === dep)) return;
      // An implied wait on a service that already waits (perhaps through others) for this one would deadlock.
      if (waitsFor(dep, service)) return;
      after.push({ service: dep, why });
    };
    for (const dep of sample.dependsOn) add(dep, "depends on it (role.yaml dependsOn)");
    const steps = members.flatMap((h) => spOf(h, service)?.steps ?? []);
    if (steps.some((x) => x.kind === "register-database")) add(byGateKind("galera"), "registers its database there");
    if (steps.some((x) => x.kind === "register-messaging")) add(byGateKind("rabbitmq"), "registers its queue user there");
    if (steps.some((x) => x.kind === "register-catalog")) add(inRun.find((s) => desiredOf(s)?.identity), "registers in its catalogue");
    if (sample.loadBalanced && stopping.length) add(byGateKind("haproxy"), "its hosts are drained through HAProxy, which this run changes");

    const guards: string[] = [`gate after each host: ${describeGate(gateOf(sample))}`];
    let batches: ScheduledBatch[];
    let why: string;
    const bootstrapHost = plan.bootstrap.get(service);
    if (!withSteps.length) {
      batches = [];
      why = "registrations only";
    } else if (running.length === 0) {
      // Nothing of it runs yet, so nothing must stay available: every host at once, unless its cluster forms in order.
      const oneByOne = policy.newService === "one-at-a-time";
      const rest = withSteps.filter((h) => h !== bootstrapHost);
      const restBatches = input.serialOverride !== undefined ? batchesOf(rest, policy, input.serialOverride) : oneByOne ? rest.map((h) => [h]) : rest.length ? [rest] : [];
      batches = [
        ...(bootstrapHost && withSteps.includes(bootstrapHost) ? [{ hosts: [bootstrapHost], kind: "bootstrap" as const, hold: false }] : []),
        ...restBatches.map((hosts) => ({ hosts, kind: "create" as const, hold: false })),
      ];
      why =
        input.serialOverride !== undefined
          ? `new: --serial ${input.serialOverride}`
          : bootstrapHost
            ? `new cluster: ${bootstrapHost} bootstraps it alone, then ${oneByOne ? "the others join one at a time (newService: one-at-a-time)" : "the others join at once"}`
            : oneByOne
              ? "new: one host at a time as its cluster forms (newService: one-at-a-time)"
              : "new: nothing runs yet, every host at once";
      if (bootstrapHost && withSteps.includes(bootstrapHost) && sample.containers.some((c) => c.bootstrapCommand)) {
        // Not held either: the cluster is still forming and nothing uses it yet (the hold cost 10 s of a first deploy).
        batches.push({ hosts: [bootstrapHost], kind: "rejoin", hold: false });
      }
    } else {
      let order = withSteps;
      if (policy.vipLast && input.vipHolder && order.includes(input.vipHolder)) {
        // keepalived does not preempt: restarting the backups first moves the VIP at most once, at the end.
        order = holderLast(order, input.vipHolder);
      }
      let hostBatches = batchesOf(order, policy, input.serialOverride);
      const strategy = policy.strategy ?? "rolling";
      why = input.serialOverride !== undefined ? `--serial ${input.serialOverride}` : strategy === "parallel" ? "rollout: parallel" : `rollout: ${strategy}, batch ${JSON.stringify(policy.batch ?? 1)}`;
      if (policy.vipLast && input.vipHolder && order.includes(input.vipHolder)) why += `; ${input.vipHolder} holds the VIP: last, so it moves at most once`;
      if (policy.quorum) {
        const max = maxDownForQuorum(members.length);
        const limited = limitBatches(hostBatches, max);
        if (limited.length !== hostBatches.length) {
          warnings.push(`${service}: batches limited to ${max} host${max === 1 ? "" : "s"} so that ${members.length - max} of ${members.length} members keep the quorum`);
          why += `; at most ${max} down at once (quorum of ${members.length})`;
        }
        hostBatches = limited;
        guards.push("quorum: the other members are asked their gate before each batch that stops running ones");
      }
      batches = hostBatches.map((hosts) => {
        const stops = hosts.some((h) => stopping.includes(h));
        return { hosts, kind: stops ? ("rollout" as const) : ("create" as const), hold: stops };
      });
    }
    if (policy.minHealthy && policy.minHealthy !== "0s" && batches.some((b) => b.hold)) guards.push(`each restarted host healthy for ${policy.minHealthy} before the next batch`);
    services.push({ service, after, batches, why, guards });
  }
  return { services: waitOrder(services), warnings };
}

/** The services with every one after those it waits for, otherwise in their order. */
function waitOrder(services: ServiceSchedule[]): ServiceSchedule[] {
  const out: ServiceSchedule[] = [];
  const placed = new Set<string>();
  const pending = [...services];
  while (pending.length) {
    const i = pending.findIndex((s) => s.after.every((a) => placed.has(a.service)));
    const next = pending.splice(i < 0 ? 0 : i, 1)[0]!;
    out.push(next);
    placed.add(next.service);
  }
  return out;
}

/** The longest chain of waits, for the plan's summary: services that start at once share a level. */
export function scheduleLevels(schedule: Schedule): string[][] {
  const level = new Map<string, number>();
  for (const s of schedule.services) level.set(s.service, Math.max(0, ...s.after.map((a) => (level.get(a.service) ?? 0) + 1)));
  const out: string[][] = [];
  for (const s of schedule.services) (out[level.get(s.service)!] ??= []).push(s.service);
  return out;
}
