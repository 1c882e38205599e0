// A Kolla-Ansible multinode INI inventory (test/fixtures/inventory/kolla-multinode, same structure as
// Kolla-Ansible's ansible/inventory/multinode) drives a lading deployment unchanged: services land where
// Ansible would put them (mariadb and rabbitmq on control, haproxy and keepalived on network), and
// `enable_webapp: false` leaves out the one role whose group Kolla does not have.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../../src/cli/main.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { packageRoot } from "../../../src/paths.js";
import type { DesiredState } from "../../../src/render/desired.js";
import { copyDeployment, problemsOf, removeDeployment, writeDeploymentFile, writeFakePasswords } from "./deployment-fixture.js";
import { withoutNetwork } from "./no-network.js";

const fixture = readFileSync(join(packageRoot, "test", "fixtures", "inventory", "kolla-multinode"), "utf8");
/** The fixture without its [webapp:children] section: Kolla's own inventory has no webapp group. */
const kollaShaped = fixture.replace(/\[webapp:children\]\n(?:[^\n[]+\n)*\n?/, "");
const GLOBALS = "vip_address: 10.98.0.250\nkeepalived_virtual_router_id: 71\nenable_webapp: false\n";

function servicesByHost(state: DesiredState): Record<string, string[]> {
  return Object.fromEntries([...state.hosts.values()].map((h) => [h.name, h.services.map((s) => s.name)]));
}

function fileOf(state: DesiredState, host: string, service: string, name: string): string {
  const f = state.hosts.get(host)?.services.find((s) => s.name === service)?.files.find((x) => x.path.endsWith(`/${name}`));
  assert.ok(f, `${host} has no ${service}/${name}`);
  return f.content;
}

describe("Kolla-Ansible multinode inventory", function () {
  this.timeout(20000);
  let dir: string;
  before(() => {
    dir = copyDeployment();
    assert.ok(!kollaShaped.includes("[webapp"), "the webapp group is gone");
    writeDeploymentFile(dir, "multinode", kollaShaped);
    writeDeploymentFile(dir, "globals.yml", GLOBALS);
    writeFakePasswords(dir);
  });
  after(() => removeDeployment(dir));

  it("lading validate succeeds on it, opening no connection", async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    try {
      const { result: code, attempts } = await withoutNetwork(() => main(["node", "lading", "validate", "-d", dir, "--format", "json"]));
      assert.deepEqual(attempts, []);
      assert.equal(code, 0, out.join(""));
    } finally {
      process.stdout.write = write;
      process.exitCode = undefined;
    }
    const summary = JSON.parse(out.join("")) as { ok: boolean; hosts: number; services: number; files: number };
    // 10 hosts (ctl1-3.lab.test, net01, net02, cmp-a, cmp-b, mon1, sto1, localhost); every shipped role but webapp.
    assert.deepEqual(summary.ok && [summary.hosts, summary.services], [10, 5]);
  });

  it("renders mariadb, rabbitmq and memcached on control, haproxy and keepalived on network, nothing elsewhere", () => {
    const project = loadProject({ dir });
    assert.equal(project.inventoryFile, join(dir, "multinode"));
    const state = renderProject(project);
    assert.deepEqual(servicesByHost(state), {
      "ctl1.lab.test": ["mariadb", "memcached", "rabbitmq"],
      "ctl2.lab.test": ["mariadb", "memcached", "rabbitmq"],
      "ctl3.lab.test": ["mariadb", "memcached", "rabbitmq"],
      net01: ["haproxy", "keepalived"],
      net02: ["haproxy", "keepalived"],
      "cmp-a": [],
      "cmp-b": [],
      mon1: [],
      sto1: [],
      localhost: [],
    });
  });

  it("reads the inventory's vars: [mariadb:vars] port on the Galera nodes, [control:vars] interface, [all:vars] elsewhere", () => {
    const state = renderProject(loadProject({ dir }));
    const galera = fileOf(state, "ctl2.lab.test", "mariadb", "galera.cnf");
    assert.match(galera, /^port = 3307$/m);
    // Hosts without ansible_host are reached by name, and the cluster lists them in inventory order.
    assert.match(galera, /^wsrep_cluster_address = gcomm:\/\/ctl1\.lab\.test:4567,ctl2\.lab\.test:4567,ctl3\.lab\.test:4567$/m);
    const haproxy = fileOf(state, "net02", "haproxy", "haproxy.cfg");
    // The frontend takes net02's own mariadb_port ([all:vars] 3306); the backends their hosts' (3307).
    assert.match(haproxy, /bind 10\.98\.0\.250:3306 transparent/);
    assert.match(haproxy, /server ctl1\.lab\.test ctl1\.lab\.test:3307 check/);
    assert.match(haproxy, /bind 10\.98\.0\.22:1984\n/);
    assert.doesNotMatch(haproxy, /listen webapp/);
    assert.match(fileOf(state, "net01", "keepalived", "keepalived.conf"), /interface eth0\n/);
    assert.match(fileOf(state, "ctl1.lab.test", "rabbitmq", "rabbitmq-env.conf"), /^NODENAME=rabbit@ctl1\.lab\.test$/m);
  });

  it("without enable_webapp: false, the missing webapp group is the one problem", () => {
    const other = copyDeployment(dir);
    try {
      writeDeploymentFile(other, "globals.yml", GLOBALS.replace("enable_webapp: false\n", ""));
      assert.deepEqual(problemsOf(() => loadProject({ dir: other }), other), [
        {
          file: "<lading>/roles/webapp/role.yaml",
          line: 7,
          column: 10,
          path: "groups/0",
          message: `group "webapp" of role webapp is not in the inventory ${join(other, "multinode").replace(other, "<dir>")} (set enable_webapp: false to leave the service out)`,
        },
      ]);
    } finally {
      removeDeployment(other);
    }
  });

  it("the fixture as committed (with a webapp group over control and compute) validates with webapp on", () => {
    const other = copyDeployment(dir);
    try {
      writeDeploymentFile(other, "multinode", fixture);
      writeDeploymentFile(other, "globals.yml", GLOBALS.replace("enable_webapp: false\n", ""));
      const state = renderProject(loadProject({ dir: other }));
      assert.deepEqual(servicesByHost(state)["cmp-a"], ["webapp"]);
      assert.deepEqual(servicesByHost(state)["ctl1.lab.test"], ["mariadb", "memcached", "rabbitmq", "webapp"]);
    } finally {
      removeDeployment(other);
    }
  });
});
