// What lading serve does with its deployment, each call one composition of the core functions the CLI commands
// call (loadProject, validateDeployment, editParameter, withRun with planFor / checkDeployment / listRevisions /
// lockStatus / runApply / runUpgrade / runRollback). The routes (src/serve/routes.ts) parse a request, call one of
// these, and serialize what it returns; this file holds no rule of its own beyond one applying run at a time.
import type { RunEvent } from "../apply/events.js";
import { formatProblem, InputError, type Problem } from "../errors.js";
import type { ParameterCheck, ParameterEdit, ParameterView, RunRequest, RunSummary } from "../generated/api.js";
import { runRollback } from "../lifecycle/rollback.js";
import { runUpgrade, upgradeRender } from "../lifecycle/upgrade-run.js";
import { deploymentView, type DeploymentView } from "../model/deployment-view.js";
import { checkParameterChange, editParameter, type EditResult } from "../model/edit-parameter.js";
import { parameterViews } from "../model/parameter-view.js";
import { renderProject, type Project } from "../model/project.js";
import { validateDeployment, type ValidatedEnvironment } from "../model/validate-deployment.js";
import { checkDeployment, checkSummary } from "../ops/check.js";
import { listRevisions, type RevisionRow } from "../ops/history.js";
import { lockStatus, type LockRow } from "../ops/lock-status.js";
import { planView, type PlanView } from "../plan/plan-view.js";
import { decryptedSecrets, projectFrom, type DeploymentOptions } from "../run/deployment-options.js";
import { OUTCOME, type Outcome } from "../run/outcome.js";
import { planFor, planOutcome, runApply, withRun, type RunContext, type RunOptions, type RunRefusal, type SessionOpener } from "../run/run.js";
import { Redactor } from "../secrets/redact.js";
import { secretValuesOf } from "../secrets/redaction-values.js";
import { RunRegistry, summaryOf, type RunRecord, type TimedEvent } from "./runs.js";

export interface ServeDeploymentOptions extends DeploymentOptions {
  dir: string;
  /** Hosts worked on at once (the CLI's --forks). */
  forks?: number;
  maxHandshakes?: number;
}

/** What the server can be given instead of the real thing (tests): the session opener, an applying run's body. */
export interface ServeDeps {
  openSession?: SessionOpener;
  /** Replaces the body of an applying run (deploy, reconfigure...): the run, its lock and its events stay real. */
  runBody?: (ctx: RunContext, request: RunRequest) => Promise<Outcome>;
}

/** A request the deployment cannot take: 400, with the problems (file or request path, message). */
export class RequestError extends Error {
  constructor(
    readonly problems: Problem[],
    message = "bad request",
  ) {
    super(message);
  }
}

/** Refused because a run is in the way (this server's, or the deploy lock of another): 409. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly messages: string[] = [],
    readonly run?: RunSummary,
  ) {
    super(message);
  }
}

/** The hosts could not be reached: 502, nothing was changed. */
export class UnreachableError extends Error {
  constructor(readonly messages: string[]) {
    super("hosts unreachable: nothing was changed on any host");
  }
}

/** A read of the hosts: its outcome, the warnings it reported, and what its body found. */
export interface HostRead<T> {
  outcome: Outcome;
  warnings: string[];
  result: T;
}

export class DeploymentService {
  readonly runs = new RunRegistry();

  constructor(
    readonly opts: ServeDeploymentOptions,
    private readonly deps: ServeDeps = {},
  ) {}

  /** The deployment as the CLI reads it (InputError when it has problems). */
  project(): Promise<Project> {
    return projectFrom(this.opts);
  }

  /** Hides every secret of the deployment, read leniently: even a broken deployment leaks none. */
  async redactor(project?: Project): Promise<Redactor> {
    const decrypted = await decryptedSecrets(this.opts).catch(() => new Map<string, string>());
    return new Redactor([...secretValuesOf(this.opts, decrypted), ...Object.values(project?.secrets ?? {})]);
  }

  async deployment(): Promise<DeploymentView> {
    const project = await this.project();
    return deploymentView(project, renderProject(project));
  }

  async parameters(): Promise<{ parameters: ParameterView[]; groups: string[]; hosts: string[]; inventoryEditable: boolean }> {
    const project = await this.project();
    return {
      parameters: parameterViews(project),
      groups: [...project.inventory.groups.keys()].filter((g) => g !== "ungrouped"),
      hosts: [...project.inventory.hosts.keys()],
      inventoryEditable: project.inventory.format === "yaml",
    };
  }

