// The hosts that serve an HTTP service behind HAProxy (a role's `mode: http` load-balancer entry): with tls_internal
// each of them serves the backends' certificate, which must cover its name and address.
import type { LoadedRole } from "../model/roles.js";
import type { Topology, TopologyHost } from "../render/computed.js";

export function httpBackendHosts(enabled: LoadedRole[], topology: Topology): TopologyHost[] {
  const out = new Map<string, TopologyHost>();
  for (const role of enabled) {
    for (const e of role.def.loadbalancer ?? []) {
      if ((e.mode ?? "http") !== "http") continue;
      for (const h of topology.hostsOf(e.backendGroup ?? role.def.groups[0]!)) out.set(h.name, h);
    }
  }
  return [...out.values()];
}

const isAddress = (a: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(a) || a.includes(":");

/** SANs of hosts: their addresses as IP SANs (or DNS when an address is a name) and their names. */
export function sansOf(hosts: TopologyHost[]): { addresses: string[]; names: string[] } {
  return {
    addresses: hosts.map((h) => h.address).filter(isAddress),
    names: [...hosts.map((h) => h.name), ...hosts.map((h) => h.address).filter((a) => !isAddress(a))],
  };
}
