// The plan as the console shows it: per host, per service, each step with its reason, the unified diff of each
// file it writes (secrets [REDACTED] by the server), then the schedule: services by level, their batches.
import { clear, diffBlock, h } from "./dom.js";
import type { PlanStepView } from "../generated/api.js";

export interface PlanViewData {
  mode: string;
  changes: number;
  hosts: { host: string; pulls: PlanStepView[]; services: { service: string; steps: PlanStepView[]; unchanged: string[] }[]; orphans: string[]; warnings: string[] }[];
  schedule?: { services: { service: string; after: { service: string; why: string }[]; batches: { hosts: string[]; kind: string; hold: boolean }[]; why: string; guards: string[] }[]; warnings: string[] };
}

export function renderPlan(root: HTMLElement, plan: PlanViewData, warnings: string[]): void {
  clear(root);
  root.append(h("p", { class: "summary", "data-testid": "plan-summary" }, plan.changes ? `${plan.changes} change${plan.changes === 1 ? "" : "s"} on ${plan.hosts.filter((x) => x.pulls.length || x.services.some((s) => s.steps.length)).length} host(s)` : "no changes: every host is as desired"));
  for (const w of warnings) root.append(h("p", { class: "warning" }, w));
  const grid = h("div", { class: "plan-hosts" });
  for (const hp of plan.hosts) {
    const n = hp.pulls.length + hp.services.reduce((a, s) => a + s.steps.length, 0);
    const card = h("article", { class: "plan-host", "data-host": hp.host }, h("h3", {}, hp.host, h("span", { class: "count" }, n ? `${n} change${n === 1 ? "" : "s"}` : "no changes")));
    if (hp.pulls.length) card.append(serviceBlock("(images)", hp.pulls));
    for (const sp of hp.services) if (sp.steps.length) card.append(serviceBlock(sp.service, sp.steps));
    for (const o of hp.orphans) card.append(h("p", { class: "orphan" }, `orphan ${o}: managed by lading but no service wants it`));
    for (const w of hp.warnings) card.append(h("p", { class: "warning" }, w));
    grid.append(card);
  }
  root.append(grid);
  if (plan.schedule?.services.length) {
    const sched = h("section", { class: "schedule" }, h("h3", {}, "Schedule"));
    for (const s of plan.schedule.services) {
      sched.append(
        h(
          "div",
          { class: "sched-service", "data-service": s.service },
          h("strong", {}, s.service),
          h("span", { class: "why" }, `${s.after.length ? `after ${s.after.map((a) => a.service).join(", ")}` : "starts at once"}; ${s.why}`),
          h("ol", {}, ...s.batches.map((b) => h("li", {}, `${b.hosts.join(" ")} (${b.kind}${b.hold ? ", then held" : ""})`))),
          ...s.guards.map((g) => h("div", { class: "guard" }, `at run time: ${g}`)),
        ),
      );
    }
    root.append(sched);
  }
}

function serviceBlock(service: string, steps: PlanStepView[]): HTMLElement {
  const block = h("div", { class: "plan-service", "data-service": service }, h("h4", {}, service));
  for (const st of steps) {
    const row = h("div", { class: `step step-${st.kind}`, "data-kind": st.kind }, h("span", { class: "kind" }, st.kind), h("span", { class: "line" }, st.line.replace(/^\S+\s*/, "")), h("span", { class: "reason" }, st.reason));
    block.append(row);
    if (st.diff) block.append(diffBlock(st.diff));
  }
  return block;
}
