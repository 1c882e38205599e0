// A run against the hosts, as every command that talks to them shares it: render, connect, gather facts, take
// the deploy lock as the command needs it, plan, and (for the applying commands) apply, recording revisions and
// the recap. It reports through a sink of events and returns its outcome: the CLI prints the events and sets the
// exit code (src/cli/engine-command.ts), `lading serve` streams them and keeps them (src/serve/runs.ts).
import { applyPlan, vipHolderOf } from "../apply/apply.js";
import type { HostRecap, RunEvent } from "../apply/events.js";
import { registrationClusters } from "../apply/registrations.js";
import { openSession, type Session, type SessionOptions } from "../engine/session.js";
import type { Inventory } from "../inventory/index.js";
import { waitForLock } from "../lifecycle/lock-wait.js";
import { operatorFilesOf, writeOperatorFiles } from "../lifecycle/operator-files.js";
import { lockPolicyOf, RunHold } from "../lifecycle/run-lock.js";
import { renderProject, type Project } from "../model/project.js";
import { buildPlan, countSteps, hasChanges, type Plan, type PlanMode } from "../plan/plan.js";
import { buildSchedule } from "../plan/schedule.js";
import type { DesiredState } from "../render/desired.js";
import { isEncryptedPath, keyFileOf, recipientsFor } from "../secrets/encrypted.js";
import { Redactor } from "../secrets/redact.js";
import { DEFAULT_MAX_HANDSHAKES } from "../transport/index.js";
import { projectFrom, type DeploymentOptions } from "./deployment-options.js";
import { OUTCOME, type Outcome } from "./outcome.js";

export interface RunOptions extends DeploymentOptions {
  limit?: string;
  service?: string[];
  forks: number;
  maxHandshakes?: number;
  acceptNewHostKeys?: boolean;
  json?: boolean;
  keepGoing?: boolean;
  serial?: number | `${number}%`;
  breakLock?: boolean;
  /** --lock-wait, in milliseconds. */
  lockWait?: number;
}

/** Where a run's events go: the CLI's reporter (progress lines, a live display, --json), or a serve run's log. */
export interface RunSink {
  emit(e: RunEvent): void;
  /** The run is over: stop any live display. */
  finish(): void;
}

/** Opens the connections of a run and gathers the facts (openSession; a fake in tests). */
export type SessionOpener = (inventory: Inventory, desired: DesiredState, opts: SessionOptions) => Promise<Session>;

export interface RunSetup {
  /** The sink, made once the deployment is read: every line it prints must pass `redact`. */
  sink: (redact: (s: string) => string) => RunSink | Promise<RunSink>;
  /** The desired state of the run (default: the whole deployment, as --limit and --service select). */
  render?: (project: Project) => DesiredState;
  /** Default: openSession, over SSH (or the local connector). */
  openSession?: SessionOpener;
  /** The deployment, already read (lading serve reads it once per request); default: read with the options. */
  project?: Project;
  /** Called once the run is started (facts in, lock as its command needs it), before its body. */
  onStarted?: (ctx: RunContext) => void;
  /** Called when the run stops before its body: hosts unreachable, or the deploy lock held by another run. */
  onRefused?: (refusal: RunRefusal) => void;
}

export interface RunRefusal {
  reason: "unreachable" | "locked";
  /** Each problem, as the run's warnings say them. */
  messages: string[];
}

export interface RunContext {
  /** The command as the lock and audit log name it (e.g. "deploy", "prune-images --dry-run"). */
  command: string;
  project: Project;
  desired: DesiredState;
  /** Every service's desired state on the run's hosts: `desired` when the run is not limited to some services. */
  everyService: DesiredState;
  session: Session;
  /** The deploy lock, lading's state file as the run changes it, its revisions and audit entries. */
  hold: RunHold;
  reporter: RunSink;
  redact: (s: string) => string;
  started: number;
  opts: RunOptions;
}

/**
 * Commands whose plans never read the engine's volumes: their facts skip listing them (one docker call less
 * per host, on every no-op run). Any other command gets them.
 */
const COMMANDS_WITHOUT_VOLUMES = new Set(["plan", "deploy", "reconfigure", "deploy-containers", "genconfig", "check", "pull", "stop"]);

