import assert from "node:assert/strict";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { detectInventoryFormat, loadInventory, parseInventory } from "../../../src/inventory/index.js";
import { fixture, names } from "./fixtures.js";

describe("lading YAML inventories", () => {
  const inv = loadInventory(fixture("lab.yml"));

  it("reads hosts with defaults, typed fields and vars", () => {
    assert.equal(inv.format, "yaml");
    assert.deepEqual(names([...inv.hosts.values()]), ["lab1", "lab2", "lab3", "deployer"]);
    const lab1 = inv.hosts.get("lab1")!;
    assert.equal(lab1.address, "10.98.0.11");
    assert.equal(lab1.user, "root");
    assert.equal(lab1.port, 22);
    assert.equal(lab1.key, join(homedir(), ".cache/lading/lab/ssh/id_ed25519"));
    assert.equal(lab1.knownHosts, join(dirname(fixture("lab.yml")), "keys/known_hosts"));
    assert.equal(lab1.become, false);
    assert.deepEqual(lab1.origins.port, { file: fixture("lab.yml"), line: 4, column: 9, path: "defaults/port" });
    const lab3 = inv.hosts.get("lab3")!;
    assert.deepEqual([lab3.port, lab3.user, lab3.become], [2222, "admin", true]);
    const deployer = inv.hosts.get("deployer")!;
    assert.deepEqual([deployer.connection, deployer.address], ["local", "127.0.0.1"]);
  });

  it("applies precedence: top-level vars < group vars < child group vars < host vars", () => {
    const lab1 = inv.hosts.get("lab1")!;
    assert.equal(lab1.vars.get("network_interface")!.value, "eth0");
    assert.deepEqual(lab1.vars.get("network_interface")!.source, { file: fixture("lab.yml"), line: 12, column: 32, path: "hosts/lab1/vars/network_interface" });
    assert.equal(inv.hosts.get("lab2")!.vars.get("network_interface")!.value, "eth1");
    // control is a child of mariadb, so control's 3306 wins over mariadb's 3307.
    assert.equal(lab1.vars.get("mariadb_port")!.value, 3306);
    assert.equal(lab1.vars.get("mariadb_port")!.source.line, 20);
    assert.deepEqual(names(inv.hostsOf("mariadb")), ["lab1", "lab2", "lab3"]);
    assert.deepEqual(names(inv.hostsOf("loadbalancer")), ["lab3"]);
    assert.deepEqual(names(inv.hostsOf("ungrouped")), ["deployer"]);
  });
});

describe("Ansible YAML inventories", () => {
  it("reads all/children/hosts/vars with ranges and host:port, as ansible-inventory does", () => {
    const inv = loadInventory(fixture("ansible.yml"));
    assert.equal(inv.format, "ansible-yaml");
    assert.deepEqual(names([...inv.hosts.values()]), ["solo.lab.test", "ctl01", "ctl02", "ctl03"]);
    assert.deepEqual(names(inv.hostsOf("mariadb")), ["ctl01", "ctl02", "ctl03"]);
    assert.deepEqual(names(inv.hostsOf("ungrouped")), ["solo.lab.test"]);
    const ctl03 = inv.hosts.get("ctl03")!;
    assert.deepEqual([ctl03.address, ctl03.port, ctl03.become], ["10.0.0.3", 2222, true]);
    // ansible-inventory 2.14 gives ctl01 mariadb_port 3306: control is deeper than mariadb.
    assert.equal(inv.hosts.get("ctl01")!.vars.get("mariadb_port")!.value, 3306);
    assert.equal(inv.hosts.get("ctl01")!.ansibleVars.get("ansible_python_interpreter")!.value, "/usr/bin/python3");
    assert.equal(inv.hosts.get("solo.lab.test")!.vars.get("network_interface")!.value, "eth0");
  });

  it("keeps YAML types (no literal evaluation)", () => {
    const inv = parseInventory("a.yml", "all:\n  hosts:\n    h1:\n      n: '22'\n      b: true\n");
    assert.equal(inv.hosts.get("h1")!.vars.get("n")!.value, "22");
    assert.equal(inv.hosts.get("h1")!.vars.get("b")!.value, true);
  });
});

describe("format detection", () => {
  it("tells INI, lading YAML and Ansible YAML apart by content", () => {
    assert.equal(detectInventoryFormat("multinode", "# c\n[control]\nh1\n"), "ini");
    assert.equal(detectInventoryFormat("inventory", "h1 ansible_host=1.2.3.4\n"), "ini");
    assert.equal(detectInventoryFormat("inventory", "h1:2222\n"), "ini");
    assert.equal(detectInventoryFormat("inventory", "hosts:\n  a: {address: x}\n"), "yaml");
    assert.equal(detectInventoryFormat("inventory", "all:\n  hosts:\n"), "ansible-yaml");
    assert.equal(detectInventoryFormat("x.yml", "[1, 2]\n"), "yaml");
    assert.equal(detectInventoryFormat("x.ini", "all:\n  hosts:\n"), "ini");
  });
});
