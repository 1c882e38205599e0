// The parameter forms: generated from the parameters' JSON Schemas (type, description, default, constraints),
// grouped by role, for one scope at a time (globals.yml, a group's vars, a host's vars). Each value is checked by
// the server with the deployment's own loader as it is typed, and its inline error is the validators' message
// (with file, line and path); Save writes it (PUT with confirm), Unset removes it from the scope.
import { api, ApiError } from "./api.js";
import { clear, diffBlock, h, show } from "./dom.js";
import type { ParameterScope, ParameterView, Problem } from "../generated/api.js";

export interface ParametersData {
  parameters: ParameterView[];
  groups: string[];
  hosts: string[];
  inventoryEditable: boolean;
}

interface EditAnswer {
  file: string;
  problems: (Problem & { text: string })[];
  written: boolean;
  diff: string;
}

export interface FormContext {
  roleDescriptions: Map<string, string>;
  /** After a write: reload what depends on the deployment's files (the parameters, validation, the plan). */
  onWritten: (param: string, answer: EditAnswer) => void;
}

let scopeKey = "globals";
let filter = "";
/** The last write, shown again under its field when the form is drawn anew with the values read back. */
let lastSaved: { param: string; scope: string; answer: EditAnswer } | undefined;

export function renderParameters(root: HTMLElement, data: ParametersData, ctx: FormContext): void {
  clear(root);
  const scopeSelect = h(
    "select",
    { id: "scope", "data-testid": "scope", onchange: () => {
      scopeKey = scopeSelect.value;
      renderParameters(root, data, ctx);
    } },
    h("option", { value: "globals" }, "globals.yml (every host)"),
    ...(data.inventoryEditable ? data.groups.map((g) => h("option", { value: `group:${g}` }, `group ${g} (inventory vars)`)) : []),
    ...(data.inventoryEditable ? data.hosts.map((n) => h("option", { value: `host:${n}` }, `host ${n} (inventory vars)`)) : []),
  );
  scopeSelect.value = scopeKey;
  const search = h("input", { type: "search", placeholder: "filter parameters", value: filter, "data-testid": "filter", oninput: () => {
    filter = search.value;
    for (const f of root.querySelectorAll<HTMLElement>(".field")) f.hidden = !matches(f.dataset.param ?? "", f.dataset.text ?? "");
    for (const s of root.querySelectorAll<HTMLElement>("section.role")) s.hidden = ![...s.querySelectorAll<HTMLElement>(".field")].some((f) => !f.hidden);
  } });
  root.append(
    h("div", { class: "toolbar" }, h("label", { for: "scope" }, "Write to "), scopeSelect, search, data.inventoryEditable ? null : h("span", { class: "note" }, "the inventory is not lading's YAML: group and host vars are edited by hand")),
  );
  const scope = scopeOf(scopeKey);
  const byRole = new Map<string, ParameterView[]>();
  for (const p of data.parameters) byRole.set(p.role, [...(byRole.get(p.role) ?? []), p]);
  for (const [role, params] of byRole) {
    const section = h("section", { class: "role", "data-role": role }, h("h3", {}, role, h("span", { class: "role-description" }, ctx.roleDescriptions.get(role) ?? (role === "global" ? "parameters every role reads, and the enable flags" : ""))));
    for (const p of params) section.append(field(p, scope, ctx));
    section.hidden = ![...section.querySelectorAll<HTMLElement>(".field")].some((f) => !f.hidden);
    root.append(section);
  }
}

function matches(name: string, text: string): boolean {
  const f = filter.trim().toLowerCase();
  return !f || name.toLowerCase().includes(f) || text.toLowerCase().includes(f);
}

function scopeOf(key: string): ParameterScope {
  if (key.startsWith("group:")) return { kind: "group", group: key.slice(6) };
  if (key.startsWith("host:")) return { kind: "host", host: key.slice(5) };
  return { kind: "globals" };
}

/** The value set at this very scope, if any, with where. */
function setHere(p: ParameterView, scope: ParameterScope): { value: unknown; where: string } | undefined {
  if (scope.kind === "globals") return p.global.source.kind === "globals" ? { value: p.global.value, where: whereOf(p.global.source) } : undefined;
  for (const [host, v] of Object.entries(p.hosts)) {
    if (scope.kind === "group" && v.source.kind === "group" && v.source.group === scope.group) return { value: v.value, where: whereOf(v.source) };
    if (scope.kind === "host" && host === scope.host && v.source.kind === "host") return { value: v.value, where: whereOf(v.source) };
  }
  return undefined;
}

