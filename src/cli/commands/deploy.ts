// The commands that plan and apply: plan, deploy, reconfigure, deploy-containers, pull.
import type { Command } from "commander";
import { planOutcome, runApply, type ApplyCommand } from "../../run/run.js";
import { batchOption } from "../option-parsers.js";
import { applyAndRecap, planFor, printPlan, withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("plan"))
    .description("show what deploy would change on each host, with reasons and diffs; exit 0 no changes, 2 changes")
    .option("--no-diff", "do not print file diffs")
    .option("-v, --verbose", "also list what is up to date")
    .action((opts: EngineOptions & { diff: boolean; verbose?: boolean }) =>
      withEngine("plan", opts, async (ctx) => {
        const plan = await planFor(ctx, "deploy");
        printPlan(ctx, plan, { diffs: opts.diff, verbose: opts.verbose });
        return planOutcome(ctx, plan);
      }),
    );

  const applying: [string, string, ApplyCommand][] = [
    ["deploy", "render, plan and apply: write changed files, pull images, create clusters, (re)start what changed", "deploy"],
    ["reconfigure", "apply configuration changes only where they differ; restarts roll as each service declares", "reconfigure"],
    ["deploy-containers", "(re)create and restart containers from what is on the hosts, writing no config files", "deploy-containers"],
  ];
  for (const [name, description, mode] of applying) {
    withEngineOptions(program.command(name))
      .description(description)
      .option("--serial <n>", "batch size for every service this run (number or percentage)", batchOption("--serial"))
      .action((opts: EngineOptions) =>
        withEngine(name, opts, (ctx) => runApply(ctx, mode)),
      );
  }

  withEngineOptions(program.command("pull"))
    .description("pull every service image on every host that lacks it, changing nothing else")
    .action((opts: EngineOptions) =>
      withEngine("pull", opts, async (ctx) => {
        const plan = await planFor(ctx, "deploy");
        for (const hp of plan.hosts.values()) hp.services = [];
        return applyAndRecap(ctx, plan);
      }),
    );
}
