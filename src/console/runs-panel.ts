// Runs: start deploy, reconfigure, upgrade... (behind a confirmation), then watch its live rollout timeline, fed
// by the run's event stream; the runs this server started, each one's timeline again.
import { api, ApiError, followRun } from "./api.js";
import { clear, confirmAction, h } from "./dom.js";
import { buildTimeline, type TimelineEvent } from "./timeline-model.js";
import { renderTimeline, timelineLegend } from "./timeline.js";
import type { RunRequest, RunSummary } from "../generated/api.js";

let stopFollowing: (() => void) | undefined;
let ticker: number | undefined;

export function renderRunsForm(root: HTMLElement, onStarted: (run: RunSummary) => void): void {
  clear(root);
  const command = h("select", { id: "run-command", "data-testid": "run-command" }, ...["reconfigure", "deploy", "deploy-containers", "upgrade"].map((c) => h("option", { value: c }, c)));
  const limit = h("input", { id: "run-limit", placeholder: "all hosts (or a pattern: lab1, control, !lab3)", "data-testid": "run-limit" });
  const services = h("input", { id: "run-services", placeholder: "every service (or: mariadb, memcached)", "data-testid": "run-services" });
  const message = h("div", { class: "error", role: "alert", hidden: true, "data-testid": "run-error" });
  const start = h("button", { type: "button", class: "danger", "data-testid": "run-start" }, "Start…");
  start.addEventListener("click", () => {
    void (async () => {
      const req: RunRequest = { command: command.value as RunRequest["command"], confirm: true };
      if (limit.value.trim()) req.limit = limit.value.trim();
      const svc = services.value.split(/[,\s]+/).filter(Boolean);
      if (svc.length) req.services = svc;
      const what = `${req.command} on ${req.limit ?? "every host"}${svc.length ? `, services ${svc.join(", ")}` : ""}`;
      if (!(await confirmAction(`Start ${req.command}?`, `This changes the hosts: ${what}. Restarts roll as each service declares, behind its gates.`, `Start ${req.command}`))) return;
      message.hidden = true;
      start.disabled = true;
      try {
        onStarted(await api<RunSummary>("POST", "/api/runs", req));
      } catch (err) {
        message.hidden = false;
        clear(message);
        message.append(err instanceof Error ? err.message : String(err));
        if (err instanceof ApiError) for (const m of [...(err.answer.messages ?? []), ...(err.answer.problems ?? []).map((p) => p.text)]) message.append(h("div", {}, m));
      } finally {
        start.disabled = false;
      }
    })();
  });
  root.append(h("div", { class: "run-form" }, h("label", {}, "Command ", command), h("label", {}, "Hosts ", limit), h("label", {}, "Services ", services), start), message);
}

/** Shows a run's timeline, following it live while it runs. */
export function showRun(root: HTMLElement, run: RunSummary, onEnd?: () => void): void {
  stopFollowing?.();
  window.clearInterval(ticker);
  clear(root);
  const events: TimelineEvent[] = [];
  const status = h("div", { class: `run-status status-${run.status}`, "data-testid": "run-status", "data-status": run.status }, `${run.command} ${run.id}: ${run.status}`);
  const picture = h("div", { class: "timeline-box", "data-testid": "timeline" });
  const notes = h("ul", { class: "notes" });
  root.append(status, timelineLegend(), picture, notes);
  let pending = false;
  const draw = (): void => {
    pending = false;
    const tl = buildTimeline(events);
    clear(picture);
    picture.append(renderTimeline(tl, Math.max(640, picture.clientWidth || 960)));
    clear(notes);
    for (const n of tl.notes) notes.append(h("li", {}, n));
  };
  const schedule = (): void => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  };
  ticker = window.setInterval(schedule, 500);
  stopFollowing = followRun(
    run.id,
    (e) => {
      events.push(e);
      schedule();
    },
    (summary) => {
      window.clearInterval(ticker);
      const s = String(summary.status);
      status.dataset.status = s;
      status.className = `run-status status-${s}`;
      status.textContent = `${run.command} ${run.id}: ${s}${summary.outcome !== undefined ? ` (exit ${String(summary.outcome)})` : ""}`;
      schedule();
      onEnd?.();
    },
  );
}

export function renderRunList(root: HTMLElement, runs: RunSummary[], open: (run: RunSummary) => void): void {
  clear(root);
  if (!runs.length) {
    root.append(h("p", { class: "note" }, "no run started from this server yet"));
    return;
  }
  root.append(
    h(
      "table",
      { class: "runs" },
      h("tr", {}, h("th", {}, "started"), h("th", {}, "command"), h("th", {}, "status"), h("th", {}, "events"), h("th", {}, "")),
      ...runs.map((r) => h("tr", { "data-run": r.id }, h("td", {}, new Date(r.started).toLocaleTimeString()), h("td", {}, r.command), h("td", { class: `status-${r.status}` }, r.status), h("td", {}, r.events), h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => open(r) }, "timeline")))),
    ),
  );
}
