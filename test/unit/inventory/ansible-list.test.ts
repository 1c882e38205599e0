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
    assert.deepEqual(_meta.hostvars, { localhost: { ansible_host: "localhost", ansible_user: "root", ansible_port: 22, ansible_connection: "local" } });
  });

  it("renders typed fields back as ansible_* and redacts secret-looking variables", () => {
    const inv = parseInventory("s.ini", "[db]\ndb1 ansible_host=10.0.0.5 ansible_port=2200 root_password=hunter2 api_secret=s tls_key=k key_file=/x\n");
    assert.deepEqual(inventoryToAnsibleList(inv)._meta.hostvars["db1"], {
      ansible_host: "10.0.0.5",
      ansible_user: "root",
      ansible_port: 2200,
      root_password: "[REDACTED]",
      api_secret: "[REDACTED]",
      tls_key: "[REDACTED]",
      key_file: "/x",
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

  it("says where it looked when there is no inventory", () => {
    assert.throws(
      () => runInventoryCommand({ dir }),
      (e: unknown) => e instanceof InputError && /no inventory found \(looked for inventory\.yml, inventory\.yaml, inventory, multinode, all-in-one\)/.test(e.problems[0]!.message),
    );
  });
});
