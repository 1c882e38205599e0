// The files the lab writes for its users: the inventory (lading YAML format) and known_hosts.
import { stringify } from "yaml";

export interface InventoryHost {
  name: string;
  address: string;
}

/** The lab inventory: connection defaults, every host with its address, and the group `lab` of all hosts. */
export function renderLabInventory(opts: { hosts: InventoryHost[]; key: string; knownHosts: string }): string {
  const doc = {
    defaults: { user: "root", port: 22, key: opts.key, knownHosts: opts.knownHosts },
    hosts: Object.fromEntries(opts.hosts.map((h) => [h.name, { address: h.address, vars: { network_interface: "eth0" } }])),
    groups: { lab: { hosts: opts.hosts.map((h) => h.name) } },
  };
  return (
    "# yaml-language-server: $schema=https://lading.dev/schemas/inventory.schema.json\n" +
    "# Written by `lading lab up`: the hosts of the local test lab.\n" +
    stringify(doc, { flowCollectionPadding: false })
  );
}

/** known_hosts lines keyed by address: `10.98.0.11 ssh-ed25519 AAAA...`. */
export function renderKnownHosts(entries: { address: string; hostKey: string }[]): string {
  return entries.map((e) => `${e.address} ${e.hostKey}\n`).join("");
}