/**
 * Renders, connects, gathers facts and takes the lock as the command needs it. Unreachable hosts stop the run
 * before any change unless --keep-going, and so does a deploy lock another run holds: then the context is
 * undefined and the outcome says why (the events, the refusal).
 */
export async function startRun(command: string, opts: RunOptions, setup: RunSetup): Promise<{ ctx: RunContext } | { ctx?: undefined; outcome: Outcome }> {
  const started = Date.now();
  const lockWaitMs = opts.lockWait;
  const project = setup.project ?? (await projectFrom(opts));
  const desired = setup.render ? setup.render(project) : renderProject(project, { limit: opts.limit, services: opts.service });
  // A run limited to some services still takes a restarting host out of the load balancers' rotation.
  const everyService = opts.service?.length ? renderProject(project, { limit: opts.limit }) : desired;
  // Each secret whole, so that a key pair's (and the TLS key's) every line is hidden too.
  const redactor = new Redactor(Object.values(project.secrets));
  const redact = (s: string): string => redactor.redact(s);
  const reporter = await setup.sink(redact);
  reporter.emit({ type: "run-start", command, hosts: [...desired.hosts.keys()] });
  const forks = opts.forks;
  const maxHandshakes = opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
  const session = await (setup.openSession ?? openSession)(project.inventory, desired, {
    forks,
    maxHandshakes,
    acceptNewHostKeys: opts.acceptNewHostKeys,
    volumes: !COMMANDS_WITHOUT_VOLUMES.has(command),
    emit: (e) => reporter.emit(e),
  });
  if (session.unreachable.size) {
    if (!opts.keepGoing) {
      const recap = [...desired.hosts.keys()].map((h) => recapOf(h, session.unreachable.has(h)));
      reporter.emit({ type: "warning", message: `${session.unreachable.size} host(s) unreachable: nothing was changed on any host (use --keep-going to go on with the others)` });
      reporter.emit({ type: "recap", hosts: recap, ms: Date.now() - started, ok: false });
      reporter.finish();
      await session.close();
      setup.onRefused?.({ reason: "unreachable", messages: [...session.unreachable].map(([h, why]) => `${h}: ${why}`) });
      return { outcome: OUTCOME.failed };
    }
    for (const h of session.unreachable.keys()) desired.hosts.delete(h);
  }
  if (lockWaitMs !== undefined && lockPolicyOf(command) !== "none" && !opts.breakLock) {
    const waited = await waitForLock({
      locks: () => new Map([...desired.hosts.keys()].map((h) => [h, session.facts.get(h)?.lock])),
      refresh: () => session.refreshFacts(),
      waitMs: lockWaitMs,
      onHeld: (held, ms) => {
        for (const h of held) reporter.emit({ type: "warning", message: h.verdict.message });
        reporter.emit({ type: "warning", message: `--lock-wait: waiting up to ${formatDuration(ms)} for the deploy lock` });
      },
      onWaiting: (elapsed, ms, held) =>
        reporter.emit({ type: "warning", message: `--lock-wait: still waiting for the deploy lock (${formatDuration(elapsed)} of ${formatDuration(ms)}): held on ${held.map((h) => h.host).join(", ")} by ${[...new Set(held.map((h) => h.lock?.who ?? "an unreadable lock"))].join(", ")}` }),
    });
    if (waited.ok && waited.waitedMs > 0) reporter.emit({ type: "warning", message: `--lock-wait: the deploy lock is free after ${formatDuration(waited.waitedMs)}; going on with the hosts' facts read again` });
    if (!waited.ok) reporter.emit({ type: "warning", message: `--lock-wait: the deploy lock was still held after ${formatDuration(waited.waitedMs)}` });
  }
  const hold = new RunHold(command, desired.hosts.values(), session.facts, redact, project.environment);
  const ctx: RunContext = { command, project, desired, everyService, session, hold, reporter, redact, started, opts };
  const policy = lockPolicyOf(command);
  const held = hold.heldLocks();
  if (policy === "none") {
    // The facts read the lock file anyway: say so when another run may be changing what this one reads.
    if (command !== "lock status") for (const h of held) reporter.emit({ type: "warning", message: `${h.verdict.message}; what this run reads may be changing` });
    return { ctx };
  }
  hold.observe(reporter);
  if (held.length && !opts.breakLock) return refuse(ctx, setup, held.map((h) => h.verdict.message), "another run holds the deploy lock");
  if (policy === "now" || (held.length && opts.breakLock)) {
    const taken = await hold.acquire(session.transports, { breakLock: opts.breakLock });
    if (!taken.ok) return refuse(ctx, setup, taken.problems, "the deploy lock could not be taken");
    if (held.length) reporter.emit({ type: "warning", message: `--break-lock: took over the deploy lock of ${held.map((h) => h.host).join(", ")}` });
  }
  return { ctx };
}

