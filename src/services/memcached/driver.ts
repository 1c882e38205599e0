// The driver of the service that provides cache: memcached. Each node stands alone (no cluster, no quorum),
// its gate is a TCP port; the driver only names it.
import type { ServiceDriver } from "../driver.js";

export const memcachedDriver: ServiceDriver = {
  name: "memcached",
  provides: "cache",
};
