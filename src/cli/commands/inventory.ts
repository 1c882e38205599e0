// `lading inventory`: shows the inventory as lading resolves it (a tree, Ansible's --list JSON, or one
// host's settings and parameters with the file and line each value comes from).
import type { Command } from "commander";
import { resolve } from "node:path";
import { InputError, type SourceLocation } from "../../errors.js";
import { hostParameters } from "../../model/host-parameters.js";
import {
  ansibleHostVars,
  findInventoryFile,
  formatInventoryGraph,
  INVENTORY_FILE_NAMES,
  inventoryToAnsibleList,
  isSecretVariableName,
  loadInventory,
  REDACTED,
  selectHosts,
  type Inventory,
  type InventoryHost,
} from "../../inventory/index.js";

interface InventoryOptions {
  inventory?: string;
  dir: string;
  list?: boolean;
  host?: string;
  graph?: boolean;
  limit?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("inventory")
    .description("Show the inventory as lading resolves it: groups, hosts, connection settings and parameters")
    .option("-i, --inventory <file>", "inventory file (default: the first of " + INVENTORY_FILE_NAMES.join(", ") + " in the deployment directory)")
    .option("-d, --dir <dir>", "deployment directory", ".")
    .option("--list", "print every group and host variable as `ansible-inventory --list` does (JSON)")
    .option("--host <name>", "print one host's connection settings and parameters, with where each was set")
    .option("--graph", "print the tree of groups and hosts (the default)")
    .option("--limit <pattern>", "only hosts matching this Ansible host pattern (web*,!web3, &db, ~regex)")
    .option("--json", "print JSON instead of text")
    .action((options: InventoryOptions) => {
      process.stdout.write(runInventoryCommand(options));
    });
}

/** The command's output; throws InputError for a missing inventory, a bad one, or a pattern matching nothing. */
export function runInventoryCommand(options: InventoryOptions): string {
  const file = options.inventory ?? findInventoryFile(resolve(options.dir));
  if (!file) {
    throw new InputError([{ file: resolve(options.dir), message: `no inventory found (looked for ${INVENTORY_FILE_NAMES.join(", ")}); pass -i FILE` }]);
  }
  const inv = loadInventory(file);
  const limit = options.limit !== undefined ? selectHosts(inv, options.limit, { origin: "--limit" }) : undefined;

  if (options.host !== undefined) {
    const host = inv.hosts.get(options.host);
    if (!host || (limit && !limit.includes(host))) {
      throw new InputError([{ file: "--host", message: `host "${options.host}" is not in ${limit ? "the --limit selection of " : ""}${file}` }]);
    }
    const params = hostParameters({ dir: options.dir }, host);
    return options.json ? json(hostJson(inv, host, params)) : describeHost(inv, host, params);
  }
  if (options.list || options.json) return json(inventoryToAnsibleList(inv, limit));
  return formatInventoryGraph(inv, { limit }).join("\n") + "\n";
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

function where(source: SourceLocation | undefined): string {
  if (!source) return "lading default";
  const at = [source.file, source.line, source.column].filter((x) => x !== undefined).join(":");
  return source.path ? `${at} ${source.path}` : at;
}

function show(name: string, value: unknown): string {
  return isSecretVariableName(name) ? REDACTED : JSON.stringify(value);
}

/** One host as JSON: connection settings, groups, parameters and other variables, each with its origin. */
function hostJson(inv: Inventory, host: InventoryHost, params: ReturnType<typeof hostParameters>): unknown {
  const fields = ["address", "connection", "user", "port", "key", "knownHosts", "become"] as const;
  const vars = new Map([...host.vars, ...host.ansibleVars]);
  return {
    name: host.name,
    source: host.source ?? null,
    connection: Object.fromEntries(fields.filter((f) => host[f] !== undefined).map((f) => [f, { value: host[f], source: host.origins[f] ?? null }])),
    groups: inv.groupsOf(host.name),
    parameters: Object.fromEntries(params.parameters.map((p) => [p.name, { value: isSecretVariableName(p.name) ? REDACTED : p.value, source: p.source ?? null, declaredBy: p.declaredBy }])),
    vars: Object.fromEntries(params.otherVars.map((n) => [n, { value: isSecretVariableName(n) ? REDACTED : vars.get(n)!.value, source: vars.get(n)!.source }])),
    // As `ansible-inventory --host` prints it: only what the inventory sets.
    ansible: ansibleHostVars(host),
  };
}

/** One host, readable: connection settings, groups (lowest precedence first), parameters and their origin. */
function describeHost(inv: Inventory, host: InventoryHost, params: ReturnType<typeof hostParameters>): string {
  const lines = [`${host.name}  (${where(host.source)})`];
  const fields: [string, unknown, SourceLocation | undefined][] = [
    ["address", host.address, host.origins.address],
    ["connection", host.connection, host.origins.connection],
    ["user", host.user, host.origins.user],
    ["port", host.port, host.origins.port],
    ["key", host.key, host.origins.key],
    ["knownHosts", host.knownHosts, host.origins.knownHosts],
    ["become", host.become, host.origins.become],
  ];
  for (const [name, value, source] of fields) {
    if (value === undefined) continue;
    const origin = name === "address" && !source ? "the host name" : where(source);
    lines.push(`  ${name}: ${JSON.stringify(value)}  (${origin})`);
  }
  lines.push(`  groups: ${inv.groupsOf(host.name).join(", ")}`);
  lines.push(`  parameters (${params.parameters.length}; default < globals.yml < group vars < host vars):`);
  for (const p of params.parameters) lines.push(`    ${p.name}: ${show(p.name, p.value)}  (${p.source ? where(p.source) : `default of ${p.declaredBy === "global" || p.declaredBy === "enable" ? "lading" : `role ${p.declaredBy}`}`})`);
  // Inventory variables no role declares (ansible_* settings, or a name a role may read later).
  const vars = new Map([...host.vars, ...host.ansibleVars]);
  lines.push(params.otherVars.length ? "  other vars:" : "  other vars: none");
  for (const name of params.otherVars) lines.push(`    ${name}: ${show(name, vars.get(name)!.value)}  (${where(vars.get(name)!.source)})`);
  return lines.join("\n") + "\n";
}
