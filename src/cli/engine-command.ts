// The shared body of every command that talks to hosts: render, connect, gather facts, plan, and
// (for the applying commands) apply, with progress, a recap and documented exit codes.
import type { Command } from "commander";
import { applyPlan } from "../apply/apply.js";
import type { HostRecap } from "../apply/events.js";
import { InputError } from "../errors.js";
import { renderProject, type Project } from "../model/project.js";
import { buildPlan, countSteps, hasChanges, type Plan, type PlanMode } from "../plan/plan.js";
import { formatPlan, planToJson } from "../plan/format.js";
import type { DesiredState } from "../render/desired.js";
import { secretStrings } from "../render/render.js";
import { Redactor } from "../secrets/redact.js";
import { openSession, type Session } from "../engine/session.js";
import { EXIT } from "./exit-codes.js";
import { projectFrom, withDeploymentOptions, type DeploymentOptions } from "./project-options.js";
import { createReporter, type Reporter } from "./reporter.js";

export interface EngineOptions extends DeploymentOptions {
  limit?: string;
  service?: string[];
  forks: string;
  acceptNewHostKeys?: boolean;
  json?: boolean;
  keepGoing?: boolean;
  serial?: string;
}

export function withEngineOptions(cmd: Command): Command {
  return withDeploymentOptions(cmd)
    .option("-l, --limit <pattern>", "only hosts matching the pattern (names, groups, globs, !exclude, &intersection)")
    .option("-s, --service <name...>", "only these services")
    .option("-f, --forks <n>", "hosts worked on at once", "10")
    .option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts (a changed key is always refused)")
    .option("--keep-going", "go on with the reachable hosts when some are unreachable")
    .option("--json", "one JSON event per line instead of progress output");
}

export interface EngineContext {
  project: Project;
  desired: DesiredState;
  session: Session;
  reporter: Reporter;
  redact: (s: string) => string;
  started: number;
  opts: EngineOptions;
}

/** Renders, connects, gathers facts. Unreachable hosts stop the run before any change unless --keep-going. */
export async function startEngine(command: string, opts: EngineOptions, render?: (project: Project) => DesiredState): Promise<EngineContext | undefined> {
  const started = Date.now();
  const project = projectFrom(opts);
  const desired = render ? render(project) : renderProject(project, { limit: opts.limit, services: opts.service });
  const redactor = new Redactor(secretStrings(project.secrets));
  const redact = (s: string): string => redactor.redact(s);
  const reporter = createReporter({ json: !!opts.json, tty: !!process.stdout.isTTY && !process.env.CI, redact });
  reporter.emit({ type: "run-start", command, hosts: [...desired.hosts.keys()] });
  const forks = Number(opts.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new InputError([{ file: "--forks", message: "must be a whole number of at least 1" }]);
  const session = await openSession(project.inventory, desired, { forks, acceptNewHostKeys: opts.acceptNewHostKeys, emit: (e) => reporter.emit(e) });
  if (session.unreachable.size) {
    if (!opts.keepGoing) {
      const recap = [...desired.hosts.keys()].map((h) => recapOf(h, session.unreachable.has(h)));
      reporter.emit({ type: "warning", message: `${session.unreachable.size} host(s) unreachable: nothing was changed on any host (use --keep-going to go on with the others)` });
      reporter.emit({ type: "recap", hosts: recap, ms: Date.now() - started, ok: false });
      reporter.finish();
      await session.close();
      process.exitCode = EXIT.failed;
      return undefined;
    }
    for (const h of session.unreachable.keys()) desired.hosts.delete(h);
  }
  // The deploy lock (src/lifecycle/run-lock.ts) is not taken here yet: it must first fold into the facts
  // round trip, so that a no-op run stays at one round trip per host.
  return { project, desired, session, reporter, redact, started, opts };
}

function recapOf(host: string, unreachable: boolean): HostRecap {
  return { host, ok: 0, changed: 0, failed: 0, unreachable, skipped: unreachable };
}

export function planFor(ctx: EngineContext, mode: PlanMode): Plan {
  const plan = buildPlan({ desired: ctx.desired, facts: ctx.session.facts, secrets: ctx.project.secrets, mode });
  ctx.reporter.emit({ type: "plan", changes: countSteps(plan) });
  return plan;
}

/** Applies a plan and prints the recap; returns the exit code. */
export async function applyAndRecap(ctx: EngineContext, plan: Plan): Promise<number> {
  let ok = true;
  let recap: HostRecap[];
  if (!hasChanges(plan)) {
    recap = [...plan.hosts.keys()].map((h) => ({ ...recapOf(h, false), ok: 1 }));
  } else {
    const res = await applyPlan({
      plan,
      desired: ctx.desired,
      facts: ctx.session.facts,
      transports: ctx.session.transports,
      secrets: ctx.project.secrets,
      emit: (e) => ctx.reporter.emit(e),
      forks: Number(ctx.opts.forks),
      hostParams: ctx.project.hostParams,
      serialOverride: ctx.opts.serial === undefined ? undefined : /%$/.test(ctx.opts.serial) ? ctx.opts.serial : Number(ctx.opts.serial),
    });
    ok = res.ok;
    recap = [...res.recap.values()];
  }
  for (const h of ctx.session.unreachable.keys()) recap.push(recapOf(h, true));
  ctx.reporter.emit({ type: "stats", hosts: Object.fromEntries(ctx.session.stats()) });
  ctx.reporter.emit({ type: "recap", hosts: recap, ms: Date.now() - ctx.started, ok: ok && ctx.session.unreachable.size === 0 });
  return ok && ctx.session.unreachable.size === 0 ? EXIT.ok : EXIT.failed;
}

export function printPlan(ctx: EngineContext, plan: Plan, opts: { diffs: boolean; verbose?: boolean }): void {
  if (ctx.opts.json) {
    process.stdout.write(`${JSON.stringify({ type: "plan-detail", plan: planToJson(plan, ctx.redact) })}\n`);
    return;
  }
  process.stdout.write(formatPlan(plan, { redact: ctx.redact, diffs: opts.diffs, verbose: opts.verbose, color: !!process.stdout.isTTY && !process.env.NO_COLOR }));
}

/** Runs `body` with an engine context and always closes the connections. */
export async function withEngine(command: string, opts: EngineOptions, body: (ctx: EngineContext) => Promise<number>, render?: (project: Project) => DesiredState): Promise<void> {
  const ctx = await startEngine(command, opts, render);
  if (!ctx) return;
  try {
    process.exitCode = await body(ctx);
  } finally {
    ctx.reporter.finish();
    await ctx.session.close();
  }
}
