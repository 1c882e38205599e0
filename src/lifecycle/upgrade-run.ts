// upgrade, as a run: a new release of images (tags or digests, set in globals.yml or with --set) for one service
// or all. Images are pulled and verified on every target host before any change; version gates, phases, hooks and
// the offline strategy come from each role's `upgrade:`; every host records a revision after. The CLI's
// `lading upgrade` and lading serve's upgrade runs call runUpgrade.
import { applyPlan } from "../apply/apply.js";
import type { HostRecap } from "../apply/events.js";
import { registrationClusters } from "../apply/registrations.js";
import * as docker from "../docker/commands.js";
import { InputError, type Problem } from "../errors.js";
import { hasChanges, type HostPlan, type Plan } from "../plan/plan.js";
import type { DesiredService } from "../render/desired.js";
import { revisionFromRunning } from "./revisions.js";
import { applySets, hookArgv, phasesOf, tagOf, versionGateProblem } from "./upgrade.js";
import { renderProject, type Project } from "../model/project.js";
import type { DesiredState } from "../render/desired.js";
import { parseDuration } from "../apply/duration.js";
import { OUTCOME as EXIT, type Outcome } from "../run/outcome.js";
import { lockForChanges, planFor, recordRunRevisions, type RunContext as EngineContext, type RunOptions } from "../run/run.js";

export interface UpgradeOptions extends RunOptions {
  set?: string[];
}

/** The desired state of an upgrade: the deployment with the release's --set values above every other source. */
export function upgradeRender(opts: UpgradeOptions): (project: Project) => DesiredState {
  return (project) => {
    if (opts.set?.length) applySets(project, opts.set);
    return renderProject(project, { limit: opts.limit, services: opts.service });
  };
}

/** Per service, the version gate problems of going from what runs to what is wanted. */
export function versionGateProblems(ctx: EngineContext): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const [host, h] of ctx.desired.hosts) {
    const f = ctx.session.facts.get(host);
    for (const svc of h.services) {
      const gate = ctx.project.roles.byName.get(svc.name)?.def.upgrade?.versionGate;
      if (!gate || !f) continue;
      for (const c of svc.containers) {
        const cf = f.containers.get(c.name);
        const from = cf ? tagOf(cf.imageRef) : undefined;
        const to = tagOf(c.image);
        if (!from || !to) continue;
        const problem = versionGateProblem(gate, from, to);
        const key = `${svc.name}:${problem}`;
        if (problem && !seen.has(key)) {
          seen.add(key);
          problems.push({ file: ctx.project.globalsFile, path: gate.parameter, message: `${svc.name} on ${host}: ${problem}` });
        }
      }
    }
  }
  return problems;
}

/** A copy of `plan` with only `hosts`, only the steps of `service`, and no pulls (done before). */
function slicePlan(plan: Plan, service: string, hosts: string[]): Plan {
  const out = new Map<string, HostPlan>();
  for (const h of hosts) {
    const hp = plan.hosts.get(h);
    if (!hp) continue;
    out.set(h, { ...hp, pulls: [], services: hp.services.map((s) => (s.service === service ? s : { ...s, steps: [] })) });
  }
  // The upgrade orders its services and phases itself: each slice is scheduled by the apply.
  return { ...plan, hosts: out, schedule: undefined };
}

function addRecap(into: Map<string, HostRecap>, from: Map<string, HostRecap>): void {
  for (const [h, r] of from) {
    const a = into.get(h) ?? { host: h, ok: 0, changed: 0, failed: 0, unreachable: false, skipped: true };
    a.changed += r.changed;
    a.failed += r.failed;
    a.skipped = a.skipped && r.skipped;
    into.set(h, a);
  }
}

