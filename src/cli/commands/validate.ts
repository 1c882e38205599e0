// `lading validate`: schemas, rules, then a full render for every host. Opens no connection.
// Reports as text, JSON, or for CI systems (GitHub annotations, GitLab code quality, JUnit XML).
import type { Command } from "commander";
import { InputError, formatProblem, type Problem } from "../../errors.js";
import { deploymentFiles } from "../../model/deployment-files.js";
import { validateDeployment, type ValidatedEnvironment } from "../../model/validate-deployment.js";
import { EXIT } from "../exit-codes.js";
import { choiceOption } from "../option-parsers.js";
import { githubAnnotations, gitlabCodeQuality, junitXml, VALIDATE_FORMATS, type ValidateFormat } from "../problem-formats.js";
import { decryptedSecrets, withDeploymentOptions, type DeploymentOptions } from "../project-options.js";

export function register(program: Command): void {
  withDeploymentOptions(program.command("validate"))
    .description("check the deployment (schemas, rules, full render of every host) without touching any host; every environment unless -e names one")
    .option("--format <format>", `${VALIDATE_FORMATS.join(", ")} (github: workflow annotations; gitlab: code-quality report; junit: XML)`, choiceOption("--format", VALIDATE_FORMATS), "text")
    .action(async (opts: DeploymentOptions & { format: ValidateFormat }) => {
      const started = performance.now();
      let problems: Problem[] = [];
      let summary = { hosts: 0, services: 0, files: 0 };
      let checked: ValidatedEnvironment[] = [];
      try {
        checked = validateDeployment({ dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, rolesDirs: opts.roles, environment: opts.environment, decrypted: await decryptedSecrets(opts) });
        summary = {
          hosts: checked.reduce((n, c) => n + c.hosts, 0),
          services: Math.max(0, ...checked.map((c) => c.services)),
          files: checked.reduce((n, c) => n + c.files, 0),
        };
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
          // One line per environment when the folder has several (the folder's own files first).
          if (checked.length > 1 || checked[0]?.environment !== undefined) {
            for (const c of checked) process.stdout.write(`ok${c.environment === undefined ? " (the folder's own files)" : ` ${c.environment}`}: ${c.hosts} hosts, ${c.services} services, ${c.files} files rendered\n`);
            process.stdout.write(`ok: ${checked.length} environment(s) checked (${ms} ms)\n`);
          } else process.stdout.write(`ok: ${summary.hosts} hosts, ${summary.services} services, ${summary.files} files rendered (${ms} ms)\n`);
          break;
        case "json": {
          const environments = checked.map((c) => ({ environment: c.environment ?? null, hosts: c.hosts, services: c.services, files: c.files }));
          process.stdout.write(`${JSON.stringify(ok ? { ok, ...summary, ms, environments, problems: [] } : { ok, problems: problems.map((p) => ({ ...p, text: formatProblem(p) })) })}\n`);
          break;
        }
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
