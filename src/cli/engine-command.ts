// The shared body of every command that talks to hosts: render, connect, gather facts, plan, and
// (for the applying commands) apply, with progress, a recap and documented exit codes.
import type { Command } from "commander";
import { applyPlan, vipHolderOf } from "../apply/apply.js";
import { operatorFilesOf, writeOperatorFiles } from "../lifecycle/operator-files.js";
import { isEncryptedPath, keyFileOf, recipientsFor } from "../secrets/encrypted.js";
import { buildSchedule } from "../plan/schedule.js";
import type { HostRecap } from "../apply/events.js";
import { registrationClusters } from "../apply/registrations.js";
import { InputError } from "../errors.js";
import { renderProject, type Project } from "../model/project.js";
import { buildPlan, countSteps, hasChanges, type Plan, type PlanMode } from "../plan/plan.js";
import { formatPlan, planToJson } from "../plan/format.js";
import type { DesiredState } from "../render/desired.js";
import { Redactor } from "../secrets/redact.js";
import { openSession, type Session } from "../engine/session.js";
import { DEFAULT_MAX_HANDSHAKES } from "../transport/index.js";
import { lockPolicyOf, RunHold } from "../lifecycle/run-lock.js";
import { waitForLock } from "../lifecycle/lock-wait.js";
import { EXIT } from "./exit-codes.js";
import { projectFrom, withDeploymentOptions, type DeploymentOptions } from "./project-options.js";
import { countOption, durationOption } from "./option-parsers.js";
import { createReporter, type Reporter } from "./reporter.js";

