// What every inventory parser produces before resolution: hosts, groups and their own vars, unmerged,
// with the location of every declaration. resolveInventory() turns it into an Inventory.
import type { Problem, SourceLocation } from "../errors.js";
import type { ConnectionField, InventoryFormat, LocatedValue } from "./inventory.js";

/** A reference to a host or group by name, where it was written. */
export interface RawReference {
  name: string;
  source: SourceLocation;
}

export interface RawHost {
  name: string;
  source: SourceLocation;
  /** The host's own vars, connection vars (ansible_host...) included. */
  vars: Map<string, LocatedValue>;
  /** Typed connection fields (lading YAML only). */
  fields: Partial<Record<ConnectionField, LocatedValue>>;
}

export interface RawGroup {
  name: string;
  source?: SourceLocation;
  hosts: RawReference[];
  children: RawReference[];
  vars: Map<string, LocatedValue>;
  /** Names in `hosts`, so that adding a member stays O(1) on large groups. */
  hostNames: Set<string>;
}

export interface RawInventory {
  file: string;
  format: InventoryFormat;
  hosts: Map<string, RawHost>;
  groups: Map<string, RawGroup>;
  /** Connection defaults for every host (lading YAML `defaults`). */
  defaults: Partial<Record<ConnectionField, LocatedValue>>;
  /** Problems found while parsing; resolution adds its own and throws them all together. */
  problems: Problem[];
}

/** The implicit groups Ansible always has. */
export const ALL_GROUP = "all";
export const UNGROUPED_GROUP = "ungrouped";

export function createRawInventory(file: string, format: InventoryFormat): RawInventory {
  const groups = new Map<string, RawGroup>();
  for (const name of [ALL_GROUP, UNGROUPED_GROUP]) groups.set(name, newRawGroup(name));
  return { file, format, hosts: new Map(), groups, defaults: {}, problems: [] };
}

export function newRawGroup(name: string, source?: SourceLocation): RawGroup {
  return { name, source, hosts: [], children: [], vars: new Map(), hostNames: new Set() };
}

/** The group named `name`, created (and located at `source`) on first use. */
export function ensureRawGroup(raw: RawInventory, name: string, source?: SourceLocation): RawGroup {
  let group = raw.groups.get(name);
  if (!group) {
    group = newRawGroup(name, source);
    raw.groups.set(name, group);
  } else if (!group.source && source) {
    group.source = source;
  }
  return group;
}

/** The host named `name`, created on first use (its first appearance fixes its inventory order). */
export function ensureRawHost(raw: RawInventory, name: string, source: SourceLocation): RawHost {
  let host = raw.hosts.get(name);
  if (!host) {
    host = { name, source, vars: new Map(), fields: {} };
    raw.hosts.set(name, host);
  }
  return host;
}

/** Adds `host` to `group` once (Ansible ignores repeated membership). */
export function addHostToGroup(group: RawGroup, ref: RawReference): void {
  if (group.hostNames.has(ref.name)) return;
  group.hostNames.add(ref.name);
  group.hosts.push(ref);
}

export function addChildToGroup(group: RawGroup, ref: RawReference): void {
  if (!group.children.some((c) => c.name === ref.name)) group.children.push(ref);
}
