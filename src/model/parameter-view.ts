// Every declared parameter of a deployment as data: its JSON Schema (type, description, default, constraints),
// the role that declares it, and its value for every host with where it was set (role default < globals.yml <
// group vars < host vars), the same resolution a run makes. lading serve's parameter form is built from it.
import type { SourceLocation } from "../errors.js";
import type { ParameterView, ValueSource } from "../generated/api.js";
import { isSecretVariableName, REDACTED, type Inventory, type LocatedValue } from "../inventory/index.js";
import { parameterSchema } from "./params.js";
import type { Project } from "./project.js";

/** Each parameter, by role (global first, then the roles in dependency order), then by name. */
export function parameterViews(project: Project): ParameterView[] {
  const base = project.resolver.forHost(new Map());
  const groupOf = groupVarOwners(project.inventory);
  const roleOrder = new Map<string, number>([["global", -1], ...project.roles.roles.map((r, i) => [r.def.name, i] as [string, number])]);
  const views: ParameterView[] = [];
  for (const p of project.roles.parameters.values()) {
    const secret = isSecretVariableName(p.name);
    const shown = (v: unknown): unknown => (secret && v !== undefined && v !== null ? REDACTED : v);
    const globalAt = project.resolver.globalSource(p.name);
    const schema: Record<string, unknown> = { ...parameterSchema(p.decl), ...(p.decl.default !== undefined ? { default: p.decl.default } : {}) };
    const hosts: ParameterView["hosts"] = {};
    for (const host of project.inventory.hosts.values()) {
      const values = project.hostParams.get(host.name) ?? {};
      const set = host.vars.get(p.name);
      // A value the resolver refused stays out of the host's parameters: the value shown is the one a run uses.
      const fromInventory = set !== undefined && values[p.name] === set.value ? set : undefined;
      const source: ValueSource = fromInventory ? inventorySource(fromInventory, groupOf, host.name) : globalAt ? { kind: "globals", ...located(globalAt) } : { kind: "default" };
      hosts[host.name] = { value: shown(values[p.name]), source };
    }
    views.push({
      name: p.name,
      role: p.owner === "enable" ? "global" : p.owner,
      schema,
      required: p.decl.default === undefined && !p.decl.nullable,
      secret,
      global: { value: shown(base[p.name]), source: globalAt ? { kind: "globals", ...located(globalAt) } : { kind: "default" } },
      hosts,
    });
  }
  return views.sort((a, b) => (roleOrder.get(a.role) ?? 1e9) - (roleOrder.get(b.role) ?? 1e9) || a.name.localeCompare(b.name));
}

/** Which group's vars each located value of the inventory is (a host's merged vars share these objects). */
function groupVarOwners(inv: Inventory): Map<LocatedValue, string> {
  const out = new Map<LocatedValue, string>();
  for (const g of inv.groups.values()) for (const v of g.vars.values()) out.set(v, g.name);
  return out;
}

function inventorySource(v: LocatedValue, groupOf: Map<LocatedValue, string>, host: string): ValueSource {
  const group = groupOf.get(v);
  return group !== undefined ? { kind: "group", group, ...located(v.source) } : { kind: "host", host, ...located(v.source) };
}

function located(s: SourceLocation): Omit<ValueSource, "kind"> {
  const out: Omit<ValueSource, "kind"> = { file: s.file };
  if (s.line !== undefined) out.line = s.line;
  if (s.column !== undefined) out.column = s.column;
  if (s.path) out.path = s.path;
  return out;
}
