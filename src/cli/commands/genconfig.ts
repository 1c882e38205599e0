// `lading genconfig`: renders every host's config files and writes those that differ, restarting nothing;
// with --local DIR, into a local folder for review instead (touching no host).
import type { Command } from "commander";
import { renderProject } from "../../model/project.js";
import { applyAndRecap, planFor, withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";
import { projectFrom } from "../project-options.js";
import { writeLocalConfig } from "./genconfig-local.js";

export function register(program: Command): void {
  withEngineOptions(program.command("genconfig"))
    .description("write every host's config files where they differ, restarting nothing (--local DIR: render into DIR/<host>/... instead)")
    .option("--local <dir>", "write into a local folder instead of the hosts")
    .action(async (opts: EngineOptions & { local?: string }) => {
      if (opts.local) {
        const state = renderProject(await projectFrom(opts), { limit: opts.limit, services: opts.service });
        const n = writeLocalConfig(state, opts.local);
        process.stdout.write(`wrote ${n} files for ${state.hosts.size} hosts into ${opts.local}\n`);
        return;
      }
      await withEngine("genconfig", opts, async (ctx) => applyAndRecap(ctx, await planFor(ctx, "genconfig")));
    });
}
