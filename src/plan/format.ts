// Prints a plan for people: per host, per service, each step with its reason, and unified diffs of
// changed files. Everything passes through the redactor: secrets show as [REDACTED].
import { createRequire } from "node:module";
import type { Plan, Step } from "./plan.js";
import { scheduleLevels, type BatchKind, type Schedule } from "./schedule.js";

export interface FormatOptions {
  redact: (text: string) => string;
  diffs: boolean;
  /** Also list what was left alone. */
  verbose?: boolean;
  color?: boolean;
}

const paint = (on: boolean | undefined, code: string, s: string): string => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** A step as `lading plan` prints it, e.g. `restart   mariadb`. */
export function stepLine(step: Step): string {
  switch (step.kind) {
    case "pull":
      return `pull      ${step.image}`;
    case "write":
      return `write     ${step.file.path} (${step.file.mode} ${step.file.owner})`;
    case "create":
      return `create    ${step.container.name}${step.bootstrap ? " [bootstrap]" : ""}`;
    case "recreate":
      return `recreate  ${step.container.name}`;
    case "restart":
      return `restart   ${step.container}`;
    case "start":
      return `start     ${step.container}`;
    case "reload":
      return `reload    ${step.container} (${step.path.slice(step.path.lastIndexOf("/") + 1)}, no restart)`;
    case "register-database":
      return `register  database ${step.name}, user ${step.user}`;
    case "register-messaging":
      return `register  queue user ${step.user} on vhost ${step.vhost}`;
    case "register-catalog":
      return `register  catalogue ${step.catalog.type} ${step.catalog.name}: ${Object.entries(step.catalog.endpoints).map(([i, u]) => `${i} ${u}`).join(", ")}`;
    case "job":
      return `job       ${step.job.name}: ${step.job.command.join(" ")}`;
  }
}

export function formatPlan(plan: Plan, opts: FormatOptions): string {
  const out: string[] = [];
  const c = opts.color;
  for (const hp of plan.hosts.values()) {
    const n = hp.pulls.length + hp.services.reduce((a, s) => a + s.steps.length, 0);
    out.push(paint(c, "1", `${hp.host}: ${n ? `${n} change${n === 1 ? "" : "s"}` : "no changes"}`));
    for (const step of hp.pulls) out.push(`  ${paint(c, "33", stepLine(step))}  # ${step.reason}`);
    for (const sp of hp.services) {
      if (!sp.steps.length && !opts.verbose) continue;
      out.push(`  ${sp.service}:`);
      for (const step of sp.steps) {
        out.push(`    ${paint(c, "33", stepLine(step))}  # ${opts.redact(step.reason)}`);
        if (opts.diffs && step.kind === "write") {
          for (const l of diffLines(step)) {
            const colored = l.startsWith("+") ? paint(c, "32", l) : l.startsWith("-") ? paint(c, "31", l) : l;
            out.push(`      ${opts.redact(colored)}`);
          }
        }
      }
      if (opts.verbose) for (const u of sp.unchanged) out.push(`    ${paint(c, "2", `ok        ${u}`)}`);
    }
    for (const o of hp.orphans) out.push(`  ${paint(c, "35", `orphan    ${o}`)}  # managed by lading but no service wants it (destroy --service to remove)`);
    for (const w of hp.warnings) out.push(`  warning: ${w}`);
  }
  if (plan.schedule?.services.length) out.push(...formatSchedule(plan.schedule, c));
  return `${out.join("\n")}\n`;
}

const BATCH_NOTE: Record<BatchKind, string> = { bootstrap: "bootstraps the cluster", create: "created", rollout: "changed", rejoin: "leaves its bootstrap command" };

/** The schedule for people: which services start together, each one's batches in order, and why. */
export function formatSchedule(schedule: Schedule, color?: boolean): string[] {
  const out = [paint(color, "1", "schedule (services at the same level run at once; each waits only for those it names):")];
  scheduleLevels(schedule).forEach((names, i) => {
    out.push(`  level ${i + 1}: ${names.join(", ")}`);
    for (const name of names) {
      const s = schedule.services.find((x) => x.service === name)!;
      const waits = s.after.length ? `after ${s.after.map((a) => `${a.service} (${a.why})`).join(", ")}` : "starts at once";
      out.push(`    ${name}: ${waits}; ${s.why}`);
      s.batches.forEach((b, k) => out.push(`      ${k + 1}. ${b.hosts.join(" ")}  # ${BATCH_NOTE[b.kind]}${b.hold ? ", then held" : ""}`));
      for (const g of s.guards) out.push(paint(color, "2", `      at run time: ${g}`));
    }
  });
  for (const w of schedule.warnings) out.push(`  warning: ${w}`);
  return out;
}

/** The plan as data for --json: steps with reasons, never file contents or secrets. */
export function planToJson(plan: Plan, redact: (s: string) => string): unknown {
  return {
    mode: plan.mode,
    bootstrap: Object.fromEntries(plan.bootstrap),
    hosts: [...plan.hosts.values()].map((hp) => ({
      host: hp.host,
      steps: [...hp.pulls, ...hp.services.flatMap((s) => s.steps)].map((s) => ({ kind: s.kind, line: stepLine(s).replace(/\s+/g, " "), reason: redact(s.reason) })),
      orphans: hp.orphans,
      warnings: hp.warnings,
    })),
    schedule: plan.schedule,
  };
}

/** The unified diff of a write step's file, on the host -> wanted, without its header and empty lines (not redacted). */
export function diffLines(step: Extract<Step, { kind: "write" }>): string[] {
  const patch = diffLibrary().createTwoFilesPatch(`${step.file.path} (on host)`, `${step.file.path} (wanted)`, step.old ?? "", step.file.content, undefined, undefined, { context: 3 });
  return patch
    .split("\n")
    .slice(2)
    .filter((l) => l !== "\\ No newline at end of file" && l !== "");
}

/** The diff library, loaded when a diff is first printed (a run that prints none skips its ~20 module files). */
function diffLibrary(): typeof import("diff") {
  return (loadedDiff ??= createRequire(import.meta.url)("diff") as typeof import("diff"));
}
let loadedDiff: typeof import("diff") | undefined;