/** Reports why the run stops before any change and closes the connections. */
async function refuse(ctx: RunContext, setup: RunSetup, problems: string[], why: string): Promise<{ outcome: Outcome }> {
  for (const p of problems) ctx.reporter.emit({ type: "warning", message: p });
  ctx.reporter.emit({ type: "warning", message: `${why}: nothing was changed on any host (lading lock status shows the holders; --break-lock takes a stale lock over)` });
  ctx.reporter.emit({ type: "recap", hosts: [...ctx.desired.hosts.keys()].map((h) => recapOf(h, false)), ms: Date.now() - ctx.started, ok: false });
  ctx.reporter.finish();
  await ctx.session.close();
  setup.onRefused?.({ reason: "locked", messages: problems });
  return { outcome: OUTCOME.failed };
}

/**
 * Runs `body` with a started run and always finishes it (state file, revisions, audit entries, lock release in
 * one exec per host) and closes the connections. Returns the run's outcome.
 */
export async function withRun(command: string, opts: RunOptions, setup: RunSetup, body: (ctx: RunContext) => Promise<Outcome>): Promise<Outcome> {
  const start = await startRun(command, opts, setup);
  if (!start.ctx) return start.outcome;
  const ctx = start.ctx;
  let outcome: Outcome = OUTCOME.failed;
  try {
    setup.onStarted?.(ctx);
    outcome = await body(ctx);
  } finally {
    // The run's last exec per host: state file, revisions, audit entries, lock release.
    const execsBefore = totalExecs(ctx.session);
    const failures = await ctx.hold.finish(ctx.session.transports);
    for (const f of failures) ctx.reporter.emit({ type: "warning", message: f });
    // The final exec counts too: the last stats event of a run is its whole cost.
    if (totalExecs(ctx.session) !== execsBefore) ctx.reporter.emit({ type: "stats", hosts: Object.fromEntries(ctx.session.stats()) });
    if (failures.length) outcome = OUTCOME.failed;
    ctx.reporter.finish();
    await ctx.session.close();
  }
  return outcome;
}

/**
 * Takes the deploy lock before a command's first change (a no-op run never takes it). False, with the reasons
 * reported, when another run holds a host or changed one since the facts.
 */
export async function lockForChanges(ctx: RunContext): Promise<boolean> {
  const taken = await ctx.hold.acquire(ctx.session.transports, { breakLock: ctx.opts.breakLock });
  if (taken.ok) return true;
  for (const p of taken.problems) ctx.reporter.emit({ type: "warning", message: p });
  ctx.reporter.emit({ type: "warning", message: "the deploy lock could not be taken: nothing was changed on any host" });
  return false;
}

/** Records a revision of every service of the run's hosts that changed, for the run's final write. */
export async function recordRunRevisions(ctx: RunContext, revisionCommand?: string): Promise<void> {
  const recorded = await ctx.hold.recordRevisions(ctx.session.transports, ctx.desired.hosts.values(), revisionCommand ?? ctx.command);
  for (const r of recorded) ctx.reporter.emit({ type: "step", host: r.host, service: r.service, kind: "revision", target: `${r.service} revision ${r.rev}`, reason: "recorded", status: "ok" });
}

