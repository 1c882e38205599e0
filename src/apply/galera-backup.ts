// Galera backups with mariabackup and their restore. A backup is taken on one Synced node, desynced for the
// while (flow control does not hold the cluster back), never the node HAProxy sends the writes to when there
// is another (active/backup: the group's first member); it is streamed into the node's backup volume, unpacked
// there and described by a manifest (time, node, Galera position, LSNs, size, checksum). An incremental backup
// starts at the LSN where the last backup of the same node ended. A restore prepares the chain (the full, then
// each incremental), stops every node, puts the data into the backup node's volume (the data it replaces kept
// aside), bootstraps the cluster from it and lets the others join by a full state transfer, gated as a rollout.
import * as docker from "../docker/commands.js";
import { HostError } from "../errors.js";
import { hostScript } from "../host-scripts/index.js";
import type { Emit } from "./events.js";
import { mustExec } from "./apply.js";
import { bootstrapAndJoin, stepRunner, type GaleraMember } from "./galera-recovery.js";
import { readGaleraStatus } from "./gates.js";
import type { DesiredService } from "../render/desired.js";

/** Where the MariaDB container mounts its backup volume (role.yaml: containers.mariadb.volumes). */
export const BACKUP_MOUNT = "/backup";

/** The named volume the service's container mounts at /backup; undefined when it declares none. */
export function backupVolumeOf(service: DesiredService): string | undefined {
  return service.containers[0]?.volumes.find((v) => v.kind === "volume" && v.target === BACKUP_MOUNT)?.source;
}

export interface BackupManifest {
  id: string;
  kind: "full" | "incremental";
  /** The backup this one builds on (incremental), and the full backup its chain starts from. */
  base?: string;
  full: string;
  host: string;
  /** ISO time the backup began. */
  time: string;
  /** The Galera position it holds (cluster uuid and seqno). */
  galera: { uuid: string; seqno: number };
  fromLsn: number;
  toLsn: number;
  bytes: number;
  sha256: string;
}

export interface BackupMember extends GaleraMember {
  /** The backup volume on this host. */
  volume: string;
}

const bash = (name: "mariadb-backup.bash" | "mariadb-backup-volume.bash" | "mariadb-restore-data.bash", args: string[]): string[] => ["bash", "-c", hostScript(name), `lading-${name.replace(/\.bash$/, "")}`, ...args];
const imageOf = (m: GaleraMember): string => m.service.containers[0]!.image;
const containerOf = (m: GaleraMember): string => m.service.containers[0]!.name;

/** Parses the backup script's output (checkpoint/galera/size/sha256 lines). */
export function parseBackupOutput(out: string): { fromLsn: number; toLsn: number; galera: { uuid: string; seqno: number }; bytes: number; sha256: string } {
  const line = (prefix: string): string | undefined => new RegExp(`^${prefix} (.*)$`, "m").exec(out)?.[1]?.trim();
  const lsn = (name: string): number => Number(new RegExp(`^checkpoint ${name} = (\\d+)`, "m").exec(out)?.[1] ?? NaN);
  const galera = /^([0-9a-f-]{36}):(-?\d+)/.exec(line("galera") ?? "");
  const parsed = { fromLsn: lsn("from_lsn"), toLsn: lsn("to_lsn"), galera: { uuid: galera?.[1] ?? "", seqno: Number(galera?.[2] ?? NaN) }, bytes: Number(line("size")), sha256: line("sha256") ?? "" };
  if (!Number.isFinite(parsed.toLsn) || !galera || !/^[0-9a-f]{64}$/.test(parsed.sha256)) throw new Error(`unexpected output of the backup script: ${out.slice(0, 300)}`);
  return parsed;
}

