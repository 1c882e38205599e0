// upgrade: a new release of images (tags or digests, set in globals.yml or with --set) for one service or
// all. Images are pulled and verified on every target host before any change; version gates, phases,
// hooks and the offline strategy come from each role's `upgrade:`; every host records a revision after.
import type { Command } from "commander";
import { runUpgrade, upgradeRender, type UpgradeOptions } from "../../lifecycle/upgrade-run.js";
import { batchOption } from "../option-parsers.js";
import { withEngine, withEngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("upgrade"))
    .description("roll out a new release of images (set in globals.yml or with --set): pull everywhere first, version gates, phases, hooks, rolling or offline")
    .option("--set <key=value...>", "parameter values for this release (e.g. webapp_tag=1.1), above every other source")
    .option("--serial <n>", "batch size for every service this run (number or percentage)", batchOption("--serial"))
    .action((opts: UpgradeOptions) =>
      withEngine("upgrade", opts, (ctx) => runUpgrade(ctx, opts), upgradeRender(opts)),
    );
}

