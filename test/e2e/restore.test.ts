// MariaDB backups with a tested restore, on the lab: a backup while a client writes through the VIP, then a
// full backup, an incremental, a database dropped by hand, and the restore that brings back exactly the rows
// written up to the incremental, with the cluster whole again and the web service answering.
import assert from "node:assert/strict";
import { clustersSettled, ensureDeployed, eventually, lading, LAB_HOSTS, onHost, VIP, type Deployment, type LiveEvent } from "./deployment-fixture.js";
import { GALERA_WRITER, startProbe, stopProbe, STOP_FILE, type WriterReport } from "./probes.js";

const events = (stdout: string): LiveEvent[] => stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LiveEvent);

async function sql(d: Deployment, host: string, query: string): Promise<string> {
  return (await onHost(d, host, `docker exec mariadb mysql -N -B -e "${query}"`)).trim();
}

async function insertRows(d: Deployment, from: number, to: number): Promise<void> {
  const values = Array.from({ length: to - from + 1 }, (_, i) => `(${from + i})`).join(",");
  await sql(d, "lab1", `INSERT INTO restore_probe.t (id) VALUES ${values}`);
}

describe("MariaDB backups and their restore on the lab (e2e)", function () {
  this.timeout(900_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("a backup taken while a client writes through the VIP: no failed write, on a node HAProxy does not send writes to, desynced only meanwhile", async () => {
    const probe = startProbe<WriterReport>(GALERA_WRITER, ["backup_probe", STOP_FILE, "600"]);
    let r: Awaited<ReturnType<typeof lading>>;
    try {
      await new Promise((res) => setTimeout(res, 2000));
      r = await lading(["mariadb-backup", "-d", d.dir, "--json"]);
      await new Promise((res) => setTimeout(res, 2000));
    } finally {
      await stopProbe();
    }
    const report = await probe;
    process.stderr.write(`      (writes through the VIP during the backup: ${report.acked.length} acknowledged, ${report.errors} failed, longest pause ${report.longest_pause_s} s)\n`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const backup = events(r.stdout).find((e) => e.type === "backup") as (LiveEvent & { host: string; kind: string; bytes: number; galera: { seqno: number } }) | undefined;
    assert.ok(backup, r.stdout);
    assert.equal(backup.kind, "full");
    assert.notEqual(backup.host, "lab1", "not the node HAProxy sends the writes to (the first mariadb host)");
    assert.ok(backup.bytes > 1_000_000, `${backup.bytes} bytes`);
    assert.equal(report.errors, 0, `failed writes: ${report.messages.join("; ")}`);
    assert.ok(report.acked.length > 20, `${report.acked.length} writes acknowledged`);
    const steps = events(r.stdout).filter((e) => e.type === "step" && e.status === "ok").map((e) => e.kind);
    assert.deepEqual(steps, ["desync", "backup", "resync"]);
    for (const h of LAB_HOSTS) assert.equal(await sql(d, h, "SHOW GLOBAL VARIABLES LIKE 'wsrep_desync'"), "wsrep_desync\tOFF", `${h} is not left desynced`);
  });

  it("full, rows, incremental, rows, the database dropped by hand: the restore of the incremental brings back exactly its rows; 3 Synced; the web service answers", async () => {
    await sql(d, "lab1", "CREATE DATABASE IF NOT EXISTS restore_probe");
    await sql(d, "lab1", "CREATE TABLE IF NOT EXISTS restore_probe.t (id INT PRIMARY KEY) ENGINE=InnoDB");
    await insertRows(d, 1, 100);
    const full = await lading(["mariadb-backup", "-d", d.dir, "--json"]);
    assert.equal(full.code, 0, full.stdout + full.stderr);
    await insertRows(d, 101, 150);
    const inc = await lading(["mariadb-backup", "-d", d.dir, "--incremental", "--json"]);
    assert.equal(inc.code, 0, inc.stdout + inc.stderr);
    const fullId = String(events(full.stdout).find((e) => e.type === "backup")!.id);
    const incEvent = events(inc.stdout).find((e) => e.type === "backup")!;
    assert.equal(incEvent.kind, "incremental");
    assert.equal(incEvent.base, fullId);
    await insertRows(d, 151, 170);
    const list = await lading(["mariadb-backup", "-d", d.dir, "--list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${fullId}\\s+full`));
    assert.match(list.stdout, new RegExp(`${String(incEvent.id)}\\s+incremental .* on ${fullId}`));
    await sql(d, "lab1", "DROP DATABASE restore_probe");
    // Without --yes: what it would do and lose, nothing done.
    const dry = await lading(["mariadb-restore", "-d", d.dir, "--from", String(incEvent.id)]);
    assert.equal(dry.code, 2, dry.stdout + dry.stderr);
    assert.match(dry.stdout, new RegExp(`restore ${fullId} \\+ ${String(incEvent.id)} .*the (\\d+) transaction\\(s\\) committed after the backup are lost`));
    const lost = Number(/the (\d+) transaction\(s\) committed after the backup are lost/.exec(dry.stdout)![1]);
    assert.ok(lost >= 2, `${lost} transactions after the backup (the insert of 151-170 and the drop)`);
    assert.equal(await sql(d, "lab2", "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'restore_probe'"), "0", "the dry run changed nothing");
    const restore = await lading(["mariadb-restore", "-d", d.dir, "--from", String(incEvent.id), "--yes"]);
    assert.equal(restore.code, 0, restore.stdout + restore.stderr);
    await clustersSettled(d);
    for (const h of LAB_HOSTS) {
      assert.equal(await sql(d, h, "SELECT COUNT(*), MIN(id), MAX(id) FROM restore_probe.t"), "150\t1\t150", `${h}: exactly the rows up to the incremental`);
      assert.equal(await sql(d, h, "SHOW STATUS LIKE 'wsrep_cluster_size'"), "wsrep_cluster_size\t3");
    }
    await eventually("the web service to answer through the VIP", 120_000, async () => {
      const res = await fetch(`http://${VIP}:8080/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
    // The restore started the nodes as a deploy would have: nothing left to do.
    const plan = await lading(["plan", "-d", d.dir]);
    assert.equal(plan.code, 0, plan.stdout);
  });
});