export interface EngineOptions extends DeploymentOptions {
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

export function withEngineOptions(cmd: Command): Command {
  return withDeploymentOptions(cmd)
    .option("-l, --limit <pattern>", "only hosts matching the pattern (names, groups, globs, !exclude, &intersection)")
    .option("-s, --service <name...>", "only these services")
    .option("-f, --forks <n>", "hosts worked on at once", countOption("--forks"), 10)
    .option("--max-handshakes <n>", "SSH connections being opened at once (below sshd's MaxStartups, 10, which drops the rest)", countOption("--max-handshakes"), DEFAULT_MAX_HANDSHAKES)
    .option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts (a changed key is always refused)")
    .option("--keep-going", "go on with the reachable hosts when some are unreachable")
    .option("--break-lock", "take over the deploy lock another run holds (lading lock status shows who; check it is stale first)")
    .option("--lock-wait <duration>", "when another run holds the deploy lock, wait up to this long (e.g. 10m) for it instead of failing at once (applying commands)", durationOption("--lock-wait"))
    .option("--json", "one JSON event per line instead of progress output");
}

/**
 * Commands whose plans never read the engine's volumes: their facts skip listing them (one docker call less
 * per host, on every no-op run). Any other command gets them.
 */
const COMMANDS_WITHOUT_VOLUMES = new Set(["plan", "deploy", "reconfigure", "deploy-containers", "genconfig", "check", "pull", "stop"]);

export interface EngineContext {
  /** The command as the lock and audit log name it (e.g. "deploy", "prune-images --dry-run"). */
  command: string;
  project: Project;
  desired: DesiredState;
  /** Every service's desired state on the run's hosts: `desired` when the run is not limited to some services. */
  everyService: DesiredState;
  session: Session;
  /** The deploy lock, lading's state file as the run changes it, its revisions and audit entries. */
  hold: RunHold;
  reporter: Reporter;
  redact: (s: string) => string;
  started: number;
  opts: EngineOptions;
}

export interface EngineRunOptions {
  /** Progress lines go here instead of stdout (logs, exec: stdout carries the containers' output). */
  progressOut?: NodeJS.WritableStream;
}

/** Renders, connects, gathers facts. Unreachable hosts stop the run before any change unless --keep-going. */
export async function startEngine(command: string, opts: EngineOptions, render?: (project: Project) => DesiredState, run: EngineRunOptions = {}): Promise<EngineContext | undefined> {
  const started = Date.now();
  const lockWaitMs = opts.lockWait;
  const project = await projectFrom(opts);
  const desired = render ? render(project) : renderProject(project, { limit: opts.limit, services: opts.service });
  // A run limited to some services still takes a restarting host out of the load balancers' rotation.
  const everyService = opts.service?.length ? renderProject(project, { limit: opts.limit }) : desired;
  // Each secret whole, so that a key pair's (and the TLS key's) every line is hidden too.
  const redactor = new Redactor(Object.values(project.secrets));
  const redact = (s: string): string => redactor.redact(s);
  const reporter = await createReporter(
    run.progressOut && !opts.json ? { json: false, tty: false, redact, out: run.progressOut } : { json: !!opts.json, tty: !!process.stdout.isTTY && !process.env.CI, redact },
  );
  reporter.emit({ type: "run-start", command, hosts: [...desired.hosts.keys()] });
  const forks = opts.forks;
  const maxHandshakes = opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
  const session = await openSession(project.inventory, desired, { forks, maxHandshakes, acceptNewHostKeys: opts.acceptNewHostKeys, volumes: !COMMANDS_WITHOUT_VOLUMES.has(command), emit: (e) => reporter.emit(e) });
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
  const ctx: EngineContext = { command, project, desired, everyService, session, hold, reporter, redact, started, opts };
  const policy = lockPolicyOf(command);
  const held = hold.heldLocks();
  if (policy === "none") {
    // The facts read the lock file anyway: say so when another run may be changing what this one reads.
    if (command !== "lock status") for (const h of held) reporter.emit({ type: "warning", message: `${h.verdict.message}; what this run reads may be changing` });
    return ctx;
  }
  hold.observe(reporter);
  if (held.length && !opts.breakLock) return refuse(ctx, held.map((h) => h.verdict.message), "another run holds the deploy lock");
  if (policy === "now" || (held.length && opts.breakLock)) {
    const taken = await hold.acquire(session.transports, { breakLock: opts.breakLock });
    if (!taken.ok) return refuse(ctx, taken.problems, "the deploy lock could not be taken");
    if (held.length) reporter.emit({ type: "warning", message: `--break-lock: took over the deploy lock of ${held.map((h) => h.host).join(", ")}` });
  }
  return ctx;
}

/** Reports why the run stops before any change, closes the connections and sets the exit code. */
async function refuse(ctx: EngineContext, problems: string[], why: string): Promise<undefined> {
  for (const p of problems) ctx.reporter.emit({ type: "warning", message: p });
  ctx.reporter.emit({ type: "warning", message: `${why}: nothing was changed on any host (lading lock status shows the holders; --break-lock takes a stale lock over)` });
  ctx.reporter.emit({ type: "recap", hosts: [...ctx.desired.hosts.keys()].map((h) => recapOf(h, false)), ms: Date.now() - ctx.started, ok: false });
  ctx.reporter.finish();
  await ctx.session.close();
  process.exitCode = EXIT.failed;
  return undefined;
}

/**
 * Takes the deploy lock before a command's first change (a no-op run never takes it). False, with the reasons
 * reported, when another run holds a host or changed one since the facts.
 */
export async function lockForChanges(ctx: EngineContext): Promise<boolean> {
  const taken = await ctx.hold.acquire(ctx.session.transports, { breakLock: ctx.opts.breakLock });
  if (taken.ok) return true;
  for (const p of taken.problems) ctx.reporter.emit({ type: "warning", message: p });
  ctx.reporter.emit({ type: "warning", message: "the deploy lock could not be taken: nothing was changed on any host" });
  return false;
}

/** Records a revision of every service of the run's hosts that changed, for the run's final write. */
export async function recordRunRevisions(ctx: EngineContext, revisionCommand?: string): Promise<void> {
  const recorded = await ctx.hold.recordRevisions(ctx.session.transports, ctx.desired.hosts.values(), revisionCommand ?? ctx.command);
  for (const r of recorded) ctx.reporter.emit({ type: "step", host: r.host, service: r.service, kind: "revision", target: `${r.service} revision ${r.rev}`, reason: "recorded", status: "ok" });
}

/** 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m ? `${m}m${s % 60 ? `${s % 60}s` : ""}` : `${s}s`;
}

function recapOf(host: string, unreachable: boolean): HostRecap {
  return { host, ok: 0, changed: 0, failed: 0, unreachable, skipped: unreachable };
}

/** The plan of the run, with its schedule (asking the VIP's holder only when a vipLast service restarts). */
export async function planFor(ctx: EngineContext, mode: PlanMode): Promise<Plan> {
  const plan = buildPlan({ desired: ctx.desired, facts: ctx.session.facts, secrets: ctx.project.secrets, mode });
  const live = { desired: ctx.desired, facts: ctx.session.facts, transports: ctx.session.transports, hostParams: ctx.project.hostParams };
  plan.schedule = buildSchedule({ plan, desired: ctx.desired, facts: ctx.session.facts, serialOverride: ctx.opts.serial, vipHolder: await vipHolderOf(plan, live) });
  ctx.reporter.emit({ type: "plan", changes: countSteps(plan) });
  return plan;
}

/**
 * Applies a plan and prints the recap; returns the exit code. A plan with changes takes the deploy lock first,
 * and a successful apply records the revisions (`revisionCommand` names them, default the command).
 */
export async function applyAndRecap(ctx: EngineContext, plan: Plan, revisionCommand?: string): Promise<number> {
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
export async function withEngine(
  command: string,
  opts: EngineOptions,
  body: (ctx: EngineContext) => Promise<number>,
  render?: (project: Project) => DesiredState,
  run?: EngineRunOptions,
): Promise<void> {
  const ctx = await startEngine(command, opts, render, run);
  if (!ctx) return;
  try {
    process.exitCode = await body(ctx);
  } finally {
    // The run's last exec per host: state file, revisions, audit entries, lock release.
    const execsBefore = totalExecs(ctx.session);
    const failures = await ctx.hold.finish(ctx.session.transports);
    for (const f of failures) ctx.reporter.emit({ type: "warning", message: f });
    // The final exec counts too: the last stats event of a run is its whole cost.
    if (totalExecs(ctx.session) !== execsBefore) ctx.reporter.emit({ type: "stats", hosts: Object.fromEntries(ctx.session.stats()) });
    if (failures.length) process.exitCode = EXIT.failed;
    ctx.reporter.finish();
    await ctx.session.close();
  }
}

function totalExecs(session: Session): number {
  let n = 0;
  for (const s of session.stats().values()) n += s.execs;
  return n;
}
