// The resolved inventory every other part of lading reads: typed hosts, groups, and each host's
// parameters after Ansible's precedence, every value carrying the place where the user wrote it.
import type { SourceLocation } from "../errors.js";
import type { Connection } from "../generated/inventory.js";

/** A value from the user's files and where it was set (file, line, column, path), for located errors. */
export interface LocatedValue {
  value: unknown;
  source: SourceLocation;
}

/** The connection settings a host has as typed fields (never left in its vars). */
export type ConnectionField = "address" | "connection" | "user" | "port" | "key" | "knownHosts" | "become";

export interface InventoryHost {
  name: string;
  /** Address lading connects to and services bind (Ansible: ansible_host, defaulting to the name). */
  address: string;
  connection: Connection;
  user: string;
  port: number;
  /** Private key path, `~` expanded and made absolute. */
  key?: string;
  /** known_hosts path, `~` expanded and made absolute. */
  knownHosts?: string;
  become: boolean;
  /** Parameters after precedence (all < parent groups < child groups < host), connection vars removed. */
  vars: Map<string, LocatedValue>;
  /** `ansible_*` variables lading does not map to a typed field: kept for `--list`, otherwise ignored. */
  ansibleVars: Map<string, LocatedValue>;
  /** Where each connection field was set; absent when it is lading's default. */
  origins: Partial<Record<ConnectionField, SourceLocation>>;
  /** Where the host first appears in the inventory. */
  source: SourceLocation;
}

export interface InventoryGroup {
  name: string;
  /** Child groups, in the order they were declared. */
  children: string[];
  /** Parent groups (`all` for a top-level group; none for `all` itself). */
  parents: string[];
  /** Hosts listed in this group itself (not through children), in inventory order. */
  directHosts: string[];
  /** The group's own vars (not merged with its parents). */
  vars: Map<string, LocatedValue>;
  /** Where the group is declared; absent for the implicit groups `all` and `ungrouped` when not written. */
  source?: SourceLocation;
}

export type InventoryFormat = "ini" | "yaml" | "ansible-yaml";

/** A resolved inventory. Built by `loadInventory`; immutable by convention. */
export class Inventory {
  readonly file: string;
  readonly format: InventoryFormat;
  /** Every host, in inventory order (the order in which hosts first appear in the file). */
  readonly hosts: Map<string, InventoryHost>;
  readonly groups: Map<string, InventoryGroup>;
  private readonly hostsByGroup: Map<string, InventoryHost[]>;
  private readonly groupsByHost: Map<string, string[]>;

  constructor(init: {
    file: string;
    format: InventoryFormat;
    hosts: Map<string, InventoryHost>;
    groups: Map<string, InventoryGroup>;
    hostsByGroup: Map<string, InventoryHost[]>;
    groupsByHost: Map<string, string[]>;
  }) {
    this.file = init.file;
    this.format = init.format;
    this.hosts = init.hosts;
    this.groups = init.groups;
    this.hostsByGroup = init.hostsByGroup;
    this.groupsByHost = init.groupsByHost;
  }

  /** Members of `group`, directly or through child groups, in inventory order; [] for an unknown group. */
  hostsOf(group: string): InventoryHost[] {
    return this.hostsByGroup.get(group) ?? [];
  }

  /**
   * Every group `host` belongs to, directly or through children, `all` included, in variable precedence
   * order (lowest first: by depth, then priority, then name); [] for an unknown host.
   */
  groupsOf(host: string): string[] {
    return this.groupsByHost.get(host) ?? [];
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }
}
