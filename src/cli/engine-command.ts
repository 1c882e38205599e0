// The CLI side of every command that talks to hosts: its options, the reporter its events print through, and the
// exit code. The run itself (render, connect, facts, lock, plan, apply, recap) is the core's: src/run/run.ts,
// which `lading serve` runs too.
import type { Command } from "commander";
import type { Project } from "../model/project.js";
import { planToJson, formatPlan } from "../plan/format.js";
import type { Plan } from "../plan/plan.js";
import type { DesiredState } from "../render/desired.js";
import { withRun, type RunContext, type RunOptions } from "../run/run.js";
import { DEFAULT_MAX_HANDSHAKES } from "../transport/index.js";
import { withDeploymentOptions } from "./project-options.js";
import { countOption, durationOption } from "./option-parsers.js";
import { createReporter } from "./reporter.js";

export { applyAndRecap, formatDuration, lockForChanges, planFor, recordRunRevisions } from "../run/run.js";
export type EngineOptions = RunOptions;
export type EngineContext = RunContext;

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

export interface EngineRunOptions {
  /** Progress lines go here instead of stdout (logs, exec: stdout carries the containers' output). */
  progressOut?: NodeJS.WritableStream;
}

export function printPlan(ctx: EngineContext, plan: Plan, opts: { diffs: boolean; verbose?: boolean }): void {
  if (ctx.opts.json) {
    process.stdout.write(`${JSON.stringify({ type: "plan-detail", plan: planToJson(plan, ctx.redact) })}\n`);
    return;
  }
  process.stdout.write(formatPlan(plan, { redact: ctx.redact, diffs: opts.diffs, verbose: opts.verbose, color: !!process.stdout.isTTY && !process.env.NO_COLOR }));
}

/** Runs `body` with an engine context (always finished and closed) and sets the exit code it returns. */
export async function withEngine(
  command: string,
  opts: EngineOptions,
  body: (ctx: EngineContext) => Promise<number>,
  render?: (project: Project) => DesiredState,
  run: EngineRunOptions = {},
): Promise<void> {
  const sink = (redact: (s: string) => string) =>
    createReporter(run.progressOut && !opts.json ? { json: false, tty: false, redact, out: run.progressOut } : { json: !!opts.json, tty: !!process.stdout.isTTY && !process.env.CI, redact });
  const outcome = await withRun(command, opts, { sink, render }, body);
  process.exitCode = outcome;
}
