// The driver of the service that provides vip: keepalived moving vip_address between the loadbalancer hosts
// by VRRP. Its role restarts the VIP holder last (rollout.vipLast; the holder is found by vip.ts), and
// its gate is a command in its container: no cluster to ask, no registrations.
import type { ServiceDriver } from "../driver.js";

export const keepalivedDriver: ServiceDriver = {
  name: "keepalived",
  provides: "vip",
};
