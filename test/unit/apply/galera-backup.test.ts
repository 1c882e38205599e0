// Galera backups over fake transports: the node chosen, desync around the backup (also when it fails), the
// manifest, incrementals on the last backup, restore chains and what a restore stops, in order.
import assert from "node:assert/strict";
import { backupGalera, backupId, chainOf, chooseBackupNode, parseBackupOutput, planRestore, restoreGalera, type BackupManifest, type BackupMember } from "../../../src/apply/galera-backup.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { HostError } from "../../../src/errors.js";
import { container, facts, runningFact, service } from "../engine/fixtures.js";
import { FakeTransport, type Responder } from "./fake-transport.js";

const HOSTS = ["lab1", "lab2", "lab3"];
const UUID = "6b1c5e0e-90a1-11ef-9d5a-3b1f2a6c7d8e";

function members(respond: Responder, log: string[] = []): BackupMember[] {
  const c = container("mariadb", "mariadb", { stopTimeout: 120, bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
  const svc = service("mariadb", [], [c], { rollout: { strategy: "rolling", gate: { kind: "galera", container: "mariadb" }, quorum: true } });
  return HOSTS.map((h, i) => {
    const f = facts();
    f.containers.set("mariadb", runningFact(c, "x"));
    return { host: h, address: `10.0.0.${i + 1}`, service: svc, transport: new FakeTransport(h, log, respond), facts: f, volume: "mariadb_backup" };
  });
}

const status = (state = "Synced", cluster = "Primary"): string => `wsrep_local_state_comment\t${state}\nwsrep_cluster_size\t3\nwsrep_cluster_status\t${cluster}\n`;
const OUTPUT = `checkpoint backup_type = full-backuped\ncheckpoint from_lsn = 0\ncheckpoint to_lsn = 4711\ncheckpoint last_lsn = 4711\ngalera ${UUID}:42\nsize 1048576\nsha256 ${"ab".repeat(32)}\n`;

function manifest(over: Partial<BackupManifest>): BackupManifest {
  return { id: "20261203T120000Z-full", kind: "full", full: "20261203T120000Z-full", host: "lab3", time: "2026-12-03T12:00:00.000Z", galera: { uuid: UUID, seqno: 42 }, fromLsn: 0, toLsn: 4711, bytes: 1, sha256: "ab".repeat(32), ...over };
}

const isSql = (argv: readonly string[]): boolean => argv.includes("mysql");
const script = (argv: readonly string[]): string | undefined => argv.find((a) => a.startsWith("lading-"));

describe("Galera backups (mariadb-backup, mariadb-restore)", () => {
  it("parses the backup script's output into the manifest's position, LSNs, size and checksum", () => {
    assert.deepEqual(parseBackupOutput(OUTPUT), { fromLsn: 0, toLsn: 4711, galera: { uuid: UUID, seqno: 42 }, bytes: 1048576, sha256: "ab".repeat(32) });
    assert.throws(() => parseBackupOutput("checkpoint to_lsn = 1\n"), /unexpected output/);
  });

  it("names a backup by its UTC time to the second and its kind", () => {
    assert.equal(backupId(new Date("2026-12-03T13:15:00.123Z"), "incremental"), "20261203T131500Z-incremental");
  });

  it("backs up on a Synced node that is not HAProxy's active one (the first), and never on one that is not Synced", async () => {
    const ok = await chooseBackupNode(members((h, argv) => (isSql(argv) ? { stdout: status() } : undefined)));
    assert.equal(ok.host, "lab3");
    const lab3Donor = await chooseBackupNode(members((h, argv) => (isSql(argv) ? { stdout: h === "lab3" ? status("Donor/Desynced") : status() } : undefined)));
    assert.equal(lab3Donor.host, "lab2");
    await assert.rejects(chooseBackupNode(members((_h, argv) => (isSql(argv) ? { stdout: status("Initialized", "non-Primary") } : undefined))), /no node is Synced in a Primary component/);
    await assert.rejects(chooseBackupNode(members((h, argv) => (isSql(argv) ? { stdout: h === "lab2" ? status("Joining") : status() } : undefined)), "lab2"), /the last backup is on lab2, which is not Synced/);
  });

  it("desyncs the node for the backup, resyncs it after, and writes the manifest with what the script found", async () => {
    const log: string[] = [];
    const stdins: string[] = [];
    const ms = members((_h, argv, stdin) => {
      if (stdin) stdins.push(stdin.trim());
      if (isSql(argv)) return { stdout: status() };
      if (script(argv) === "lading-mariadb-backup") return { stdout: OUTPUT };
      return undefined;
    }, log);
    const events: RunEvent[] = [];
    const b = await backupGalera(ms, { incremental: false, now: new Date("2026-12-03T12:00:00Z") }, (e) => events.push(e));
    assert.deepEqual(b, manifest({ bytes: 1048576 }));
    const lab3 = log.filter((l) => l.startsWith("lab3: ") && !l.includes("SHOW"));
    assert.deepEqual(
      lab3.map((l) => (l.includes("lading-mariadb-backup-volume") ? "manifest" : l.includes("lading-mariadb-backup") ? "backup" : l.includes("mysql") ? "sql" : l)),
      ["sql", "sql", "backup", "sql", "manifest"],
    );
    assert.ok(stdins.includes("SET GLOBAL wsrep_desync=ON;") && stdins.includes("SET GLOBAL wsrep_desync=OFF;"));
    assert.deepEqual(JSON.parse(stdins[stdins.length - 1]!), b, "the manifest written is the one returned");
  });

  it("a failed backup still resyncs the node and says why", async () => {
    const stdins: string[] = [];
    const ms = members((_h, argv, stdin) => {
      if (stdin) stdins.push(stdin.trim());
      if (isSql(argv)) return { stdout: status() };
      if (script(argv) === "lading-mariadb-backup") return { code: 1, stderr: "mariabackup: Error writing file\n" };
      return undefined;
    });
    await assert.rejects(backupGalera(ms, { incremental: false }, () => undefined), (e: unknown) => e instanceof HostError && e.host === "lab3" && /Error writing file/.test(e.message));
    assert.equal(stdins.filter((s) => s === "SET GLOBAL wsrep_desync=OFF;").length, 1);
  });

  it("an incremental starts at the LSN where the last backup ended, on its node, in its chain", async () => {
    const full = manifest({});
    const calls: string[][] = [];
    const ms = members((_h, argv) => {
      if (isSql(argv)) return { stdout: status() };
      if (script(argv) === "lading-mariadb-backup-volume" && argv.includes("list")) return { stdout: _h === "lab3" ? `${JSON.stringify(full)}\n` : "" };
      if (script(argv) === "lading-mariadb-backup") {
        calls.push([...argv]);
        return { stdout: OUTPUT.replace("from_lsn = 0", "from_lsn = 4711").replace("to_lsn = 4711", "to_lsn = 5000").replace(":42", ":50") };
      }
      return undefined;
    });
    const inc = await backupGalera(ms, { incremental: true, now: new Date("2026-12-03T12:05:00Z") }, () => undefined);
    assert.equal(calls[0]!.at(-1), full.id, "on the last backup");
    assert.deepEqual([inc.kind, inc.base, inc.full, inc.host, inc.fromLsn, inc.toLsn, inc.galera.seqno], ["incremental", full.id, full.id, "lab3", 4711, 5000, 50]);
    await assert.rejects(backupGalera(members((_h, argv) => (isSql(argv) ? { stdout: status() } : undefined)), { incremental: true }, () => undefined), /no backup to build an incremental on/);
  });

  it("a restore applies the chain from its full backup; an unknown --from lists what there is", async () => {
    const full = manifest({});
    const inc1 = manifest({ id: "20261203T120500Z-incremental", kind: "incremental", base: full.id, time: "2026-12-03T12:05:00.000Z" });
    const inc2 = manifest({ id: "20261203T121000Z-incremental", kind: "incremental", base: inc1.id, time: "2026-12-03T12:10:00.000Z" });
    assert.deepEqual(chainOf(inc2, [full, inc1, inc2]).map((b) => b.id), [full.id, inc1.id, inc2.id]);
    assert.throws(() => chainOf(inc2, [full, inc2]), /builds on 20261203T120500Z-incremental, which is not on lab3/);
    const ms = members((h, argv) => {
      if (script(argv) === "lading-mariadb-backup-volume") return { stdout: h === "lab3" ? [full, inc1, inc2].map((b) => JSON.stringify(b)).join("\n") : "" };
      if (isSql(argv)) return { stdout: "wsrep_last_committed\t60\n" };
      return undefined;
    });
    const plan = await planRestore(ms);
    assert.equal(plan.target.id, inc2.id, "the last backup by default");
    assert.equal(plan.currentSeqno, 60);
    await assert.rejects(planRestore(ms, "nope"), /no backup nope: there are 20261203T120000Z-full, /);
  });

  it("a restore stops the others before the backup's node, restores there, makes the others take a full state transfer, then bootstraps", async () => {
    const log: string[] = [];
    const ms = members((_h, argv) => {
      if (script(argv) === "lading-mariadb-backup-volume") return { stdout: `galera ${UUID}:42\n` };
      if (isSql(argv)) return { stdout: status() };
      if (argv[1] === "inspect") return { stdout: "running healthy\n" };
      return undefined;
    }, log);
    const plan = { target: manifest({}), chain: [manifest({})] };
    const r = await restoreGalera(ms, plan, () => undefined, new Date("2026-12-03T13:00:00Z"));
    assert.deepEqual(r, { restoreId: "20261203T130000Z", bootstrapHost: "lab3" });
    const at = (re: RegExp): number => log.findIndex((l) => re.test(l));
    const lastAt = (re: RegExp): number => log.length - 1 - [...log].reverse().findIndex((l) => re.test(l));
    const restored = at(/lading-mariadb-restore-data/);
    assert.deepEqual(log.slice(0, restored).filter((l) => l.includes("docker stop")).map((l) => l.split(":")[0]), ["lab1", "lab2", "lab3"], "the backup's node stops last, then its data is restored");
    assert.ok(at(/^lab3: docker run .*--wsrep-new-cluster/) > lastAt(/lading-mariadb-forget-state/), "bootstrapped after the others forgot their state");
    const named = log.filter((l) => /lading-mariadb-(backup-volume|restore-data|forget-state)/.test(l)).map((l) => `${l.split(":")[0]} ${/lading-mariadb-[a-z-]+/.exec(l)![0]}`);
    assert.deepEqual(named, ["lab3 lading-mariadb-backup-volume", "lab3 lading-mariadb-restore-data", "lab1 lading-mariadb-forget-state", "lab2 lading-mariadb-forget-state"]);
    const restoreData = log.find((l) => l.includes("lading-mariadb-restore-data"))!;
    assert.match(restoreData, new RegExp(`20261203T130000Z ${UUID} 42$`));
  });
});
