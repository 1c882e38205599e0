// lock status: who holds the deploy lock of each host, since when, running what, and whether it looks stale.
// The facts command reads the lock file already: this costs one round trip per host, like any read.
import type { Command } from "commander";
import { lockStatus } from "../../ops/lock-status.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  const lock = program.command("lock").description("the deploy lock that keeps two runs off the same hosts");
  withEngineOptions(lock.command("status"))
    .description("show who holds the deploy lock on each host; exit 2 when any host is locked")
    .action((opts: EngineOptions) =>
      withEngine("lock status", opts, async (ctx) => {
        const rows = lockStatus(ctx);
        for (const r of rows) {
          if (opts.json) process.stdout.write(`${JSON.stringify({ type: "lock", host: r.host, locked: r.locked, lock: r.lock, stale: r.stale })}\n`);
          else process.stdout.write(`${r.message}\n`);
        }
        return rows.some((r) => r.locked) ? EXIT.changes : EXIT.ok;
      }),
    );
}
