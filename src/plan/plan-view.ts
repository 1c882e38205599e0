// A plan as data for lading serve: per host, per service, every step with its reason and, for a file it writes,
// the unified diff (on the host -> wanted), then the schedule. Every string passes the redactor: secrets show as
// [REDACTED], as in `lading plan`.
import type { PlanStepView } from "../generated/api.js";
import { diffLines, stepLine } from "./format.js";
import { countSteps, type Plan, type Step } from "./plan.js";
import type { Schedule } from "./schedule.js";

export interface PlanView {
  mode: Plan["mode"];
  changes: number;
  /** Per service, the host that bootstraps a new cluster. */
  bootstrap: Record<string, string>;
  hosts: { host: string; pulls: PlanStepView[]; services: { service: string; steps: PlanStepView[]; unchanged: string[] }[]; orphans: string[]; warnings: string[] }[];
  schedule?: Schedule;
}

export function planView(plan: Plan, redact: (s: string) => string): PlanView {
  const step = (s: Step): PlanStepView => {
    const v: PlanStepView = { kind: s.kind, line: redact(stepLine(s).replace(/\s+/g, " ")), reason: redact(s.reason) };
    if (s.kind === "write") v.diff = redact(diffLines(s).join("\n"));
    return v;
  };
  const view: PlanView = {
    mode: plan.mode,
    changes: countSteps(plan),
    bootstrap: Object.fromEntries(plan.bootstrap),
    hosts: [...plan.hosts.values()].map((hp) => ({
      host: hp.host,
      pulls: hp.pulls.map(step),
      services: hp.services.map((sp) => ({ service: sp.service, steps: sp.steps.map(step), unchanged: sp.unchanged.map(redact) })),
      orphans: hp.orphans,
      warnings: hp.warnings.map(redact),
    })),
    schedule: plan.schedule,
  };
  // The schedule's reasons and guards are text too.
  return JSON.parse(redact(JSON.stringify(view))) as PlanView;
}
