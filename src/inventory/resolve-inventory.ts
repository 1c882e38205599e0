// Turns what a parser read into the resolved Inventory, as Ansible resolves it: implicit groups `all`
// and `ungrouped`, membership through children, variable precedence all < parent groups < child groups
// (by depth, then ansible_group_priority, then name) < host, connection vars mapped to typed fields.
// Linear in hosts: group closures and merged group vars are computed once per distinct group set.
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { InputError, type Problem, type SourceLocation } from "../errors.js";
import { CONNECTION_VARS, GROUP_PRIORITY_VAR, isAnsibleVar } from "./connection-vars.js";
import { isHostAddress } from "./host-address.js";
import {
  Inventory,
  type ConnectionField,
  type InventoryGroup,
  type InventoryHost,
  type LocatedValue,
} from "./inventory.js";
import { ALL_GROUP, UNGROUPED_GROUP, type RawGroup, type RawInventory } from "./raw-inventory.js";

/** lading's defaults where the inventory says nothing (Ansible would use the local user; lading deploys as root). */
export const DEFAULT_USER = "root";
export const DEFAULT_PORT = 22;

/** Resolves `raw`; every problem (the parser's and resolution's) is thrown at once as an InputError. */
export function resolveInventory(raw: RawInventory): Inventory {
  const problems: Problem[] = [...raw.problems];
  const groups = raw.groups;

  for (const group of groups.values()) {
    for (const child of group.children) {
      if (!groups.has(child.name)) problems.push({ ...child.source, message: `child group "${child.name}" of "${group.name}" is not defined` });
    }
    if (raw.hosts.has(group.name) && group.name !== ALL_GROUP && group.name !== UNGROUPED_GROUP) {
      const host = raw.hosts.get(group.name)!;
      problems.push({
        ...(group.source ?? host.source),
        message: `"${group.name}" is both a group and a host (defined at line ${host.source.line}): rename one`,
      });
    }
  }
  const { parents, children } = computeEdges(groups);
  const order = orderGroups(groups, parents, problems); // throws on cycles
  const depth = computeDepths(order, parents);

  const priorityProblems: Problem[] = [];
  const priority = new Map<string, number>();
  for (const group of groups.values()) priority.set(group.name, readGroupPriority(group, priorityProblems));
  problems.push(...priorityProblems);

  // Rank = position in Ansible's variable order; a host's groups sorted by rank give its precedence.
  const ranked = [...groups.keys()].sort((a, b) => {
    const byDepth = depth.get(a)! - depth.get(b)!;
    if (byDepth) return byDepth;
    const byPriority = priority.get(a)! - priority.get(b)!;
    if (byPriority) return byPriority;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const rank = new Map(ranked.map((name, i) => [name, i]));

  // Every group's ancestors (itself included) as ranks, parents before children.
  const ancestors = new Map<string, number[]>();
  for (const name of order) {
    const set = new Set<number>([rank.get(name)!]);
    for (const parent of parents.get(name)!) for (const r of ancestors.get(parent)!) set.add(r);
    ancestors.set(name, [...set]);
  }

  // Direct memberships per host; a host in no group but `all`/`ungrouped` is ungrouped (Ansible's reconcile).
  const directGroupsOf = new Map<string, string[]>();
  for (const name of raw.hosts.keys()) directGroupsOf.set(name, []);
  for (const group of groups.values()) {
    for (const ref of group.hosts) directGroupsOf.get(ref.name)?.push(group.name);
  }
  const directHosts = new Map<string, string[]>();
  for (const group of groups.values()) directHosts.set(group.name, []);
  for (const [hostName, direct] of directGroupsOf) {
    const real = direct.filter((g) => g !== ALL_GROUP && g !== UNGROUPED_GROUP);
    const effective = real.length ? [...direct.filter((g) => g !== UNGROUPED_GROUP)] : [...direct.filter((g) => g !== UNGROUPED_GROUP), UNGROUPED_GROUP];
    directGroupsOf.set(hostName, effective);
    for (const g of effective) directHosts.get(g)!.push(hostName);
  }

  const mergedGroupVars = new Map<string, Map<string, LocatedValue>>();
  const hosts = new Map<string, InventoryHost>();
  const hostsByGroup = new Map<string, InventoryHost[]>();
  for (const name of groups.keys()) hostsByGroup.set(name, []);
  const groupsByHost = new Map<string, string[]>();
  const baseDir = dirname(resolve(raw.file));

  for (const rawHost of raw.hosts.values()) {
    const memberRanks = new Set<number>([rank.get(ALL_GROUP)!]);
    for (const g of directGroupsOf.get(rawHost.name)!) for (const r of ancestors.get(g)!) memberRanks.add(r);
    const sortedRanks = [...memberRanks].sort((a, b) => a - b);
    const key = sortedRanks.join(",");
    let groupVars = mergedGroupVars.get(key);
    if (!groupVars) {
      groupVars = new Map();
      for (const r of sortedRanks) for (const [k, v] of groups.get(ranked[r]!)!.vars) if (k !== GROUP_PRIORITY_VAR) groupVars.set(k, v);
      mergedGroupVars.set(key, groupVars);
    }
    const merged = new Map(groupVars);
    for (const [k, v] of rawHost.vars) merged.set(k, v);

    const host = buildHost(rawHost.name, rawHost.source, merged, raw, rawHost.fields, baseDir, problems);
    hosts.set(host.name, host);
    const memberNames = sortedRanks.map((r) => ranked[r]!);
    groupsByHost.set(host.name, memberNames);
    for (const g of memberNames) hostsByGroup.get(g)!.push(host);
  }

  checkDuplicateAddresses(hosts, problems);
  if (problems.length) throw new InputError(sortProblems(problems));

  const resolvedGroups = new Map<string, InventoryGroup>();
  for (const group of groups.values()) {
    const vars = new Map(group.vars);
    vars.delete(GROUP_PRIORITY_VAR);
    resolvedGroups.set(group.name, {
      name: group.name,
      children: children.get(group.name)!,
      parents: parents.get(group.name)!,
      directHosts: sortByInventoryOrder(directHosts.get(group.name)!, hosts),
      vars,
      source: group.source,
    });
  }
  return new Inventory({ file: raw.file, format: raw.format, hosts, groups: resolvedGroups, hostsByGroup, groupsByHost });
}

function sortByInventoryOrder(names: string[], hosts: Map<string, InventoryHost>): string[] {
  const position = new Map<string, number>();
  let i = 0;
  for (const name of hosts.keys()) position.set(name, i++);
  return [...names].sort((a, b) => position.get(a)! - position.get(b)!);
}

/** Parents and children of each group; a group nobody claims is a child of `all` (Ansible's reconcile). */
function computeEdges(groups: Map<string, RawGroup>): { parents: Map<string, string[]>; children: Map<string, string[]> } {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const group of groups.values()) {
    parents.set(group.name, []);
  }
  for (const group of groups.values()) {
    // An undefined child was reported already; resolution goes on without it to find more problems.
    children.set(group.name, group.children.filter((c) => groups.has(c.name)).map((c) => c.name));
    for (const child of group.children) parents.get(child.name)?.push(group.name);
  }
  for (const [name, list] of parents) {
    if (name !== ALL_GROUP && list.length === 0) {
      list.push(ALL_GROUP);
      children.get(ALL_GROUP)!.push(name);
    }
  }
  return { parents, children };
}

/** Groups with every parent before its children; a cycle in children is an InputError naming it. */
function orderGroups(groups: Map<string, RawGroup>, parents: Map<string, string[]>, earlier: Problem[]): string[] {
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const problems: Problem[] = [];
  const reported = new Set<string>();
  // Depth-first on parents: a group is placed after all its ancestors.
  const visit = (name: string, trail: string[]): void => {
    const s = state.get(name);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name].reverse();
      const key = [...new Set(cycle)].sort().join(",");
      if (!reported.has(key)) {
        reported.add(key);
        // Locate the edge that closes the cycle: `cycle[0]` lists `cycle[1]` as a child.
        const edge = groups.get(cycle[0]!)!.children.find((c) => c.name === cycle[1]);
        problems.push({ ...(edge?.source ?? { file: "" }), message: `group children form a cycle: ${cycle.join(" -> ")}` });
      }
      return;
    }
    state.set(name, "visiting");
    trail.push(name);
    for (const parent of parents.get(name)!) visit(parent, trail);
    trail.pop();
    state.set(name, "done");
    order.push(name);
  };
  for (const name of groups.keys()) visit(name, []);
  if (problems.length) throw new InputError(sortProblems([...earlier, ...problems]));
  return order;
}

