// lock status: who holds the deploy lock of each host, since when, running what, and whether it looks stale.
import type { Command } from "commander";
import { lockFileOf, lockStatus } from "../../lifecycle/lock.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  const lock = program.command("lock").description("the deploy lock that keeps two runs off the same hosts");
  withEngineOptions(lock.command("status"))
    .description("show who holds the deploy lock on each host; exit 2 when any host is locked")
    .action((opts: EngineOptions) =>
      withEngine("lock status", opts, async (ctx) => {
        const files = new Map([...ctx.desired.hosts.values()].map((h) => [h.name, lockFileOf(h.stateFile)]));
        const status = await lockStatus(ctx.session.transports, files);
        let locked = false;
        for (const host of [...status.keys()].sort()) {
          const held = status.get(host);
          if (held) locked = true;
          if (opts.json) process.stdout.write(`${JSON.stringify({ type: "lock", host, locked: !!held, lock: held?.lock, stale: held?.verdict.stale })}\n`);
          else process.stdout.write(`${held ? held.verdict.message : `${host}: free`}\n`);
        }
        return locked ? EXIT.changes : EXIT.ok;
      }),
    );
}