export async function runUpgrade(ctx: EngineContext, opts: UpgradeOptions): Promise<Outcome> {
  const gateProblems = versionGateProblems(ctx);
  if (gateProblems.length) throw new InputError(gateProblems);
  const plan = await planFor(ctx, "reconfigure");
  if (plan.bootstrap.size) {
    ctx.reporter.emit({ type: "warning", message: `${[...plan.bootstrap.keys()].join(", ")} is not deployed yet: run lading deploy first; nothing was changed` });
    return EXIT.failed;
  }
  const recap = new Map<string, HostRecap>([...plan.hosts.keys()].map((h) => [h, { host: h, ok: 0, changed: 0, failed: 0, unreachable: false, skipped: true }]));
  const emit = (e: Parameters<typeof ctx.reporter.emit>[0]): void => ctx.reporter.emit(e);
  const finish = (ok: boolean): number => {
    for (const h of ctx.session.unreachable.keys()) recap.set(h, { host: h, ok: 0, changed: 0, failed: 0, unreachable: true, skipped: true });
    for (const r of recap.values()) r.ok = ok && r.failed === 0 ? 1 : 0;
    ctx.reporter.emit({ type: "stats", hosts: Object.fromEntries(ctx.session.stats()) });
    ctx.reporter.emit({ type: "recap", hosts: [...recap.values()], ms: Date.now() - ctx.started, ok: ok && ctx.session.unreachable.size === 0 });
    return ok && ctx.session.unreachable.size === 0 ? EXIT.ok : EXIT.failed;
  };
  if (!hasChanges(plan)) return finish(true);
  if (!(await lockForChanges(ctx))) return finish(false);
  // One state for every apply of the upgrade, written once at the end with the revisions (src/lifecycle/run-lock.ts).
  const base = { desired: ctx.desired, facts: ctx.session.facts, transports: ctx.session.transports, secrets: ctx.project.secrets, emit, forks: Number(ctx.opts.forks), state: ctx.hold.state, clusters: registrationClusters(ctx.project.enabled, ctx.project.topology), everyService: ctx.everyService };

  // 1. Every new image on every host before anything changes: one missing image stops the upgrade here.
  const pullPlan: Plan = { ...plan, hosts: new Map([...plan.hosts].map(([h, hp]) => [h, { ...hp, services: [] }])), schedule: undefined };
  if ([...pullPlan.hosts.values()].some((hp) => hp.pulls.length)) {
    const pulled = await applyPlan({ ...base, plan: pullPlan });
    addRecap(recap, pulled.recap);
    if (!pulled.ok) return finish(false);
  }

  // 2. What runs now, recorded once, so that a rollback has a target even for a service deployed before revisions.
  recordBaseline(ctx);

  // 3. Service by service in dependency order: hook before, phases of hosts, hook after.
  const order: string[] = [];
  for (const h of ctx.desired.hosts.values()) for (const s of h.services) if (!order.includes(s.name)) order.push(s.name);
  for (const service of order) {
    const hostsWith = [...plan.hosts.values()].filter((hp) => hp.services.some((s) => s.service === service && s.steps.length)).map((hp) => hp.host);
    if (!hostsWith.length) continue;
    const def = ctx.project.roles.byName.get(service)?.def.upgrade ?? {};
    const svcOf = (host: string): DesiredService => ctx.desired.hosts.get(host)!.services.find((s) => s.name === service)!;
    const first = hostsWith[0]!;
    // rolling: the hook runs while the old release serves (an expand-style migration); offline: after every host stopped.
    if (def.strategy !== "offline" && def.hooks?.before && !(await runHook(ctx, service, "before", first, svcOf(first)))) return finish(false);
    if (def.strategy === "offline") {
      // Downtime by design: every host of the service stops before the new release starts anywhere.
      emit({ type: "phase", name: `${service}: offline upgrade, stopping every host` });
      for (const host of hostsWith) {
        const t = ctx.session.transports.get(host)!;
        for (const c of svcOf(host).containers) {
          if (!ctx.session.facts.get(host)?.containers.get(c.name)?.running) continue;
          const r = await t.exec(docker.stop(c.name, c.stopTimeout), { become: true });
          emit({ type: "step", host, service, kind: "stop", target: c.name, reason: "offline upgrade", status: r.code === 0 ? "ok" : "failed", error: r.code === 0 ? undefined : r.stderr.trim() });
          if (r.code !== 0) return finish(false);
        }
      }
      if (def.hooks?.before && !(await runHook(ctx, service, "before", first, svcOf(first)))) return finish(false);
    }
    const phases = phasesOf(hostsWith, def.phases, (h) => ctx.project.inventory.groupsOf(h));
    for (const [i, hosts] of phases.entries()) {
      if (phases.length > 1) emit({ type: "phase", name: `${service}: phase ${i + 1}/${phases.length} (${hosts.join(", ")})` });
      const res = await applyPlan({
        ...base,
        plan: slicePlan(plan, service, hosts),
        serialOverride: def.strategy === "offline" ? "100%" : ctx.opts.serial,
      });
      addRecap(recap, res.recap);
      if (!res.ok) return finish(false);
    }
    if (def.hooks?.after && !(await runHook(ctx, service, "after", first, svcOf(first)))) return finish(false);
  }

  // 4. Each host records the release it now runs.
  await recordRunRevisions(ctx, opts.set?.length ? `upgrade --set ${opts.set.join(" ")}` : "upgrade");
  return finish(true);
}

async function runHook(ctx: EngineContext, service: string, when: "before" | "after", host: string, svc: DesiredService): Promise<boolean> {
  const hook = ctx.project.roles.byName.get(service)!.def.upgrade!.hooks![when]!;
  const container = svc.containers[0];
  const t = ctx.session.transports.get(host);
  if (!container || !t) return false;
  const argv = hookArgv(service, when, hook, container);
  const target = `${service} ${when} hook`;
  ctx.reporter.emit({ type: "step", host, service, kind: "hook", target, reason: hook.command.join(" "), status: "start" });
  const started = Date.now();
  const r = await t.exec(argv, { become: true, timeoutMs: parseDuration(hook.timeout ?? "10m") });
  const ok = r.code === 0;
  ctx.reporter.emit({ type: "step", host, service, kind: "hook", target, reason: hook.command.join(" "), status: ok ? "ok" : "failed", ms: Date.now() - started, error: ok ? undefined : ctx.redact(`${r.stdout}${r.stderr}`.trim().split("\n").slice(-3).join(" "))});
  if (!ok) ctx.reporter.emit({ type: "halt", service, host, reason: `the ${when} hook failed (exit ${r.code})`, untouched: when === "before" ? [...ctx.desired.hosts.keys()] : [] });
  return ok;
}

/**
 * Queues a revision of what runs now for every service that has none recorded yet (deployed by a lading that
 * did not record revisions), so that the first upgrade has something to roll back to. No round trip: the facts
 * hold the containers' parameters and the config files.
 */
function recordBaseline(ctx: EngineContext): void {
  for (const h of ctx.desired.hosts.values()) {
    const f = ctx.session.facts.get(h.name);
    const recorded = ctx.hold.state.get(h.name)?.revisions ?? {};
    if (!f) continue;
    for (const svc of h.services) {
      if (recorded[svc.name]) continue;
      const rev = revisionFromRunning(svc, f, { rev: 1, time: new Date().toISOString(), command: "running before upgrade", host: h.name });
      if (rev) ctx.hold.queueRevision(rev);
    }
  }
}
