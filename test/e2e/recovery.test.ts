// lading mariadb-recovery on the lab: refused while the cluster is up; after all three Galera nodes went
// down (the last one uncleanly), it bootstraps from the node with the newest data (not the first host) and
// every row is back on every node.
import assert from "node:assert/strict";
import { ensureDeployed, lading, LAB_HOSTS, onHost, type Deployment } from "./deployment-fixture.js";

async function sql(d: Deployment, host: string, query: string): Promise<string> {
  return (await onHost(d, host, `docker exec mariadb mysql -N -B -e "${query}"`)).trim();
}

describe("mariadb-recovery (e2e)", function () {
  this.timeout(1_800_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("refuses while the cluster is up, and changes nothing", async () => {
    const r = await lading(["mariadb-recovery", "-d", d.dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /part of a primary component.*nothing was changed/);
    assert.equal(await sql(d, "lab2", "SHOW STATUS LIKE 'wsrep_cluster_size'"), "wsrep_cluster_size\t3");
  });

  it("after a full outage bootstraps from the node with the highest seqno (lab2, stopped last and uncleanly) with no lost rows", async () => {
    await sql(d, "lab1", "CREATE TABLE IF NOT EXISTS webapp.recovery_probe (id INT PRIMARY KEY) ENGINE=InnoDB; DELETE FROM webapp.recovery_probe");
    const insert = (host: string, from: number, to: number): Promise<string> =>
      sql(d, host, `INSERT INTO webapp.recovery_probe (id) VALUES ${Array.from({ length: to - from + 1 }, (_, i) => `(${from + i})`).join(",")}`);
    try {
      await insert("lab1", 1, 10);
      await onHost(d, "lab1", "docker stop mariadb");
      await insert("lab2", 11, 20);
      await onHost(d, "lab3", "docker stop mariadb");
      await insert("lab2", 21, 30);
      // The last node dies without a clean shutdown: its grastate.dat says seqno -1 and only InnoDB knows.
      await onHost(d, "lab2", "docker kill mariadb");
      for (const h of LAB_HOSTS) assert.equal((await onHost(d, h, "docker inspect --format '{{.State.Running}}' mariadb")).trim(), "false", `${h} is down`);
      assert.match(await onHost(d, "lab2", "docker run --rm --volumes-from mariadb --entrypoint cat lading/mariadb:1.0 /var/lib/mysql/grastate.dat"), /seqno:\s+-1/);

      const check = await lading(["check", "-d", d.dir]);
      assert.match(check.stdout, /every node of the Galera cluster is down: run lading mariadb-recovery/);
      const deploy = await lading(["deploy", "-d", d.dir]);
      assert.equal(deploy.code, 1, deploy.stdout + deploy.stderr);
      assert.match(deploy.stdout, /every member of the mariadb cluster is down: .*Nothing was changed: run lading mariadb-recovery/);
      for (const h of LAB_HOSTS) assert.equal((await onHost(d, h, "docker inspect --format '{{.State.Running}}' mariadb")).trim(), "false", `deploy left ${h} down`);

      const r = await lading(["mariadb-recovery", "-d", d.dir]);
      console.log(r.stdout.split("\n").filter((l) => /bootstrapping|recovered/.test(l)).map((l) => `      ${l}`).join("\n"));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /bootstrapping mariadb from lab2 has the most recent state \(seqno \d+, recovered from InnoDB\)/);
      for (const h of LAB_HOSTS) {
        assert.equal(await sql(d, h, "SELECT COUNT(*), MIN(id), MAX(id) FROM webapp.recovery_probe"), "30\t1\t30", `${h} has every row`);
        assert.equal(await sql(d, h, "SHOW STATUS LIKE 'wsrep_cluster_size'"), "wsrep_cluster_size\t3");
      }
      // The bootstrap node left the bootstrap command: the deployment is as desired again.
      const plan = await lading(["plan", "-d", d.dir]);
      assert.equal(plan.code, 0, plan.stdout);
    } finally {
      await sql(d, "lab1", "DROP TABLE IF EXISTS webapp.recovery_probe").catch(() => undefined);
    }
  });
});