/** 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m ? `${m}m${s % 60 ? `${s % 60}s` : ""}` : `${s}s`;
}

export function recapOf(host: string, unreachable: boolean): HostRecap {
  return { host, ok: 0, changed: 0, failed: 0, unreachable, skipped: unreachable };
}

/** The plan of the run, with its schedule (asking the VIP's holder only when a vipLast service restarts). */
export async function planFor(ctx: RunContext, mode: PlanMode): Promise<Plan> {
  const plan = buildPlan({ desired: ctx.desired, facts: ctx.session.facts, secrets: ctx.project.secrets, mode });
  const live = { desired: ctx.desired, facts: ctx.session.facts, transports: ctx.session.transports, hostParams: ctx.project.hostParams };
  plan.schedule = buildSchedule({ plan, desired: ctx.desired, facts: ctx.session.facts, serialOverride: ctx.opts.serial, vipHolder: await vipHolderOf(plan, live) });
  ctx.reporter.emit({ type: "plan", changes: countSteps(plan) });
  return plan;
}

/**
 * Applies a plan and reports the recap; returns the outcome. A plan with changes takes the deploy lock first,
 * and a successful apply records the revisions (`revisionCommand` names them, default the command).
 */
export async function applyAndRecap(ctx: RunContext, plan: Plan, revisionCommand?: string): Promise<Outcome> {
  let ok = true;
  let recap: HostRecap[];
  if (!hasChanges(plan)) {
    recap = [...plan.hosts.keys()].map((h) => ({ ...recapOf(h, false), ok: 1 }));
  } else if (!(await lockForChanges(ctx))) {
    ok = false;
    recap = [...plan.hosts.keys()].map((h) => ({ ...recapOf(h, false), skipped: true }));
  } else {
    const res = await applyPlan({
      state: ctx.hold.state,
      plan,
      desired: ctx.desired,
      facts: ctx.session.facts,
      transports: ctx.session.transports,
      secrets: ctx.project.secrets,
      emit: (e) => ctx.reporter.emit(e),
      forks: Number(ctx.opts.forks),
      hostParams: ctx.project.hostParams,
      clusters: registrationClusters(ctx.project.enabled, ctx.project.topology),
      everyService: ctx.everyService,
      serialOverride: ctx.opts.serial,
    });
    ok = res.ok;
    recap = [...res.recap.values()];
    if (ok) await recordRunRevisions(ctx, revisionCommand);
  }
  if (ok) {
    const files = operatorFilesOf(ctx.desired, ctx.project.dir);
    const key = keyFileOf(ctx.opts.secretsKey);
    const encryptTo = files.length && isEncryptedPath(ctx.project.passwordsFile) && key ? await recipientsFor(ctx.project.passwordsFile, key) : undefined;
    for (const f of await writeOperatorFiles(files, encryptTo)) ctx.reporter.emit({ type: "operator-file", service: f.service, path: f.path });
  }
  for (const h of ctx.session.unreachable.keys()) recap.push(recapOf(h, true));
  ctx.reporter.emit({ type: "stats", hosts: Object.fromEntries(ctx.session.stats()) });
  ctx.reporter.emit({ type: "recap", hosts: recap, ms: Date.now() - ctx.started, ok: ok && ctx.session.unreachable.size === 0 });
  return ok && ctx.session.unreachable.size === 0 ? OUTCOME.ok : OUTCOME.failed;
}

/** The modes of the commands that plan and apply the deployment. */
export type ApplyCommand = "deploy" | "reconfigure" | "deploy-containers";

/**
 * deploy, reconfigure or deploy-containers: the plan, then its apply. reconfigure refuses a cluster that does not
 * run yet (deploy bootstraps it).
 */
export async function runApply(ctx: RunContext, mode: ApplyCommand): Promise<Outcome> {
  const plan = await planFor(ctx, mode);
  if (mode === "reconfigure" && plan.bootstrap.size) {
    ctx.reporter.emit({ type: "warning", message: `${[...plan.bootstrap.keys()].join(", ")} has no running cluster yet: run lading deploy first; nothing was changed` });
    return OUTCOME.failed;
  }
  return applyAndRecap(ctx, plan);
}

/** plan: the outcome of a plan that was computed (changes pending, or none; failed when a host was not reached). */
export function planOutcome(ctx: RunContext, plan: Plan): Outcome {
  if (ctx.session.unreachable.size) return OUTCOME.failed;
  return hasChanges(plan) ? OUTCOME.changes : OUTCOME.ok;
}

function totalExecs(session: Session): number {
  let n = 0;
  for (const s of session.stats().values()) n += s.execs;
  return n;
}

export type { RunEvent };
