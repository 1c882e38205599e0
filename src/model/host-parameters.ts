// One host's parameters as a run would resolve them (role default < globals.yml < inventory group vars < host
// vars), each with where its value was set: for `lading inventory --host`.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SourceLocation } from "../errors.js";
import type { InventoryHost } from "../inventory/index.js";
import { builtinRolesDir } from "../paths.js";
import { ParameterResolver } from "./params.js";
import { loadRoles } from "./roles.js";
import { readYaml } from "./source.js";

export interface HostParameter {
  name: string;
  value: unknown;
  /** Where the value was set; undefined: the declared default. */
  source?: SourceLocation;
  /** The role that declares it ("global" for roles/global.yaml, "enable" for enable_<role>). */
  declaredBy: string;
}

/**
 * The declared parameters of `host`, by name, with their values and origins, and the host's inventory variables
 * that are not parameters (ansible_* variables, and names no role declares). A value the resolver refuses
 * (wrong type, unknown) is not a parameter's value: it stays among the other variables.
 */
export function hostParameters(opts: { dir: string; rolesDirs?: string[] }, host: InventoryHost): { parameters: HostParameter[]; otherVars: string[] } {
  const dir = resolve(opts.dir);
  const roles = loadRoles([builtinRolesDir, ...(opts.rolesDirs ?? []), join(dir, "roles")]);
  const globalsFile = join(dir, "globals.yml");
  const resolver = new ParameterResolver(roles.parameters, existsSync(globalsFile) ? readYaml(globalsFile) : undefined);
  const values = resolver.forHost(host.vars);
  const parameters: HostParameter[] = [];
  for (const [name, declared] of [...roles.parameters].sort(([a], [b]) => a.localeCompare(b))) {
    if (!(name in values)) continue;
    const fromInventory = host.vars.get(name);
    const source = fromInventory && values[name] === fromInventory.value ? fromInventory.source : resolver.globalSource(name);
    parameters.push({ name, value: values[name], source: source && locationOf(source), declaredBy: declared.owner });
  }
  const otherVars = [...host.vars.keys(), ...host.ansibleVars.keys()].filter((n) => !roles.parameters.has(n) || host.vars.get(n)?.value !== values[n]);
  return { parameters, otherVars };
}

/** File, line, column and path only (a located problem carries an empty message too). */
function locationOf(s: SourceLocation): SourceLocation {
  return { file: s.file, line: s.line, column: s.column, path: s.path };
}