/** Every backup manifest on the members' backup volumes, oldest first. */
export async function listBackups(members: BackupMember[]): Promise<BackupManifest[]> {
  const all = await Promise.all(
    members.map(async (m) => {
      const r = await m.transport.exec(bash("mariadb-backup-volume.bash", [imageOf(m), m.volume, "list"]), { become: true, timeoutMs: 120_000 });
      if (r.code !== 0) throw new HostError(m.host, `listing the backups failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
      return r.stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as BackupManifest);
    }),
  );
  return all.flat().sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

/** The chain a restore of `target` applies: its full backup, then each incremental up to it. */
export function chainOf(target: BackupManifest, all: BackupManifest[]): BackupManifest[] {
  const chain = [target];
  for (let b = target; b.base; ) {
    const base = all.find((x) => x.id === b.base && x.host === b.host);
    if (!base) throw new Error(`backup ${b.id} builds on ${b.base}, which is not on ${b.host} any more`);
    chain.unshift(base);
    b = base;
  }
  return chain;
}

/** A backup id: its time (to the second, UTC) and kind, e.g. 20261203T131500Z-full. */
export function backupId(time: Date, kind: BackupManifest["kind"]): string {
  return `${time.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${kind}`;
}

/**
 * The node to back up: a Synced member of a Primary component; not the first member (HAProxy's active server)
 * when another is Synced. An incremental must be taken where the last backup was.
 */
export async function chooseBackupNode(members: BackupMember[], incrementalOn?: string): Promise<BackupMember> {
  const synced: BackupMember[] = [];
  const states: string[] = [];
  // Every node asked at once; the answers are taken in inventory order.
  const answers = await Promise.all(members.map((m) => readGaleraStatus(m.transport, containerOf(m))));
  for (const [i, m] of members.entries()) {
    const s = answers[i]!;
    states.push(`${m.host}: ${"error" in s ? s.error : `${s.state}, ${s.clusterStatus}`}`);
    if (!("error" in s) && s.state === "Synced" && s.clusterStatus === "Primary") synced.push(m);
  }
  if (incrementalOn) {
    const m = synced.find((x) => x.host === incrementalOn);
    if (!m) throw new HostError(incrementalOn, `the last backup is on ${incrementalOn}, which is not Synced in a Primary component (${states.join("; ")}): an incremental builds on it there; take a full backup instead`);
    return m;
  }
  const pick = synced.length > 1 ? synced[synced.length - 1] : synced[0];
  if (!pick) throw new HostError(members.map((m) => m.host).join(","), `no node is Synced in a Primary component (${states.join("; ")}): nothing was backed up`);
  return pick;
}

async function sql(m: GaleraMember, statement: string): Promise<string> {
  return mustExec(m.transport, docker.exec(containerOf(m), ["mysql", "--batch", "--skip-column-names"], { interactive: true }), `${statement}\n`);
}

/** Takes one backup (full, or incremental on the last one) and returns its manifest. */
export async function backupGalera(members: BackupMember[], opts: { incremental: boolean; now?: Date }, emit: Emit): Promise<BackupManifest> {
  const step = stepRunner(emit);
  const svc = members[0]!.service.name;
  emit({ type: "phase", name: `${svc} backup` });
  const existing = opts.incremental ? await listBackups(members) : [];
  const last = existing[existing.length - 1];
  if (opts.incremental && !last) throw new HostError(members.map((m) => m.host).join(","), "no backup to build an incremental on: take a full one first (lading mariadb-backup)");
  const node = await chooseBackupNode(members, opts.incremental ? last!.host : undefined);
  const time = opts.now ?? new Date();
  const kind: BackupManifest["kind"] = opts.incremental ? "incremental" : "full";
  const id = backupId(time, kind);
  if (existing.some((b) => b.id === id)) throw new HostError(node.host, `a backup ${id} exists already: wait a second`);
  // Desynced, the donor does not hold the cluster back by flow control while mariabackup copies and locks.
  await step(node, "desync", "wsrep_desync=ON while the backup runs", () => sql(node, "SET GLOBAL wsrep_desync=ON;"));
  let out: string;
  try {
    out = await step(node, "backup", `${kind} backup ${id} into volume ${node.volume}${last && opts.incremental ? ` (on ${last.id}, from LSN ${last.toLsn})` : ""}`, () =>
      mustExec(node.transport, bash("mariadb-backup.bash", [containerOf(node), id, opts.incremental ? last!.id : ""])),
    );
  } finally {
    await step(node, "resync", "wsrep_desync=OFF", () => sql(node, "SET GLOBAL wsrep_desync=OFF;"));
  }
  const parsed = parseBackupOutput(out);
  const manifest: BackupManifest = { id, kind, ...(opts.incremental ? { base: last!.id } : {}), full: opts.incremental ? last!.full : id, host: node.host, time: time.toISOString(), ...parsed };
  await mustExec(node.transport, bash("mariadb-backup-volume.bash", [imageOf(node), node.volume, "write-manifest", id]), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export interface RestorePlan {
  target: BackupManifest;
  chain: BackupManifest[];
  /** The cluster's last committed seqno now, when a node answers (what the restore loses is after the backup's). */
  currentSeqno?: number;
}

/** What a restore will do and lose, from the backups and the live cluster; refuses an unknown --from. */
export async function planRestore(members: BackupMember[], from?: string): Promise<RestorePlan> {
  const all = await listBackups(members);
  if (!all.length) throw new HostError(members.map((m) => m.host).join(","), "no backup on any node's backup volume: nothing to restore");
  const target = from ? all.find((b) => b.id === from) : all[all.length - 1];
  if (!target) throw new HostError(members.map((m) => m.host).join(","), `no backup ${from}: there are ${all.map((b) => b.id).join(", ")}`);
  const chain = chainOf(target, all);
  let currentSeqno: number | undefined;
  for (const m of members) {
    const n = await lastCommitted(m);
    if (n !== undefined) currentSeqno = Math.max(currentSeqno ?? 0, n);
  }
  return { target, chain, currentSeqno };
}

/** A node's wsrep_last_committed; undefined when mysqld does not answer. */
async function lastCommitted(m: GaleraMember): Promise<number | undefined> {
  const r = await m.transport.exec(docker.exec(containerOf(m), ["mysql", "--batch", "--skip-column-names"], { interactive: true }), { become: true, stdin: "SHOW GLOBAL STATUS LIKE 'wsrep_last_committed';\n" });
  const n = Number(/wsrep_last_committed\t(\d+)/.exec(r.stdout)?.[1]);
  return r.code === 0 && Number.isFinite(n) ? n : undefined;
}

/** Whether the cluster commits transactions now: its last committed seqno moves within `ms`. */
export async function writesFlowing(members: BackupMember[], ms = 3000): Promise<boolean> {
  const read = async (): Promise<number | undefined> => {
    for (const m of members) {
      const n = await lastCommitted(m);
      if (n !== undefined) return n;
    }
    return undefined;
  };
  const a = await read();
  await new Promise((r) => setTimeout(r, ms));
  const b = await read();
  return a !== undefined && b !== undefined && b > a;
}

/** The restore itself (see the file's head). Returns the id of the restore (its kept-aside data folder's suffix). */
export async function restoreGalera(members: BackupMember[], plan: RestorePlan, emit: Emit, now = new Date()): Promise<{ restoreId: string; bootstrapHost: string }> {
  const step = stepRunner(emit);
  const svc = members[0]!.service.name;
  const node = members.find((m) => m.host === plan.target.host);
  if (!node) throw new HostError(plan.target.host, `the backup ${plan.target.id} is on ${plan.target.host}, which is not among the selected hosts`);
  const restoreId = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  emit({ type: "phase", name: `${svc} restore: prepare ${plan.chain.map((b) => b.id).join(" + ")}` });
  const prepared = await step(node, "prepare", `mariabackup --prepare of ${plan.chain.length} backup(s), on a copy`, () =>
    mustExec(node.transport, bash("mariadb-backup-volume.bash", [imageOf(node), node.volume, "prepare", ...plan.chain.map((b) => b.id)])),
  );
  const pos = /^galera ([0-9a-f-]{36}):(-?\d+)/m.exec(prepared);
  if (!pos) throw new HostError(node.host, `the prepared backup has no Galera position (xtrabackup_galera_info): ${prepared.slice(0, 200)}`);
  // Every node stops, the backup's node last (it serves until the others are down).
  emit({ type: "phase", name: `${svc} restore: stop every node` });
  const others = members.filter((m) => m !== node);
  for (const m of [...others, node]) {
    if (m.facts?.containers.get(containerOf(m))?.running !== false) {
      await step(m, "stop", "the whole cluster stops for the restore", () => m.transport.exec(docker.stop(containerOf(m), m.service.containers[0]!.stopTimeout), { become: true }));
    }
  }
  emit({ type: "phase", name: `${svc} restore: data` });
  await step(node, "restore-data", `the prepared backup into the data volume (the data it replaces kept in ${node.volume}:/pre-restore-${restoreId}); seqno ${pos[2]}, safe to bootstrap`, () =>
    mustExec(node.transport, bash("mariadb-restore-data.bash", [containerOf(node), imageOf(node), restoreId, pos[1]!, pos[2]!])),
  );
  for (const m of others) {
    await step(m, "forget-state", "joins by a full state transfer from the restored node", () =>
      mustExec(m.transport, ["sh", "-c", hostScript("mariadb-forget-state.sh"), "lading-mariadb-forget-state", containerOf(m), imageOf(m)]),
    );
  }
  await bootstrapAndJoin(node, others, `${svc} restore`, step, emit);
  return { restoreId, bootstrapHost: node.host };
}
