import assert from "node:assert/strict";
import { loadInventory, parseInventory } from "../../../src/inventory/index.js";
import { fixture, names } from "./fixtures.js";

const values = (inv: ReturnType<typeof parseInventory>, host: string): Record<string, unknown> =>
  Object.fromEntries([...inv.hosts.get(host)!.vars].map(([k, v]) => [k, v.value]));

describe("INI inventories", () => {
  it("reads sections, hosts before any section, inline vars with quotes and comments", () => {
    const inv = parseInventory(
      "hosts.ini",
      [
        "# a comment",
        "; another comment",
        "lone1 greeting=\"hello world\" count=3 flag=True id='\"007\"' # trailing comment",
        "[web]",
        "web1 ansible_host=10.0.0.1 ansible_user=deploy ansible_port=2222",
        "web2:2200 ansible_host=10.0.0.2 ansible_become=yes ansible_ssh_private_key_file=/keys/id",
        "[web:vars]",
        "http_port=8080",
        "motto = ship it  # kept: everything after = is the value",
      ].join("\n"),
    );
    assert.deepEqual(names([...inv.hosts.values()]), ["lone1", "web1", "web2"]);
    assert.deepEqual(values(inv, "lone1"), { greeting: "hello world", count: 3, flag: true, id: "007" });
    const web1 = inv.hosts.get("web1")!;
    assert.equal(web1.address, "10.0.0.1");
    assert.equal(web1.user, "deploy");
    assert.equal(web1.port, 2222);
    assert.equal(web1.connection, "ssh");
    assert.deepEqual(values(inv, "web1"), { http_port: 8080, motto: "ship it  # kept: everything after = is the value" });
    const web2 = inv.hosts.get("web2")!;
    assert.equal(web2.port, 2200);
    assert.equal(web2.become, true);
    assert.equal(web2.key, "/keys/id");
    assert.equal(web2.user, "root");
    assert.deepEqual(web2.origins.port, { file: "hosts.ini", line: 6, column: 6, path: "[web]/web2/ansible_port" });
    assert.deepEqual(names(inv.hostsOf("ungrouped")), ["lone1"]);
  });

  it("locates every value at the line and column where it was written", () => {
    const inv = parseInventory("inv", "[db]\ndb1   size=\"large\"\n[db:vars]\nengine =  mariadb\n");
    const db1 = inv.hosts.get("db1")!;
    assert.deepEqual(db1.vars.get("size")!.source, { file: "inv", line: 2, column: 12, path: "[db]/db1/size" });
    assert.deepEqual(db1.vars.get("engine")!.source, { file: "inv", line: 4, column: 11, path: "[db:vars]/engine" });
  });

  it("expands ranges on host lines and gives every host the line's vars", () => {
    const inv = parseInventory("inv", "[c]\ncontrol[01:03] ansible_user=kolla\nn-[a:b]\nodd[1:5:2]\n");
    assert.deepEqual(names(inv.hostsOf("c")), ["control01", "control02", "control03", "n-a", "n-b", "odd1", "odd3", "odd5"]);
    assert.equal(inv.hosts.get("control02")!.user, "kolla");
    assert.equal(inv.hosts.get("control02")!.origins.user!.path, "[c]/control02/ansible_user");
  });

  it("accepts children declared before the child group, and [all:vars]", () => {
    const inv = parseInventory("inv", "[parent:children]\nkid\n[all:vars]\nx=1\n[kid]\nk1\n");
    assert.deepEqual(names(inv.hostsOf("parent")), ["k1"]);
    assert.deepEqual(inv.groups.get("parent")!.children, ["kid"]);
    assert.equal(inv.hosts.get("k1")!.vars.get("x")!.value, 1);
  });

  it("removes a host from ungrouped once it is in a group (Ansible's reconcile)", () => {
    const inv = parseInventory("inv", "h1\nh2\n[g]\nh1\n");
    assert.deepEqual(names(inv.hostsOf("ungrouped")), ["h2"]);
    assert.deepEqual(inv.groups.get("ungrouped")!.directHosts, ["h2"]);
    assert.deepEqual(inv.groupsOf("h1"), ["all", "g"]);
    assert.deepEqual(inv.groupsOf("h2"), ["all", "ungrouped"]);
  });

  describe("Kolla-shaped fixtures", () => {
    it("multinode: service groups resolve through children as Ansible does", () => {
      const inv = loadInventory(fixture("kolla-multinode"));
      assert.equal(inv.format, "ini");
      const controls = ["ctl1.lab.test", "ctl2.lab.test", "ctl3.lab.test"];
      assert.deepEqual(names(inv.hostsOf("mariadb")), controls);
      assert.deepEqual(names(inv.hostsOf("rabbitmq")), controls);
      assert.deepEqual(names(inv.hostsOf("memcached")), controls);
      assert.deepEqual(names(inv.hostsOf("loadbalancer")), ["net01", "net02"]);
      assert.deepEqual(names(inv.hostsOf("haproxy")), ["net01", "net02"]);
      assert.deepEqual(names(inv.hostsOf("webapp")), [...controls, "cmp-a", "cmp-b"]);
      assert.deepEqual(names(inv.hostsOf("baremetal")), [...controls, "net01", "net02", "cmp-a", "cmp-b", "mon1", "sto1"]);
      assert.deepEqual(names(inv.hostsOf("deployment")), ["localhost"]);
      assert.deepEqual(inv.groups.get("all")!.children, ["ungrouped", "deployment", "baremetal", "tls-backend", "common", "mariadb", "rabbitmq", "memcached", "haproxy", "keepalived", "webapp"]);
      const localhost = inv.hosts.get("localhost")!;
      assert.equal(localhost.connection, "local");
      assert.equal(inv.hosts.get("net02")!.address, "10.98.0.22");
      assert.equal(inv.hosts.get("net01")!.address, "net01");
      assert.equal(inv.hosts.get("sto1")!.port, 2201);
      // The values ansible-inventory 2.14 prints for this fixture.
      assert.deepEqual(values(inv, "ctl1.lab.test"), { network_interface: "ens3", mariadb_port: 3307 });
      assert.deepEqual(values(inv, "cmp-a"), { network_interface: "eth0", mariadb_port: 3306 });
      assert.equal(inv.hosts.get("ctl1.lab.test")!.vars.get("mariadb_port")!.source.line, 70);
    });

    it("all-in-one: one local host in every service group", () => {
      const inv = loadInventory(fixture("kolla-all-in-one"));
      assert.deepEqual(names([...inv.hosts.values()]), ["localhost"]);
      for (const group of ["control", "network", "compute", "storage", "monitoring", "deployment", "common", "baremetal", "loadbalancer", "mariadb", "rabbitmq", "memcached"]) {
        assert.deepEqual(names(inv.hostsOf(group)), ["localhost"], group);
      }
      assert.equal(inv.hosts.get("localhost")!.connection, "local");
      assert.deepEqual(names(inv.hostsOf("ungrouped")), []);
    });
  });
});
