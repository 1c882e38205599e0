// History: the revisions each host recorded, which one runs, and a rollback to an earlier one (behind a
// confirmation), run through the same rollout policy as any change.
import { api, ApiError } from "./api.js";
import { clear, confirmAction, h } from "./dom.js";
import type { RevisionRow, RunSummary } from "../generated/api.js";

export type { RevisionRow };

export function renderHistory(root: HTMLElement, rows: RevisionRow[], onStarted: (run: RunSummary) => void): void {
  clear(root);
  if (!rows.length) {
    root.append(h("p", { class: "note" }, "no revisions recorded"));
    return;
  }
  const message = h("div", { class: "error", role: "alert", hidden: true, "data-testid": "rollback-error" });
  const table = h("table", { class: "history" }, h("tr", {}, ...["host", "service", "rev", "time", "command", "images", ""].map((x) => h("th", {}, x))));
  for (const r of rows) {
    const images = Object.values(r.images).map((i) => i.ref).join(", ");
    const button = r.running
      ? h("span", { class: "badge set" }, "running")
      : h("button", { type: "button", class: "danger", "data-testid": `rollback-${r.service}-${r.rev}`, onclick: () => void rollback(r) }, `roll back to ${r.rev}`);
    table.append(h("tr", { "data-host": r.host, "data-service": r.service, "data-rev": r.rev }, h("td", {}, r.host), h("td", {}, r.service), h("td", {}, r.rev), h("td", {}, new Date(r.time).toLocaleString()), h("td", {}, r.command), h("td", {}, images), h("td", {}, button)));
  }
  const rollback = async (r: RevisionRow): Promise<void> => {
    const ok = await confirmAction(`Roll ${r.service} back to revision ${r.rev}?`, `Every host of ${r.service} goes back to revision ${r.rev} (${r.command}, ${new Date(r.time).toLocaleString()}), through its rollout policy.`, "Roll back");
    if (!ok) return;
    try {
      onStarted(await api<RunSummary>("POST", "/api/runs", { command: "rollback", services: [r.service], to: r.rev, confirm: true }));
    } catch (err) {
      message.hidden = false;
      message.textContent = err instanceof ApiError ? [err.message, ...(err.answer.messages ?? [])].join(": ") : String(err);
    }
  };
  root.append(message, table);
}
