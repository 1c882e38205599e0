// `lading validate`: schemas, rules, then a full render for every host. Opens no connection.
import type { Command } from "commander";
import { InputError, formatProblem } from "../../errors.js";
import { renderProject } from "../../model/project.js";
import { EXIT } from "../exit-codes.js";
import { projectFrom, withDeploymentOptions, type DeploymentOptions } from "../project-options.js";

export function register(program: Command): void {
  withDeploymentOptions(program.command("validate"))
    .description("check the deployment (schemas, rules, full render of every host) without touching any host")
    .option("--format <format>", "text or json", "text")
    .action((opts: DeploymentOptions & { format: string }) => {
      const started = performance.now();
      try {
        const project = projectFrom(opts);
        const state = renderProject(project);
        let files = 0;
        for (const h of state.hosts.values()) for (const s of h.services) files += s.files.length;
        const summary = { ok: true, hosts: state.hosts.size, services: project.enabled.length, files, ms: Math.round(performance.now() - started) };
        if (opts.format === "json") process.stdout.write(`${JSON.stringify({ ...summary, problems: [] })}\n`);
        else process.stdout.write(`ok: ${summary.hosts} hosts, ${summary.services} services, ${files} files rendered (${summary.ms} ms)\n`);
      } catch (err) {
        if (err instanceof InputError && opts.format === "json") {
          process.stdout.write(`${JSON.stringify({ ok: false, problems: err.problems.map((p) => ({ ...p, text: formatProblem(p) })) })}\n`);
          process.exitCode = EXIT.input;
          return;
        }
        throw err;
      }
    });
}
