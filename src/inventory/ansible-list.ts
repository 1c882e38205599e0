// The structure `ansible-inventory --list` prints, so that lading's view of an inventory can be compared
// with Ansible's and fed to tools that read it. Secret-looking variables are printed as [REDACTED].
import { ANSIBLE_NAME_OF_FIELD, CONNECTION_VARS } from "./connection-vars.js";
import type { Inventory, InventoryHost } from "./inventory.js";
import { ALL_GROUP } from "./raw-inventory.js";

export const REDACTED = "[REDACTED]";

/** Names whose values are never printed: `*_password`, `*_secret`, `*_key` (a conservative guard). */
export function isSecretVariableName(name: string): boolean {
  return /(_password|_secret|_key)$/i.test(name) || /^(password|secret)$/i.test(name);
}

export interface AnsibleGroupListing {
  hosts?: string[];
  children?: string[];
}

export interface AnsibleInventoryList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: AnsibleGroupListing | { hostvars: Record<string, Record<string, unknown>> };
}

/**
 * A host's variables as `ansible-inventory --list` prints them: only what the inventory sets (host and group
 * vars). A connection field appears when the inventory set it, under the name it was written with
 * (`ansible_ssh_host` stays so); lading's defaults (user root, port 22, the host name as address) do not.
 */
export function ansibleHostVars(host: InventoryHost): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(ANSIBLE_NAME_OF_FIELD) as (keyof typeof ANSIBLE_NAME_OF_FIELD)[]) {
    const origin = host.origins[field];
    if (!origin || host[field] === undefined) continue;
    const written = origin.path?.split("/").pop();
    out[written && CONNECTION_VARS.get(written) === field ? written : ANSIBLE_NAME_OF_FIELD[field]] = host[field];
  }
  for (const [name, v] of host.ansibleVars) out[name] = v.value;
  for (const [name, v] of host.vars) out[name] = v.value;
  for (const name of Object.keys(out)) if (isSecretVariableName(name)) out[name] = REDACTED;
  return out;
}

/**
 * `ansible-inventory --list`: `_meta.hostvars`, then every group with its direct `hosts` and `children`
 * (empty keys and empty groups left out, `all` listing only children). `limit` keeps only those hosts.
 */
export function inventoryToAnsibleList(inv: Inventory, limit?: readonly InventoryHost[]): AnsibleInventoryList {
  const kept = new Set((limit ?? [...inv.hosts.values()]).map((h) => h.name));
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const host of inv.hosts.values()) if (kept.has(host.name)) hostvars[host.name] = ansibleHostVars(host);
  const list: AnsibleInventoryList = { _meta: { hostvars } };
  for (const group of inv.groups.values()) {
    const listing: AnsibleGroupListing = {};
    const hosts = group.name === ALL_GROUP ? [] : group.directHosts.filter((h) => kept.has(h));
    if (hosts.length) listing.hosts = hosts;
    if (group.children.length) listing.children = [...group.children];
    if (listing.hosts || listing.children) list[group.name] = listing;
  }
  return list;
}
