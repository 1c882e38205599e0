// Builders of the iproute2 commands the lab runs on this machine: each returns an argv array and runs nothing.
import { LAB_BRIDGE } from "./layout.js";

export const ip = {
  /** The ports of the lab bridge (the machine-side ends of the hosts' eth0 veths), as JSON. */
  bridgePorts(): string[] {
    return ["ip", "-j", "link", "show", "master", LAB_BRIDGE];
  },
  /** Pulls or plugs a host's cable: the veth end on the lab bridge goes down or up. */
  setLink(dev: string, state: "up" | "down"): string[] {
    return ["ip", "link", "set", "dev", dev, state];
  },
  /** Removes the lab bridge if an engine stopped before removing its network left it behind. */
  deleteBridge(): string[] {
    return ["ip", "link", "delete", "dev", LAB_BRIDGE];
  },
  routes(): string[] {
    return ["ip", "-j", "-4", "route", "show", "table", "all"];
  },
  addresses(): string[] {
    return ["ip", "-j", "-4", "addr", "show"];
  },
};