/** Depth = longest path from `all` (Ansible: a group is one deeper than its deepest parent). */
function computeDepths(order: string[], parents: Map<string, string[]>): Map<string, number> {
  const depth = new Map<string, number>();
  for (const name of order) {
    let d = 0;
    for (const parent of parents.get(name)!) d = Math.max(d, depth.get(parent)! + 1);
    depth.set(name, d);
  }
  return depth;
}

function readGroupPriority(group: RawGroup, problems: Problem[]): number {
  const set = group.vars.get(GROUP_PRIORITY_VAR);
  if (!set) return 1;
  const n = typeof set.value === "string" && /^-?\d+$/.test(set.value.trim()) ? Number(set.value) : set.value;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    problems.push({ ...set.source, message: `${GROUP_PRIORITY_VAR} must be an integer` });
    return 1;
  }
  return n;
}

type TypedFields = {
  address?: LocatedValue;
  connection?: LocatedValue;
  user?: LocatedValue;
  port?: LocatedValue;
  key?: LocatedValue;
  knownHosts?: LocatedValue;
  become?: LocatedValue;
};

/** Splits merged vars into typed connection fields, parameters and other ansible_* vars, checking each. */
function buildHost(
  name: string,
  source: SourceLocation,
  merged: Map<string, LocatedValue>,
  raw: RawInventory,
  fields: Partial<Record<ConnectionField, LocatedValue>>,
  baseDir: string,
  problems: Problem[],
): InventoryHost {
  // Precedence of a connection setting: lading default < inventory defaults < ansible_* vars < typed host key.
  const chosen: TypedFields = { ...raw.defaults };
  const vars = new Map<string, LocatedValue>();
  const ansibleVars = new Map<string, LocatedValue>();
  for (const [key, value] of merged) {
    const field = CONNECTION_VARS.get(key);
    if (field) {
      // The canonical spelling wins over the legacy ansible_ssh_* one, whatever their order.
      const canonical = canonicalOf(key);
      if (canonical === key || !merged.has(canonical)) chosen[field] = value;
    } else if (isAnsibleVar(key)) {
      ansibleVars.set(key, value);
    } else {
      vars.set(key, value);
    }
  }
  Object.assign(chosen, fields);

  const bad = (field: LocatedValue, message: string): void => {
    problems.push({ ...field.source, message });
  };
  const origins: InventoryHost["origins"] = {};
  for (const [field, value] of Object.entries(chosen) as [ConnectionField, LocatedValue][]) origins[field] = value.source;

  let connection: "ssh" | "local" = "ssh";
  if (chosen.connection) {
    const c = chosen.connection.value;
    if (c === "local") connection = "local";
    else if (c === "ssh" || c === "smart" || c === "paramiko") connection = "ssh";
    else bad(chosen.connection, `unsupported connection ${JSON.stringify(c)}: lading connects with "ssh" or "local"`);
  }
  let address = name;
  if (chosen.address) {
    const a = chosen.address.value;
    if (typeof a === "string" && isHostAddress(a)) address = a;
    else bad(chosen.address, `the address must be a host name or an IP address, got ${JSON.stringify(a)}`);
  } else if (connection === "local" && raw.format === "yaml") {
    address = "127.0.0.1";
  } else if (connection === "ssh" && !isHostAddress(name)) {
    problems.push({ ...source, message: `host "${name}" has no address, and its name is not a host name or an IP address to connect to` });
  }
  let user = DEFAULT_USER;
  if (chosen.user) {
    const u = chosen.user.value;
    if ((typeof u === "string" && u !== "") || typeof u === "number") user = String(u);
    else bad(chosen.user, `the user must be a non-empty string`);
  }
  let port = DEFAULT_PORT;
  if (chosen.port) {
    const p = chosen.port.value;
    const n = typeof p === "string" && /^\d+$/.test(p.trim()) ? Number(p) : p;
    if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535) port = n;
    else if (typeof n === "number" && Number.isInteger(n)) bad(chosen.port, `port ${n} is out of range (1-65535)`);
    else bad(chosen.port, `the port must be an integer from 1 to 65535, got ${JSON.stringify(p)}`);
  }
  let become = false;
  if (chosen.become) {
    const b = parseAnsibleBoolean(chosen.become.value);
    if (b === undefined) bad(chosen.become, `become must be a boolean (true/false, yes/no), got ${JSON.stringify(chosen.become.value)}`);
    else become = b;
  }
  const key = chosen.key ? readPath(chosen.key, baseDir, "the key", bad) : undefined;
  const knownHosts = chosen.knownHosts ? readPath(chosen.knownHosts, baseDir, "knownHosts", bad) : undefined;

  const host: InventoryHost = { name, address, connection, user, port, become, vars, ansibleVars, origins, source };
  if (key !== undefined) host.key = key;
  if (knownHosts !== undefined) host.knownHosts = knownHosts;
  return host;
}

