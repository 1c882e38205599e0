import assert from "node:assert/strict";
import { desiredHosts, labHostNumber, parseHostInspect } from "../../../src/lab/hosts.js";

function inspectLine(name: string, running: boolean, ip: string | null): string {
  return JSON.stringify({
    Name: `/${name}`,
    Image: "sha256:h",
    State: { Running: running, Status: running ? "running" : "exited" },
    Config: { Labels: { "dev.lading.lab.host": name } },
    HostConfig: { ExtraHosts: ["lab1:10.98.0.11"] },
    NetworkSettings: { Networks: ip === null ? {} : { "lading-lab": { IPAddress: ip } } },
  });
}

describe("lab hosts", () => {
  it("reads hosts from docker inspect, in host order, with their fixed addresses", () => {
    const text = [inspectLine("lab10", true, "10.98.0.20"), inspectLine("lab2", false, ""), inspectLine("lab1", true, "10.98.0.11")].join("\n");
    assert.deepEqual(
      parseHostInspect(text).map((h) => [h.name, h.address, h.running, h.connected, h.extraHosts]),
      [
        ["lab1", "10.98.0.11", true, true, ["lab1:10.98.0.11"]],
        ["lab2", "10.98.0.12", false, false, ["lab1:10.98.0.11"]],
        ["lab10", "10.98.0.20", true, true, ["lab1:10.98.0.11"]],
      ],
    );
  });

  it("numbers only lab host names", () => {
    assert.equal(labHostNumber("lab12"), 12);
    assert.equal(labHostNumber("lab0"), undefined);
    assert.equal(labHostNumber("db1"), undefined);
    assert.deepEqual(desiredHosts(2), [
      { name: "lab1", address: "10.98.0.11" },
      { name: "lab2", address: "10.98.0.12" },
    ]);
  });
});
