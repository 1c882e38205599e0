// `lading validate`: schemas, rules, then a full render for every host. Opens no connection.
import type { Command } from "commander";
import { InputError, formatProblem } from "../../errors.js";
import { validateDeployment } from "../../model/validate-deployment.js";
import { EXIT } from "../exit-codes.js";
import { withDeploymentOptions, type DeploymentOptions } from "../project-options.js";

export function register(program: Command): void {
  withDeploymentOptions(program.command("validate"))
    .description("check the deployment (schemas, rules, full render of every host) without touching any host; every environment unless -e names one")
    .option("--format <format>", "text or json", "text")
    .action((opts: DeploymentOptions & { format: string }) => {
      const started = performance.now();
      try {
        const checked = validateDeployment({ dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, rolesDirs: opts.roles, environment: opts.environment });
        const ms = Math.round(performance.now() - started);
        const sum = (k: "hosts" | "services" | "files"): number => checked.reduce((n, c) => n + c[k], 0);
        if (opts.format === "json") {
          const environments = checked.map((c) => ({ environment: c.environment ?? null, hosts: c.hosts, services: c.services, files: c.files }));
          process.stdout.write(`${JSON.stringify({ ok: true, hosts: sum("hosts"), services: Math.max(0, ...checked.map((c) => c.services)), files: sum("files"), ms, environments, problems: [] })}\n`);
        } else if (checked.length === 1 && checked[0]!.environment === undefined) {
          const c = checked[0]!;
          process.stdout.write(`ok: ${c.hosts} hosts, ${c.services} services, ${c.files} files rendered (${ms} ms)\n`);
        } else {
          for (const c of checked) process.stdout.write(`ok${c.environment === undefined ? " (the folder's own files)" : ` ${c.environment}`}: ${c.hosts} hosts, ${c.services} services, ${c.files} files rendered\n`);
          process.stdout.write(`ok: ${checked.length} environment(s) checked (${ms} ms)\n`);
        }
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
