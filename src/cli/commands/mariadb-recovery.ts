// lading mariadb-recovery: bring a Galera cluster back after a full outage, from its most recent node.
import type { Command } from "commander";
import { galeraMembersOf, recoverGalera } from "../../apply/galera-recovery.js";
import { HostError } from "../../errors.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("mariadb-recovery"))
    .description("after a full Galera outage: bootstrap from the node with the most recent state (grastate seqno or --wsrep-recover), then join the others one by one")
    .action((opts: EngineOptions) =>
      withEngine("mariadb-recovery", opts, async (ctx) => {
        const members = galeraMembersOf(ctx.desired, ctx.session.transports, ctx.session.facts);
        if (!members.length) {
          ctx.reporter.emit({ type: "warning", message: "no Galera service (rollout gate galera) on the selected hosts: nothing to recover" });
          return EXIT.failed;
        }
        try {
          const res = await recoverGalera(members, (e) => ctx.reporter.emit(e));
          ctx.reporter.emit({ type: "warning", message: `${members[0]!.service.name} recovered: bootstrapped from ${res.bootstrapHost}, ${members.length} members Synced` });
          ctx.reporter.emit({ type: "recap", hosts: members.map((m) => ({ host: m.host, ok: 1, changed: 1, failed: 0, unreachable: false, skipped: false })), ms: Date.now() - ctx.started, ok: true });
          return EXIT.ok;
        } catch (err) {
          if (!(err instanceof HostError)) throw err;
          ctx.reporter.emit({ type: "halt", service: members[0]!.service.name, host: err instanceof HostError ? err.host : "-", reason: err.message, untouched: [] });
          ctx.reporter.emit({ type: "recap", hosts: members.map((m) => ({ host: m.host, ok: 0, changed: 0, failed: 1, unreachable: false, skipped: false })), ms: Date.now() - ctx.started, ok: false });
          return EXIT.failed;
        }
      }),
    );
}
