import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInventoryCommand } from "../../../src/cli/commands/inventory.js";
import { InputError } from "../../../src/errors.js";
import { findInventoryFile, inventoryToAnsibleList, loadInventory, parseInventory, selectHosts } from "../../../src/inventory/index.js";
import { fixture } from "./fixtures.js";

describe("inventoryToAnsibleList", () => {
  it("prints what ansible-inventory --list prints for the Kolla-shaped fixture (groups and children)", () => {
    const list = inventoryToAnsibleList(loadInventory(fixture("kolla-all-in-one")));
    // Group part as printed by ansible-inventory 2.14 for this file.
    const { _meta, ...groups } = list;
    assert.deepEqual(groups, {
      all: { children: ["ungrouped", "deployment", "common", "baremetal", "loadbalancer", "mariadb", "rabbitmq", "memcached"] },
      control: { hosts: ["localhost"] },
      network: { hosts: ["localhost"] },
      compute: { hosts: ["localhost"] },
      storage: { hosts: ["localhost"] },
      monitoring: { hosts: ["localhost"] },
      deployment: { hosts: ["localhost"] },
      common: { children: ["control", "network", "compute", "storage", "monitoring"] },
      baremetal: { children: ["control"] },
      loadbalancer: { children: ["network"] },
      mariadb: { children: ["control"] },
      rabbitmq: { children: ["control"] },
      memcached: { children: ["control"] },
    });
    // Only what the inventory sets: no ansible_host, ansible_user or ansible_port that it does not write.
    assert.deepEqual(_meta.hostvars, { localhost: { ansible_connection: "local" } });
  });

  it("renders typed fields back as ansible_* and redacts secret-looking variables", () => {
    const inv = parseInventory("s.ini", "[db]\ndb1 ansible_host=10.0.0.5 ansible_port=2200 root_password=hunter2 api_secret=s tls_key=k key_file=/x\n");
    assert.deepEqual(inventoryToAnsibleList(inv)._meta.hostvars["db1"], {
      ansible_host: "10.0.0.5",
      ansible_port: 2200,
      root_password: "[REDACTED]",
      api_secret: "[REDACTED]",
      tls_key: "[REDACTED]",
      key_file: "/x",
    });
  });

  it("prints a connection variable only where the inventory sets it, under the name it was written with, group vars included", () => {
    const inv = parseInventory("s.ini", "[db]\ndb1\ndb2 ansible_ssh_host=10.0.0.6 ansible_ssh_user=kolla\n[web]\nw1\n[web:vars]\nansible_port=2222\nansible_become=true\n");
    const hostvars = inventoryToAnsibleList(inv)._meta.hostvars;
    assert.deepEqual(hostvars, {
      db1: {},
      db2: { ansible_ssh_host: "10.0.0.6", ansible_ssh_user: "kolla" },
      w1: { ansible_port: 2222, ansible_become: true },
    });
  });

  it("keeps only the limited hosts", () => {
    const inv = loadInventory(fixture("kolla-multinode"));
    const list = inventoryToAnsibleList(inv, selectHosts(inv, "loadbalancer"));
    assert.deepEqual(Object.keys(list._meta.hostvars), ["net01", "net02"]);
    assert.deepEqual(list["network"], { hosts: ["net01", "net02"] });
    assert.equal(list["control"], undefined);
  });
});

