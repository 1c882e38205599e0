// `lading inventory`: shows the inventory as lading resolves it (a tree, Ansible's --list JSON, or one
// host's settings and parameters with the file and line each value comes from).
import type { Command } from "commander";
import { resolve } from "node:path";
import { InputError, type SourceLocation } from "../../errors.js";
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
    return options.json ? json(ansibleHostVars(host)) : describeHost(inv, host);
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

/** One host, readable: connection settings, groups (lowest precedence first), parameters and their origin. */
function describeHost(inv: Inventory, host: InventoryHost): string {
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
  const vars = [...host.vars, ...host.ansibleVars];
  lines.push(vars.length ? "  vars:" : "  vars: none");
  for (const [name, v] of vars) lines.push(`    ${name}: ${show(name, v.value)}  (${where(v.source)})`);
  return lines.join("\n") + "\n";
}
