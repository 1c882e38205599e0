// The console's page: the token, the deployment's summary and its validation, and the panels (parameters, plan,
// runs with their timeline, history, deployment), each filled from the API.
import { api, ApiError, currentToken, forgetToken, setToken } from "./api.js";
import { clear, h } from "./dom.js";
import { renderHistory, type RevisionRow } from "./history-panel.js";
import { renderParameters, type ParametersData } from "./params-form.js";
import { renderPlan, type PlanViewData } from "./plan-panel.js";
import { renderRunList, renderRunsForm, showRun } from "./runs-panel.js";
import type { Problem, RunSummary } from "../generated/api.js";

interface DeploymentData {
  dir: string;
  environment?: string;
  inventoryFile: string;
  hosts: { name: string; address: string; groups: string[]; services: string[] }[];
  groups: { name: string; members: string[]; children: string[] }[];
  roles: { name: string; description: string; enabled: boolean; groups: string[] }[];
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const PANELS = ["parameters", "plan", "runs", "history", "deployment"] as const;
type Panel = (typeof PANELS)[number];
let roleDescriptions = new Map<string, string>();

function showPanel(name: Panel): void {
  for (const p of PANELS) {
    $(`panel-${p}`).hidden = p !== name;
    $(`tab-${p}`).setAttribute("aria-selected", String(p === name));
  }
  if (name === "plan") void loadPlan();
  if (name === "runs") void loadRuns();
  if (name === "history") void loadHistory();
}

function failure(root: HTMLElement, err: unknown): void {
  clear(root);
  const box = h("div", { class: "error", role: "alert" }, err instanceof Error ? err.message : String(err));
  if (err instanceof ApiError) for (const m of [...(err.answer.problems ?? []).map((p) => p.text), ...(err.answer.messages ?? [])]) box.append(h("div", {}, m));
  root.append(box);
  if (err instanceof ApiError && err.status === 401) askToken();
}

async function loadValidation(): Promise<void> {
  const box = $("validation");
  try {
    const v = await api<{ ok: boolean; problems: (Problem & { text: string })[] }>("GET", "/api/validate");
    clear(box);
    box.className = v.ok ? "validation ok" : "validation problems";
    box.dataset.ok = String(v.ok);
    if (v.ok) box.append("validate: ok, no problem in the deployment's files");
    else {
      box.append(h("strong", {}, `validate: ${v.problems.length} problem(s)`));
      for (const p of v.problems) box.append(h("div", { class: "problem" }, p.text));
    }
  } catch (err) {
    failure(box, err);
  }
}

async function loadDeployment(): Promise<void> {
  try {
    const d = await api<DeploymentData>("GET", "/api/deployment");
    roleDescriptions = new Map(d.roles.map((r) => [r.name, r.description]));
    $("deployment-name").textContent = `${d.dir.split("/").pop() ?? d.dir}${d.environment ? ` (${d.environment})` : ""}`;
    $("deployment-summary").textContent = `${d.hosts.length} hosts · ${d.roles.filter((r) => r.enabled).length} services · ${d.inventoryFile.split("/").pop() ?? ""}`;
    const root = $("panel-deployment");
    clear(root);
    root.append(
      h("h3", {}, "Hosts"),
      h("table", {}, h("tr", {}, h("th", {}, "host"), h("th", {}, "address"), h("th", {}, "groups"), h("th", {}, "services")), ...d.hosts.map((x) => h("tr", {}, h("td", {}, x.name), h("td", {}, x.address), h("td", {}, x.groups.filter((g) => g !== "all").join(", ")), h("td", {}, x.services.join(", "))))),
      h("h3", {}, "Roles"),
      h("table", {}, h("tr", {}, h("th", {}, "role"), h("th", {}, "enabled"), h("th", {}, "groups"), h("th", {}, "what it is")), ...d.roles.map((r) => h("tr", {}, h("td", {}, r.name), h("td", {}, r.enabled ? "yes" : "no"), h("td", {}, r.groups.join(", ")), h("td", {}, r.description)))),
    );
  } catch (err) {
    failure($("panel-deployment"), err);
  }
}

async function loadParameters(): Promise<void> {
  const root = $("panel-parameters");
  try {
    const data = await api<ParametersData>("GET", "/api/parameters");
    renderParameters(root, data, {
      roleDescriptions,
      onWritten: () => {
        planStale = true;
        void loadValidation();
        void loadParameters();
      },
    });
  } catch (err) {
    failure(root, err);
  }
}

let planStale = true;
async function loadPlan(force = false): Promise<void> {
  if (!planStale && !force) return;
  const root = $("plan-body");
  clear(root);
  root.append(h("p", { class: "note" }, "planning: connecting to every host and reading its facts…"));
  try {
    const answer = await api<{ outcome: number; warnings: string[]; result: PlanViewData }>("GET", "/api/plan");
    renderPlan(root, answer.result, answer.warnings);
    planStale = false;
  } catch (err) {
    failure(root, err);
  }
}

async function loadRuns(): Promise<void> {
  try {
    renderRunList($("run-list"), await api<RunSummary[]>("GET", "/api/runs"), (r) => showRun($("run-view"), r));
  } catch (err) {
    failure($("run-list"), err);
  }
}

async function loadHistory(): Promise<void> {
  const root = $("history-body");
  clear(root);
  root.append(h("p", { class: "note" }, "reading the revisions of every host…"));
  try {
    const answer = await api<{ result: RevisionRow[] }>("GET", "/api/history");
    renderHistory(root, answer.result, started);
  } catch (err) {
    failure(root, err);
  }
}

function started(run: RunSummary): void {
  showPanel("runs");
  showRun($("run-view"), run, () => {
    planStale = true;
    void loadRuns();
  });
  void loadRuns();
}

function askToken(): void {
  const dialog = $("token-dialog") as HTMLDialogElement;
  if (!dialog.open) dialog.showModal();
}

function start(): void {
  for (const p of PANELS) $(`tab-${p}`).addEventListener("click", () => showPanel(p));
  $("plan-refresh").addEventListener("click", () => void loadPlan(true));
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(($("token-input") as HTMLInputElement).value);
    ($("token-dialog") as HTMLDialogElement).close();
    void boot();
  });
  $("logout").addEventListener("click", () => {
    forgetToken();
    askToken();
  });
  // A #token= typed into the address bar of an open page: taken (and removed from it) as at a first load.
  window.addEventListener("hashchange", () => {
    if (!/token=/.test(location.hash)) return;
    currentToken();
    const dialog = $("token-dialog") as HTMLDialogElement;
    if (dialog.open) dialog.close();
    void boot();
  });
  renderRunsForm($("run-form"), started);
  if (!currentToken()) askToken();
  else void boot();
}

async function boot(): Promise<void> {
  await loadDeployment();
  await Promise.all([loadValidation(), loadParameters()]);
  showPanel("parameters");
}

start();
