// Issue 21 on the lab, with the shared deployment: `check` is clean right after `deploy`; RabbitMQ's epmd and
// Erlang distribution port listen on each host's own address (ss on every host), and check reports a declared
// port bound on every address; and a deployment whose /etc/lading was removed on every host while its
// containers were stopped comes back with no lost row (deploy refuses and points to mariadb-recovery, which
// writes the config files first, then deploy writes the rest).
import assert from "node:assert/strict";
import { clustersSettled, ensureDeployed, lading, LAB_ADDRESSES, LAB_HOSTS, onHost, VIP, type Deployment } from "./deployment-fixture.js";

async function sql(d: Deployment, host: string, query: string): Promise<string> {
  return (await onHost(d, host, `docker exec mariadb mysql -N -B -e "${query}"`)).trim();
}

/** The local addresses a host listens on for `port` (ss -H -ltn). */
async function listening(d: Deployment, host: string, port: number): Promise<string[]> {
  const out = await onHost(d, host, `ss -H -ltn 'sport = :${port}'`);
  return out.split("\n").map((l) => l.trim().split(/\s+/)[3]).filter((x): x is string => !!x).map((a) => a.slice(0, a.lastIndexOf(":")));
}

describe("hardening (e2e)", function () {
  this.timeout(1_800_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("check right after a successful deploy is clean (exit 0), containers still within their healthcheck's first interval included", async () => {
    // A change that recreates the webapp containers, then check at once, while Docker still says "starting".
    const deploy = await lading(["deploy", "-d", d.dir, "-s", "webapp", "--serial", "100%"]);
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    await onHost(d, "lab1", "docker restart webapp");
    const check = await lading(["check", "-d", d.dir]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /no drift: every host is as desired/);
  });

  it("RabbitMQ's epmd (4369) and distribution port (25672) listen on the host's address (and loopback), never on every address", async () => {
    for (const h of LAB_HOSTS) {
      for (const port of [4369, 25672]) {
        const addrs = await listening(d, h, port);
        assert.ok(addrs.length > 0, `${h}: something listens on ${port}`);
        for (const a of addrs) assert.ok([LAB_ADDRESSES[h], "127.0.0.1", "[::1]"].includes(a), `${h}: port ${port} listens on ${a} (${addrs.join(", ")})`);
      }
    }
  });

  it("check reports a declared port listening on every address", async () => {
    // memcached stopped on lab3 and its port taken by a listener on 0.0.0.0, as MariaDB bound when it started
    // without its config file.
    await onHost(d, "lab3", "docker stop memcached");
    try {
      await onHost(d, "lab3", "docker run -d --rm --name lading-stray --network host lading/memcached:1.0 memcached -u memcache -l 0.0.0.0 -p 11211");
      const check = await lading(["check", "-d", d.dir]);
      assert.equal(check.code, 2, check.stdout);
      assert.match(check.stdout, /lab3: port 11211 of memcached\/memcached listens on every address \(0\.0\.0\.0\), not only 10\.98\.0\.13/);
    } finally {
      await onHost(d, "lab3", "docker rm -f lading-stray").catch(() => undefined);
      await onHost(d, "lab3", "docker start memcached");
    }
  });

  it("/etc/lading removed on every host while the Galera containers are stopped: deploy points to mariadb-recovery, which writes the config first; no row is lost", async () => {
    await sql(d, "lab1", "CREATE TABLE IF NOT EXISTS webapp.hardening_probe (id INT PRIMARY KEY) ENGINE=InnoDB; DELETE FROM webapp.hardening_probe; INSERT INTO webapp.hardening_probe VALUES (1),(2),(3)");
    try {
      // The Galera cluster stopped on every host (lab3 last), then every config file of every service gone.
      for (const h of LAB_HOSTS) await onHost(d, h, "docker stop mariadb");
      for (const h of LAB_HOSTS) await onHost(d, h, "rm -rf /etc/lading");
      const deploy = await lading(["deploy", "-d", d.dir]);
      assert.equal(deploy.code, 1, deploy.stdout + deploy.stderr);
      assert.match(deploy.stdout, /run lading mariadb-recovery/);
      const started = Date.now();
      const recovery = await lading(["mariadb-recovery", "-d", d.dir]);
      const recoveryS = (Date.now() - started) / 1000;
      console.log(`      mariadb-recovery after /etc/lading was removed: exit ${recovery.code} in ${recoveryS.toFixed(0)} s`);
      assert.equal(recovery.code, 0, recovery.stdout + recovery.stderr);
      assert.match(recovery.stdout, /galera\.cnf: missing \(written before any node starts\)/);
      // MariaDB listens where galera.cnf says (its host address), not on every address; HAProxy holds the VIP's.
      for (const h of LAB_HOSTS) {
        const addrs = await listening(d, h, 3306);
        assert.ok(addrs.includes(LAB_ADDRESSES[h]!), `${h}: mariadb on its address (${addrs.join(", ")})`);
        for (const a of addrs) assert.ok([LAB_ADDRESSES[h], VIP].includes(a), `${h}: 3306 on ${a} (${addrs.join(", ")})`);
      }
      const redeploy = await lading(["deploy", "-d", d.dir]);
      assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
      await clustersSettled(d);
      for (const h of LAB_HOSTS) assert.equal(await sql(d, h, "SELECT COUNT(*) FROM webapp.hardening_probe"), "3", `${h} has every row`);
      const check = await lading(["check", "-d", d.dir]);
      assert.equal(check.code, 0, check.stdout);
    } finally {
      await sql(d, "lab1", "DROP TABLE IF EXISTS webapp.hardening_probe").catch(() => undefined);
    }
  });
});