/** What applies at this scope when it sets nothing. */
function effective(p: ParameterView, scope: ParameterScope): { value: unknown; source: string } {
  if (scope.kind === "host") {
    const v = p.hosts[scope.host];
    if (v) return { value: v.value, source: sourceText(v.source) };
  }
  return { value: p.global.value, source: sourceText(p.global.source) };
}

function whereOf(s: ParameterView["global"]["source"]): string {
  const file = (s.file ?? "").split("/").pop() ?? "";
  return [file, s.line].filter((x) => x !== undefined && x !== "").join(":");
}

function sourceText(s: ParameterView["global"]["source"]): string {
  switch (s.kind) {
    case "default":
      return "the role's default";
    case "globals":
      return `globals.yml (${whereOf(s)})`;
    case "group":
      return `group ${s.group} (${whereOf(s)})`;
    case "host":
      return `host ${s.host} vars (${whereOf(s)})`;
  }
}

function constraintsOf(schema: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (Array.isArray(schema.enum)) out.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(" | ")}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) out.push(`${schema.minimum ?? "…"} to ${schema.maximum ?? "…"}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) out.push(`length ${schema.minLength ?? 0} to ${schema.maxLength ?? "…"}`);
  if (typeof schema.pattern === "string") out.push(`pattern /${schema.pattern}/`);
  if (typeof schema.format === "string") out.push(`format ${schema.format}`);
  if (Array.isArray(schema.type)) out.push("nullable");
  return out;
}

function typeOf(schema: Record<string, unknown>): string {
  return Array.isArray(schema.type) ? String(schema.type[0]) : String(schema.type ?? "string");
}

function field(p: ParameterView, scope: ParameterScope, ctx: FormContext): HTMLElement {
  const schema = p.schema;
  const type = typeOf(schema);
  const here = setHere(p, scope);
  const eff = effective(p, scope);
  const current = here ? here.value : eff.value;
  const id = `param-${p.name}`;
  const input = control(id, type, schema, current, p.secret);
  const error = h("div", { class: "error", role: "alert", "data-testid": `error-${p.name}`, hidden: true });
  const result = h("div", { class: "saved", "data-testid": `saved-${p.name}`, hidden: true });
  const save = h("button", { type: "button", class: "save", disabled: true, "data-testid": `save-${p.name}` }, "Save");
  const unset = here ? h("button", { type: "button", class: "secondary", "data-testid": `unset-${p.name}`, title: "remove it from this scope: a lower one, or the default, applies again" }, "Unset") : null;
  const showSaved = (answer: EditAnswer): void => {
    clear(result);
    result.hidden = false;
    result.append(h("div", {}, answer.written ? `written to ${answer.file.split("/").pop()}` : "no change"), ...(answer.diff ? [diffBlock(answer.diff)] : []));
  };
  if (lastSaved && lastSaved.param === p.name && lastSaved.scope === JSON.stringify(scope)) showSaved(lastSaved.answer);
  const perHost = Object.entries(p.hosts)
    .filter(([, v]) => v.source.kind === "group" || v.source.kind === "host")
    .map(([host, v]) => h("li", {}, `${host}: ${show(v.value)} (${sourceText(v.source)})`));
  const description = String(schema.description ?? "");
  const node = h(
    "div",
    { class: "field", "data-param": p.name, "data-text": description, hidden: !matches(p.name, description) },
    h("div", { class: "field-head" }, h("label", { for: id, class: "name" }, p.name), h("span", { class: `type type-${type}` }, type), p.required ? h("span", { class: "badge required" }, "required") : null, here ? h("span", { class: "badge set" }, `set in ${here.where}`) : h("span", { class: "badge inherited" }, `from ${eff.source}`)),
    h("p", { class: "description" }, description),
    h("div", { class: "meta" }, h("span", {}, `default: ${schema.default === undefined ? "none" : show(schema.default)}`), ...constraintsOf(schema).map((c) => h("span", {}, c))),
    h("div", { class: "control" }, input, save, unset),
    error,
    result,
    perHost.length ? h("ul", { class: "per-host" }, ...perHost) : null,
  );
  let timer: number | undefined;
  let seq = 0;
  const showProblems = (problems: (Problem & { text: string })[] | undefined, message?: string): void => {
    clear(error);
    error.hidden = !problems?.length && !message;
    if (message && !problems?.length) error.append(h("div", {}, message));
    for (const pr of problems ?? []) error.append(h("div", {}, pr.message, h("span", { class: "where" }, ` ${whereOf({ kind: "globals", file: pr.file, line: pr.line })}${pr.path ? ` ${pr.path}` : ""}`)));
  };
  const check = async (): Promise<void> => {
    const mine = ++seq;
    const value = readValue(input, type);
    try {
      const answer = await api<EditAnswer>("POST", `/api/parameters/${encodeURIComponent(p.name)}/check`, { scope, value });
      if (mine !== seq) return;
      showProblems(answer.problems);
      save.disabled = answer.problems.length > 0 || answer.diff === "";
      node.dataset.valid = String(answer.problems.length === 0);
    } catch (err) {
      if (mine !== seq) return;
      showProblems(err instanceof ApiError ? err.answer.problems : undefined, err instanceof Error ? err.message : String(err));
      save.disabled = true;
      node.dataset.valid = "false";
    }
  };
  let typed = JSON.stringify(readValue(input, type));
  const changed = (): void => {
    // A blur after typing fires "change" with the value already checked: nothing new to check.
    const now = JSON.stringify(readValue(input, type));
    if (now === typed) return;
    typed = now;
    save.disabled = true;
    lastSaved = undefined;
    result.hidden = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void check(), 250);
  };
  input.addEventListener("input", changed);
  input.addEventListener("change", changed);
  const write = async (body: { value?: unknown; unset?: boolean }): Promise<void> => {
    save.disabled = true;
    try {
      const answer = await api<EditAnswer>("PUT", `/api/parameters/${encodeURIComponent(p.name)}`, { scope, ...body, confirm: true });
      lastSaved = { param: p.name, scope: JSON.stringify(scope), answer };
      showSaved(answer);
      showProblems([]);
      ctx.onWritten(p.name, answer);
    } catch (err) {
      showProblems(err instanceof ApiError ? err.answer.problems : undefined, err instanceof Error ? err.message : String(err));
    }
  };
  save.addEventListener("click", () => void write({ value: readValue(input, type) }));
  unset?.addEventListener("click", () => void write({ unset: true }));
  return node;
}

function control(id: string, type: string, schema: Record<string, unknown>, current: unknown, secret: boolean): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  if (secret) return h("input", { id, type: "password", value: "", placeholder: "[REDACTED]", disabled: true });
  if (type === "boolean") {
    const s = h("select", { id }, h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
    s.value = String(current === true);
    return s;
  }
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.map((v) => JSON.stringify(v));
    if (!values.includes(JSON.stringify(current))) values.unshift(JSON.stringify(current ?? null));
    const s = h("select", { id }, ...values.map((v) => h("option", { value: v }, show(JSON.parse(v)))));
    s.value = JSON.stringify(current ?? null);
    s.dataset.json = "true";
    return s;
  }
  if (type === "array" || type === "object") {
    const t = h("textarea", { id, rows: 3, spellcheck: false });
    t.value = JSON.stringify(current ?? (type === "array" ? [] : {}), null, 0);
    return t;
  }
  const attrs: Record<string, string | number | undefined> = { id, type: type === "integer" || type === "number" ? "text" : "text", inputmode: type === "integer" ? "numeric" : type === "number" ? "decimal" : undefined, spellcheck: "false" };
  const i = h("input", attrs);
  i.value = current === null || current === undefined ? "" : String(current);
  return i;
}

/** The typed value of a control: what the schema's type asks for, or the text as typed (the server says why not). */
function readValue(input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, type: string): unknown {
  const text = input.value;
  if (input instanceof HTMLSelectElement && input.dataset.json) return JSON.parse(text) as unknown;
  if (type === "boolean") return text === "true";
  if (type === "integer") return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  if (type === "number") return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
  if (type === "array" || type === "object") {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
