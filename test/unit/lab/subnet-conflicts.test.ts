import assert from "node:assert/strict";
import { cidrsOverlap, findSubnetConflicts } from "../../../src/lab/subnet-conflicts.js";

describe("lab subnet conflicts", () => {
  it("computes overlaps", () => {
    assert.equal(cidrsOverlap("10.98.0.0/24", "10.98.0.128/25"), true);
    assert.equal(cidrsOverlap("10.98.0.0/24", "10.98.1.0/24"), false);
    assert.equal(cidrsOverlap("10.0.0.0/8", "10.98.0.0/24"), true);
  });

  it("ignores the default route, wider routes and the lab's own bridge", () => {
    const routes = [
      { dst: "default", dev: "eth0" },
      { dst: "10.0.0.0/8", dev: "tun0" },
      { dst: "10.98.0.0/24", dev: "lading-lab0" },
      { dst: "192.0.2.0/24", dev: "eth0" },
    ];
    const links = [{ ifname: "lading-lab0", addr_info: [{ local: "10.98.0.1", prefixlen: 24 }] }];
    assert.deepEqual(findSubnetConflicts("10.98.0.0/24", routes, links), []);
  });

  it("reports routes and addresses of anything else in the subnet", () => {
    const routes = [{ dst: "10.98.0.0/24", dev: "br-1234" }, { dst: "10.98.0.64/26", dev: "wg0" }];
    const links = [{ ifname: "br-1234", addr_info: [{ local: "10.98.0.1", prefixlen: 24 }] }];
    assert.deepEqual(findSubnetConflicts("10.98.0.0/24", routes, links), [
      "route 10.98.0.0/24 dev br-1234",
      "route 10.98.0.64/26 dev wg0",
      "address 10.98.0.1/24 on br-1234",
    ]);
  });
});
