// The commands that plan and apply: plan, deploy, reconfigure, deploy-containers, pull.
import type { Command } from "commander";
import { hasChanges } from "../../plan/plan.js";
import { EXIT } from "../exit-codes.js";
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
        if (ctx.session.unreachable.size) return EXIT.failed;
        return hasChanges(plan) ? EXIT.changes : EXIT.ok;
      }),
    );

  const applying: [string, string, "deploy" | "reconfigure" | "deploy-containers"][] = [
    ["deploy", "render, plan and apply: write changed files, pull images, create clusters, (re)start what changed", "deploy"],
    ["reconfigure", "apply configuration changes only where they differ; restarts roll as each service declares", "reconfigure"],
    ["deploy-containers", "(re)create and restart containers from what is on the hosts, writing no config files", "deploy-containers"],
  ];
  for (const [name, description, mode] of applying) {
    withEngineOptions(program.command(name))
      .description(description)
      .option("--serial <n>", "batch size for every service this run (number or percentage)", batchOption("--serial"))
      .action((opts: EngineOptions) =>
        withEngine(name, opts, async (ctx) => {
          const plan = await planFor(ctx, mode);
          if (mode === "reconfigure" && plan.bootstrap.size) {
            ctx.reporter.emit({ type: "warning", message: `${[...plan.bootstrap.keys()].join(", ")} has no running cluster yet: run lading deploy first; nothing was changed` });
            return EXIT.failed;
          }
          return applyAndRecap(ctx, plan);
        }),
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
