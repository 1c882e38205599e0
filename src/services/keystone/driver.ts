// The driver of the service that provides identity: Keystone. Other roles' catalog: entries are registered in
// it by its own command in its container (role.yaml identity:; see catalog.ts), and removed by destroy.
import type { ServiceDriver } from "../driver.js";

export const keystoneDriver: ServiceDriver = {
  name: "keystone",
  provides: "identity",
};
