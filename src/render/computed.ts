// Values computed by typed code for templates: host lists, address lists, indexes, load-balancer backends.
// Templates stay logic-less: anything that needs a loop with a separator or a condition lives here.
import type { Computed } from "../generated/role.js";

export interface TopologyHost {
  name: string;
  address: string;
}

/** What computed values may read: the hosts of each group, in inventory order. */
export interface Topology {
  hostsOf(group: string): TopologyHost[];
}

export interface HostEntry {
  name: string;
  address: string;
  index: number;
  first: boolean;
}

/**
 * Computes one declared value for `host`. `renderPort` turns a port (number or template) into a number
 * in the context of the host it belongs to. loadbalancerServices is passed in, as it spans every role.
 */
export function computeValue(
  decl: Computed,
  host: TopologyHost,
  topology: Topology,
  renderPort: (port: number | string, forHost: TopologyHost) => number,
  lbServices: () => unknown,
  tlsCertificate: () => unknown = () => ({ bundle: "" }),
): unknown {
  switch (decl.kind) {
    case "hosts":
      return topology.hostsOf(decl.group).map((h, index) => ({ name: h.name, address: h.address, index, first: index === 0 }));
    case "addressList": {
      const items = topology.hostsOf(decl.group).map((h) => {
        const base = decl.useNames ? h.name : h.address;
        return decl.port !== undefined ? `${base}:${renderPort(decl.port, h)}` : base;
      });
      return `${decl.prefix ?? ""}${items.join(decl.separator ?? ",")}`;
    }
    case "hostIndex":
      return topology.hostsOf(decl.group).findIndex((h) => h.name === host.name);
    case "firstHost":
      return topology.hostsOf(decl.group)[0]?.name ?? "";
    case "loadbalancerServices":
      return lbServices();
    case "tlsCertificate":
      return tlsCertificate();
  }
}