describe("lading inventory (command)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lading-inv-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the inventory in the deployment directory, first name first", () => {
    assert.equal(findInventoryFile(dir), undefined);
    writeFileSync(join(dir, "multinode"), "[control]\nc1\n");
    assert.equal(findInventoryFile(dir), join(dir, "multinode"));
    writeFileSync(join(dir, "inventory.yml"), "hosts:\n  c1: { address: 10.0.0.1 }\n");
    assert.equal(findInventoryFile(dir), join(dir, "inventory.yml"));
  });

  it("prints the tree like ansible-inventory --graph, limited on request", () => {
    writeFileSync(join(dir, "multinode"), "[control]\nc1\nc2\n[network]\nn1\n[mariadb:children]\ncontrol\n");
    assert.equal(
      runInventoryCommand({ dir }),
      ["@all:", "  |--@mariadb:", "  |  |--@control:", "  |  |  |--c1", "  |  |  |--c2", "  |--@network:", "  |  |--n1", "  |--@ungrouped:", ""].join("\n"),
    );
    assert.equal(runInventoryCommand({ dir, limit: "c2" }), ["@all:", "  |--@mariadb:", "  |  |--@control:", "  |  |  |--c2", ""].join("\n"));
  });

  it("prints one host with the origin of each value, and --list as JSON", () => {
    writeFileSync(join(dir, "inv.ini"), "[control]\nc1 ansible_user=kolla db_password=x\n[control:vars]\nmariadb_port=3307\n");
    const text = runInventoryCommand({ dir, inventory: join(dir, "inv.ini"), host: "c1" });
    assert.match(text, /^ {2}user: "kolla" {2}\(.*inv\.ini:2:17 \[control\]\/c1\/ansible_user\)$/m);
    assert.match(text, /^ {2}port: 22 {2}\(lading default\)$/m);
    assert.match(text, /^ {4}mariadb_port: 3307 {2}\(.*inv\.ini:4:14 \[control:vars\]\/mariadb_port\)$/m);
    assert.match(text, /^ {4}db_password: \[REDACTED\]/m);
    const list = JSON.parse(runInventoryCommand({ dir, inventory: join(dir, "inv.ini"), list: true })) as Record<string, unknown>;
    assert.deepEqual(list["control"], { hosts: ["c1"] });
  });

  it("--host prints every parameter with where it was set: role default, globals.yml, group vars, host vars", () => {
    writeFileSync(join(dir, "inv.ini"), "[control]\nc1 memcached_port=11300 ansible_user=kolla\nc2\n[control:vars]\nmariadb_port=3307\n");
    writeFileSync(join(dir, "globals.yml"), "vip_address: 10.0.0.100\nmemcached_port: 11250\n");
    const text = runInventoryCommand({ dir, inventory: join(dir, "inv.ini"), host: "c1" });
    assert.match(text, /^ {2}parameters \(\d+; default < globals\.yml < group vars < host vars\):$/m);
    assert.match(text, /^ {4}vip_address: "10\.0\.0\.100" {2}\(.*globals\.yml:1:14 vip_address\)$/m);
    assert.match(text, /^ {4}memcached_port: 11300 {2}\(.*inv\.ini:2:19 \[control\]\/c1\/memcached_port\)$/m);
    assert.match(text, /^ {4}mariadb_port: 3307 {2}\(.*inv\.ini:5:14 \[control:vars\]\/mariadb_port\)$/m);
    assert.match(text, /^ {4}memcached_memory_mb: 64 {2}\(default of role memcached\)$/m);
    assert.doesNotMatch(text, /^ {2}vars: none/m);
    // c2: globals.yml's value, not c1's host var.
    assert.match(runInventoryCommand({ dir, inventory: join(dir, "inv.ini"), host: "c2" }), /^ {4}memcached_port: 11250 {2}\(.*globals\.yml:2:17 memcached_port\)$/m);
  });

  it("--host --json keeps the sources of connection settings, parameters and other variables", () => {
    writeFileSync(join(dir, "inv.ini"), "[control]\nc1 memcached_port=11300 ansible_user=kolla custom=1\n");
    const out = JSON.parse(runInventoryCommand({ dir, inventory: join(dir, "inv.ini"), host: "c1", json: true })) as {
      connection: Record<string, { value: unknown; source: { line: number } | null }>;
      parameters: Record<string, { value: unknown; source: { file: string; line: number; column: number; path: string } | null; declaredBy: string }>;
      vars: Record<string, { value: unknown; source: { line: number } }>;
      ansible: Record<string, unknown>;
    };
    assert.deepEqual(out.parameters["memcached_port"], { value: 11300, source: { file: join(dir, "inv.ini"), line: 2, column: 19, path: "[control]/c1/memcached_port" }, declaredBy: "memcached" });
    assert.deepEqual(out.parameters["memcached_memory_mb"], { value: 64, source: null, declaredBy: "memcached" });
    assert.equal(out.connection["user"]!.value, "kolla");
    assert.equal(out.connection["user"]!.source!.line, 2);
    assert.equal(out.connection["port"]!.source, null);
    assert.equal(out.vars["custom"]!.value, 1);
    assert.deepEqual(out.ansible, { ansible_user: "kolla", memcached_port: 11300, custom: 1 });
  });

  it("says where it looked when there is no inventory", () => {
    assert.throws(
      () => runInventoryCommand({ dir }),
      (e: unknown) => e instanceof InputError && /no inventory found \(looked for inventory\.yml, inventory\.yaml, inventory, multinode, all-in-one\)/.test(e.problems[0]!.message),
    );
  });
});