function canonicalOf(legacy: string): string {
  return legacy.replace(/^ansible_ssh_(host|user|port)$/, "ansible_$1").replace(/^ansible_private_key_file$/, "ansible_ssh_private_key_file");
}

/** Ansible's boolean words (the `bool` filter): true/false, yes/no, on/off, 1/0, any case. */
export function parseAnsibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if (["true", "yes", "on", "1", "y", "t"].includes(v)) return true;
  if (["false", "no", "off", "0", "n", "f"].includes(v)) return false;
  return undefined;
}

/** `~/x` is in the home directory; a relative path is relative to the inventory's folder. */
function readPath(field: LocatedValue, baseDir: string, what: string, bad: (f: LocatedValue, m: string) => void): string | undefined {
  const p = field.value;
  if (typeof p !== "string" || p === "") {
    bad(field, `${what} must be a file path`);
    return undefined;
  }
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** Two ssh hosts with the same address and port are one machine under two names: always a mistake. */
function checkDuplicateAddresses(hosts: Map<string, InventoryHost>, problems: Problem[]): void {
  const seen = new Map<string, InventoryHost>();
  for (const host of hosts.values()) {
    if (host.connection === "local") continue;
    const key = `${host.address.toLowerCase()}:${host.port}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, host);
      continue;
    }
    problems.push({
      ...(host.origins.address ?? host.source),
      message: `hosts "${first.name}" and "${host.name}" have the same address and port (${host.address}:${host.port})`,
    });
  }
}

/** Problems in file order, so that a user can fix them from the top. */
function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