  /** lading validate: every environment (or the one the server was started with). */
  async validate(): Promise<{ ok: boolean; environments: ValidatedEnvironment[]; problems: (Problem & { text: string })[] }> {
    try {
      const environments = validateDeployment({ ...this.projectOptions(), decrypted: await decryptedSecrets(this.opts) });
      return { ok: true, environments, problems: [] };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return { ok: false, environments: [], problems: err.problems.map(withText) };
    }
  }

  /** Checks a parameter change with the deployment's loader; writes nothing. */
  async checkParameter(name: string, body: ParameterCheck): Promise<EditResult> {
    return this.asRequest(async () => checkParameterChange({ ...this.projectOptions(), decrypted: await decryptedSecrets(this.opts) }, { name, ...body }));
  }

  /** Writes a parameter change that brings no new problem; refused while a run of this server is under way. */
  async setParameter(name: string, body: ParameterEdit): Promise<EditResult> {
    const active = this.runs.activeRun;
    if (active) throw new ConflictError(`run ${active.id} (${active.command}) is under way: edit when it is over`, [], summaryOf(active));
    const { confirm: _confirm, ...change } = body;
    void _confirm;
    const result = await this.asRequest(async () => editParameter({ ...this.projectOptions(), decrypted: await decryptedSecrets(this.opts) }, { name, ...change }));
    if (result.problems.length) throw new RequestError(result.problems, `the change to ${name} would make the deployment invalid: nothing was written`);
    return result;
  }

  /** lading plan: the plan with its schedule and diffs, secrets redacted. */
  plan(selection: Selection): Promise<HostRead<PlanView>> {
    return this.readHosts("plan", selection, async (ctx) => {
      const plan = await planFor(ctx, "deploy");
      return { outcome: planOutcome(ctx, plan), result: planView(plan, ctx.redact) };
    });
  }

  /** lading check: drift and health. */
  check(selection: Selection): Promise<HostRead<{ clean: boolean; drift: boolean; summary: string; problems: string[]; notes: string[]; plan: PlanView }>> {
    return this.readHosts("check", selection, async (ctx) => {
      const report = await checkDeployment(ctx);
      const result = { clean: report.clean, drift: report.drift, summary: checkSummary(report), problems: report.problems.map(ctx.redact), notes: report.notes.map(ctx.redact), plan: planView(report.plan, ctx.redact) };
      return { outcome: report.clean ? OUTCOME.ok : OUTCOME.changes, result };
    });
  }

  /** lading history: the revisions of every host. */
  history(selection: Selection): Promise<HostRead<RevisionRow[]>> {
    return this.readHosts("history", selection, async (ctx) => ({ outcome: OUTCOME.ok, result: await listRevisions(ctx) }));
  }

  /** lading lock status. */
  lock(selection: Selection): Promise<HostRead<LockRow[]>> {
    return this.readHosts("lock status", selection, async (ctx) => {
      const rows = lockStatus(ctx);
      return { outcome: rows.some((r) => r.locked) ? OUTCOME.changes : OUTCOME.ok, result: rows };
    });
  }

  /**
   * Starts an applying run, as the CLI command of the same name. Resolves once its facts are in and the lock
   * allows it (the run goes on, its events in the registry); ConflictError while another run of this server is
   * under way or another run holds the deploy lock; UnreachableError; InputError for a deployment with problems.
   */
  startRun(request: RunRequest): Promise<RunSummary> {
    return selectionProblems("request body", () => this.startRunOf(request));
  }

  private async startRunOf(request: RunRequest): Promise<RunSummary> {
    if (request.command === "rollback" && request.services?.length !== 1) throw new RequestError([{ file: "request body", path: "/services", message: "rollback needs exactly one service" }]);
    const project = await this.project();
    const run = this.runs.begin(request.command, { ...request });
    if (!run) {
      const active = this.runs.activeRun!;
      throw new ConflictError(`run ${active.id} (${active.command}) is under way: one applying run at a time`, [], summaryOf(active));
    }
    const opts = this.runOptions({ limit: request.limit, service: request.services?.join(",") }, request.serial);
    let refusal: RunRefusal | undefined;
    let began = false;
    const ready = new Promise<{ refused?: RunRefusal; error?: unknown }>((settle) => {
      const body = (ctx: RunContext): Promise<Outcome> => {
        began = true;
        settle({});
        if (this.deps.runBody) return this.deps.runBody(ctx, request);
        switch (request.command) {
          case "upgrade":
            return runUpgrade(ctx, { ...opts, set: request.set });
          case "rollback":
            return runRollback(ctx, request.services![0]!, request.to);
          default:
            return runApply(ctx, request.command);
        }
      };
      withRun(
        request.command,
        opts,
        {
          project,
          sink: (redact) => this.runSink(run, redact),
          render: request.command === "upgrade" ? upgradeRender({ ...opts, set: request.set }) : undefined,
          openSession: this.deps.openSession,
          onRefused: (r) => {
            refusal = r;
            settle({ refused: r });
          },
        },
        body,
      ).then(
        (outcome) => {
          this.runs.end(run, refusal ? "refused" : outcome === OUTCOME.ok ? "succeeded" : "failed", outcome);
          settle({});
        },
        (err: unknown) => {
          // Refused before any host was contacted (a --limit that matches nothing): no run to keep.
          if (err instanceof InputError && !began && !refusal) {
            this.runs.drop(run);
            settle({ error: err });
            return;
          }
          const messages = err instanceof InputError ? err.problems.map(formatProblem) : [err instanceof Error ? err.message : String(err)];
          for (const message of messages) this.runs.push(run, { type: "warning", message, time: new Date().toISOString() });
          this.runs.end(run, "failed", err instanceof InputError ? OUTCOME.input : OUTCOME.failed);
          settle({ error: err });
        },
      );
    });
    const first = await ready;
    if (first.refused?.reason === "locked") throw new ConflictError("another run holds the deploy lock: nothing was changed on any host", first.refused.messages, summaryOf(run));
    if (first.refused?.reason === "unreachable") throw new UnreachableError(first.refused.messages);
    // An error before the run's body began (after it, the run's record says what happened).
    if (first.error !== undefined) throw first.error;
    return summaryOf(run);
  }

