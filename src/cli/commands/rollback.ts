// rollback: puts a recorded revision of one service back (by default the one before what runs now) through
// the normal plan and apply, so its rollout policy (batches, gates) applies as for any change
// (src/lifecycle/rollback.ts); --dry-run prints that plan.
import type { Command } from "commander";
import { planRollback, runRollback } from "../../lifecycle/rollback.js";
import { EXIT } from "../exit-codes.js";
import { printPlan, withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";
import { InputError } from "../../errors.js";
import { batchOption, countOption } from "../option-parsers.js";

interface RollbackOptions extends EngineOptions {
  to?: number;
  dryRun?: boolean;
}

export function register(program: Command): void {
  withEngineOptions(program.command("rollback"))
    .description("put back the previous revision of a service (or --to REV) on its hosts, through its rollout policy")
    .option("--to <rev>", "the revision to go back to (lading history lists them)", countOption("--to"))
    .option("--serial <n>", "batch size this run (number or percentage)", batchOption("--serial"))
    .option("--dry-run", "show the plan of the rollback and change nothing")
    .action((opts: RollbackOptions) => {
      if (opts.service?.length !== 1) throw new InputError([{ file: "--service", message: "rollback needs exactly one --service" }]);
      const service = opts.service[0]!;
      if (!opts.dryRun) return withEngine("rollback", opts, (ctx) => runRollback(ctx, service, opts.to));
      return withEngine("rollback --dry-run", opts, async (ctx) => {
        const planned = await planRollback(ctx, service, opts.to);
        if (!planned) return EXIT.failed;
        printPlan(ctx, planned.plan, { diffs: true });
        return EXIT.ok;
      });
    });
}
