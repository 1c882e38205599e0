import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderKnownHosts, renderLabInventory } from "../../../src/lab/inventory.js";
import { labHostAddress, labHostName } from "../../../src/lab/layout.js";

describe("lab inventory and known_hosts", () => {
  const hosts = [1, 2, 3].map((n) => ({ name: labHostName(n), address: labHostAddress(n) }));

  it("writes defaults, hosts with addresses and the group lab", () => {
    const text = renderLabInventory({ hosts, key: "/l/ssh/id_ed25519", knownHosts: "/l/ssh/known_hosts" });
    assert.match(text, /^# yaml-language-server: \$schema=https:\/\/lading\.dev\/schemas\/inventory\.schema\.json\n/);
    assert.deepEqual(parse(text), {
      defaults: { user: "root", port: 22, key: "/l/ssh/id_ed25519", knownHosts: "/l/ssh/known_hosts" },
      hosts: {
        lab1: { address: "10.98.0.11", vars: { network_interface: "eth0" } },
        lab2: { address: "10.98.0.12", vars: { network_interface: "eth0" } },
        lab3: { address: "10.98.0.13", vars: { network_interface: "eth0" } },
      },
      groups: { lab: { hosts: ["lab1", "lab2", "lab3"] } },
    });
  });

  it("keys known_hosts lines by address", () => {
    assert.equal(
      renderKnownHosts([
        { address: "10.98.0.11", hostKey: "ssh-ed25519 AAAA1" },
        { address: "10.98.0.12", hostKey: "ssh-ed25519 AAAA2" },
      ]),
      "10.98.0.11 ssh-ed25519 AAAA1\n10.98.0.12 ssh-ed25519 AAAA2\n",
    );
  });

  it("numbers hosts from 10.98.0.11", () => {
    assert.equal(labHostAddress(20), "10.98.0.30");
    assert.equal(labHostName(20), "lab20");
  });
});
