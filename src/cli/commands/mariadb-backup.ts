// lading mariadb-backup (full or --incremental, --list) and lading mariadb-restore: the Galera backups of
// src/apply/galera-backup.ts, on the backup volume of the node that took each.
import type { Command } from "commander";
import { BACKUP_MOUNT, backupGalera, backupVolumeOf, listBackups, planRestore, restoreGalera, writesFlowing, type BackupManifest, type BackupMember } from "../../apply/galera-backup.js";
import { galeraMembersOf } from "../../apply/galera-recovery.js";
import { HostError, InputError } from "../../errors.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineContext, type EngineOptions } from "../engine-command.js";

/** The Galera members with their backup volumes; undefined (and a warning) when the hosts run no Galera service. */
function backupMembers(ctx: EngineContext, what: string): BackupMember[] | undefined {
  const members = galeraMembersOf(ctx.desired, ctx.session.transports, ctx.session.facts);
  if (!members.length) {
    ctx.reporter.emit({ type: "warning", message: `no Galera service (rollout gate galera) on the selected hosts: nothing to ${what}` });
    return undefined;
  }
  return members.map((m) => {
    const volume = backupVolumeOf(m.service);
    if (!volume) throw new InputError([{ file: `roles/${m.service.name}/role.yaml`, path: `containers.${m.service.containers[0]?.name ?? m.service.name}.volumes`, message: `declares no volume mounted at ${BACKUP_MOUNT}, where backups go` }]);
    return { ...m, volume };
  });
}

const describeBackup = (b: BackupManifest): string =>
  `${b.id}  ${b.kind.padEnd(11)} ${b.host}  ${b.time}  galera ${b.galera.uuid}:${b.galera.seqno}  lsn ${b.fromLsn}-${b.toLsn}  ${(b.bytes / 1048576).toFixed(1)} MiB  sha256 ${b.sha256.slice(0, 16)}${b.base ? `  on ${b.base}` : ""}`;

function recap(ctx: EngineContext, members: BackupMember[], ok: boolean, changed: string[]): void {
  ctx.reporter.emit({ type: "recap", hosts: members.map((m) => ({ host: m.host, ok: ok ? 1 : 0, changed: changed.includes(m.host) ? 1 : 0, failed: ok ? 0 : 1, unreachable: false, skipped: false })), ms: Date.now() - ctx.started, ok });
}

function halted(ctx: EngineContext, members: BackupMember[], err: unknown): number {
  if (!(err instanceof HostError)) throw err;
  ctx.reporter.emit({ type: "halt", service: members[0]?.service.name ?? "mariadb", host: err.host, reason: err.message, untouched: [] });
  recap(ctx, members, false, []);
  return EXIT.failed;
}

export function register(program: Command): void {
  withEngineOptions(program.command("mariadb-backup"))
    .description("back up the Galera cluster with mariabackup on one Synced node (desynced meanwhile, not HAProxy's active one), into its backup volume, with a manifest; --incremental builds on the last backup; --list shows them")
    .option("--incremental", "an incremental backup on top of the last one (on the node that holds it)")
    .option("--list", "list the backups on every node's backup volume and exit")
    .action((opts: EngineOptions & { incremental?: boolean; list?: boolean }) =>
      withEngine(opts.list ? "mariadb-backup --list" : "mariadb-backup", opts, async (ctx) => {
        const members = backupMembers(ctx, "back up");
        if (!members) return EXIT.failed;
        try {
          if (opts.list) {
            const all = await listBackups(members);
            for (const b of all) {
              if (opts.json) process.stdout.write(`${JSON.stringify({ type: "backup", ...b })}\n`);
              else process.stdout.write(`${describeBackup(b)}\n`);
            }
            if (!opts.json && !all.length) process.stdout.write("no backup on any node\n");
            return EXIT.ok;
          }
          const b = await backupGalera(members, { incremental: !!opts.incremental }, (e) => ctx.reporter.emit(e));
          ctx.reporter.emit({ type: "backup", ...b });
          ctx.reporter.emit({ type: "warning", message: `backup ${b.id} taken on ${b.host}: ${describeBackup(b)}` });
          recap(ctx, members, true, [b.host]);
          return EXIT.ok;
        } catch (err) {
          return halted(ctx, members, err);
        }
      }),
    );

  withEngineOptions(program.command("mariadb-restore"))
    .description("restore a backup (the last, or --from ID) onto the Galera cluster: prepare it, stop every node, restore onto the node that took it, bootstrap from it, the others join by SST; shows what it will do and lose, acts only with --yes")
    .option("--from <id>", "the backup to restore (lading mariadb-backup --list); default: the last one")
    .option("--yes", "do it (without: show what it would do and lose, and exit 2)")
    .option("--force", "restore even while transactions are being committed (they are lost)")
    .action((opts: EngineOptions & { from?: string; yes?: boolean; force?: boolean }) =>
      withEngine(opts.yes ? "mariadb-restore" : "mariadb-restore --dry-run", opts, async (ctx) => {
        const members = backupMembers(ctx, "restore");
        if (!members) return EXIT.failed;
        try {
          const plan = await planRestore(members, opts.from);
          const lost = plan.currentSeqno !== undefined ? plan.currentSeqno - plan.target.galera.seqno : undefined;
          const what = `restore ${plan.chain.map((b) => b.id).join(" + ")} (taken on ${plan.target.host} at ${plan.target.time}, galera seqno ${plan.target.galera.seqno}): every node stops; ${
            lost === undefined ? "the cluster's position now is unknown" : lost > 0 ? `the ${lost} transaction(s) committed after the backup are lost` : "nothing was committed after the backup"
          }; the data replaced on ${plan.target.host} is kept in its backup volume`;
          ctx.reporter.emit({ type: "warning", message: what });
          if (!opts.yes) return EXIT.changes;
          if (!opts.force && (await writesFlowing(members))) {
            throw new HostError(members.map((m) => m.host).join(","), "transactions are being committed now: stop the writers first (or --force, and they are lost); nothing was changed");
          }
          const r = await restoreGalera(members, plan, (e) => ctx.reporter.emit(e));
          ctx.reporter.emit({ type: "warning", message: `restored ${plan.target.id}: bootstrapped from ${r.bootstrapHost}, ${members.length} members Synced; the replaced data is in ${members.find((m) => m.host === r.bootstrapHost)!.volume}:/pre-restore-${r.restoreId}` });
          recap(ctx, members, true, members.map((m) => m.host));
          return EXIT.ok;
        } catch (err) {
          return halted(ctx, members, err);
        }
      }),
    );
}
