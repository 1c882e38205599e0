// `lading validate`: schemas, rules, then a full render for every host. Opens no connection.
// Reports as text, JSON, or for CI systems (GitHub annotations, GitLab code quality, JUnit XML).
import type { Command } from "commander";
import { InputError, formatProblem, type Problem } from "../../errors.js";
import { deploymentFiles } from "../../model/deployment-files.js";
import { renderProject } from "../../model/project.js";
import { EXIT } from "../exit-codes.js";
import { choiceOption } from "../option-parsers.js";
import { githubAnnotations, gitlabCodeQuality, junitXml, VALIDATE_FORMATS, type ValidateFormat } from "../problem-formats.js";
import { projectFrom, withDeploymentOptions, type DeploymentOptions } from "../project-options.js";

export function register(program: Command): void {
  withDeploymentOptions(program.command("validate"))
    .description("check the deployment (schemas, rules, full render of every host) without touching any host")
    .option("--format <format>", `${VALIDATE_FORMATS.join(", ")} (github: workflow annotations; gitlab: code-quality report; junit: XML)`, choiceOption("--format", VALIDATE_FORMATS), "text")
    .action((opts: DeploymentOptions & { format: ValidateFormat }) => {
      const started = performance.now();
      let problems: Problem[] = [];
      let summary = { hosts: 0, services: 0, files: 0 };
      try {
        const project = projectFrom(opts);
        const state = renderProject(project);
        let files = 0;
        for (const h of state.hosts.values()) for (const s of h.services) files += s.files.length;
        summary = { hosts: state.hosts.size, services: project.enabled.length, files };
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        // Text: the CLI prints the problems as for every command.
        if (opts.format === "text") throw err;
        problems = err.problems;
      }
      const ms = Math.round(performance.now() - started);
      const ok = problems.length === 0;
      switch (opts.format) {
        case "text":
          process.stdout.write(`ok: ${summary.hosts} hosts, ${summary.services} services, ${summary.files} files rendered (${ms} ms)\n`);
          break;
        case "json":
          process.stdout.write(`${JSON.stringify(ok ? { ok, ...summary, ms, problems: [] } : { ok, problems: problems.map((p) => ({ ...p, text: formatProblem(p) })) })}\n`);
          break;
        case "github":
          process.stdout.write(ok ? `ok: ${summary.hosts} hosts, ${summary.services} services, ${summary.files} files rendered (${ms} ms)\n` : githubAnnotations(problems));
          break;
        case "gitlab":
          process.stdout.write(gitlabCodeQuality(problems));
          break;
        case "junit":
          process.stdout.write(junitXml(deploymentFiles({ dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, rolesDirs: opts.roles }), problems, ms));
          break;
      }
      if (!ok) {
        if (opts.format !== "json") process.stderr.write(`${problems.length} problem${problems.length === 1 ? "" : "s"} found; nothing was changed on any host.\n`);
        process.exitCode = EXIT.input;
      }
    });
}