  /** A run that only reads the hosts, its events kept for its warnings. */
  private readHosts<T>(command: string, selection: Selection, body: (ctx: RunContext) => Promise<{ outcome: Outcome; result: T }>): Promise<HostRead<T>> {
    return selectionProblems("query", () => this.readHostsOf(command, selection, body));
  }

  private async readHostsOf<T>(command: string, selection: Selection, body: (ctx: RunContext) => Promise<{ outcome: Outcome; result: T }>): Promise<HostRead<T>> {
    const project = await this.project();
    const events: RunEvent[] = [];
    let result: T | undefined;
    let refusal: RunRefusal | undefined;
    const outcome = await withRun(
      command,
      this.runOptions(selection),
      { project, sink: () => ({ emit: (e) => void events.push(e), finish: () => undefined }), openSession: this.deps.openSession, onRefused: (r) => (refusal = r) },
      async (ctx) => {
        const r = await body(ctx);
        result = r.result;
        return r.outcome;
      },
    );
    if (refusal?.reason === "unreachable") throw new UnreachableError(refusal.messages);
    const redactor = new Redactor(Object.values(project.secrets));
    const warnings = events.flatMap((e) => (e.type === "warning" ? [redactor.redact(e.message)] : []));
    return { outcome, warnings, result: result as T };
  }

  /** Every event of a serve run: redacted and timed as `--json` prints it, kept and fanned out. */
  private runSink(run: RunRecord, redact: (s: string) => string): { emit: (e: RunEvent) => void; finish: () => void } {
    return {
      emit: (e) => this.runs.push(run, JSON.parse(redact(JSON.stringify({ ...e, time: new Date().toISOString() }))) as TimedEvent),
      finish: () => undefined,
    };
  }

  private runOptions(selection: Selection, serial?: RunRequest["serial"]): RunOptions {
    const o: RunOptions = { ...this.opts, forks: this.opts.forks ?? 10, maxHandshakes: this.opts.maxHandshakes };
    if (selection.limit) o.limit = selection.limit;
    if (selection.service) o.service = selection.service.split(",").map((s) => s.trim()).filter(Boolean);
    if (serial !== undefined) o.serial = serial as RunOptions["serial"];
    return o;
  }

  private projectOptions(): { dir: string; inventory?: string; passwords?: string; rolesDirs?: string[]; environment?: string } {
    return { dir: this.opts.dir, inventory: this.opts.inventory, passwords: this.opts.passwords, rolesDirs: this.opts.roles, environment: this.opts.environment };
  }

  /** An InputError of a request (no such group or host, an INI inventory) is the request's problem: 400. */
  private async asRequest<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InputError) throw new RequestError(err.problems);
      throw err;
    }
  }
}

/** --limit and --service of a read. */
export interface Selection {
  limit?: string;
  service?: string;
}

/**
 * A --limit or --service the run refuses (a pattern matching no host, an unknown service) is the request's
 * problem, not the deployment's: 400 naming the field.
 */
async function selectionProblems<T>(where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InputError && err.problems.every((p) => p.file === "--limit" || p.file === "--service")) {
      throw new RequestError(err.problems.map((p) => ({ ...p, file: where, path: p.file === "--limit" ? "/limit" : where === "query" ? "/service" : "/services" })));
    }
    throw err;
  }
}

export function withText(p: Problem): Problem & { text: string } {
  return { ...p, text: formatProblem(p) };
}
