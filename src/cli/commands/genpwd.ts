// `lading genpwd`: fills passwords.yml with every secret the roles declare (like kolla-genpwd / kolla-mergepwd).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { InputError, type Problem } from "../../errors.js";
import { problemsFrom, validatorFor } from "../../model/schema-check.js";
import { readYaml } from "../../model/source.js";
import { builtinRolesDir } from "../../paths.js";
import type { Secret } from "../../generated/role.js";
import type { DeclaredSecrets } from "../../secrets/declared-secrets.js";
import { generatePasswordsFile, type GenpwdReport } from "../../secrets/passwords-file.js";
import { formatMode } from "../../secrets/write-private-file.js";

export function register(program: Command): void {
  program
    .command("genpwd")
    .description("generate every blank secret of passwords.yml; never changes a set one")
    .option("-d, --dir <dir>", "deployment directory", ".")
    .option("-p, --passwords <file>", "passwords file (default: <dir>/passwords.yml)")
    .option("--merge <old>", "upgrade: take the declared secrets' values from an older passwords file")
    .action((opts: { dir: string; passwords?: string; merge?: string }) => {
      const file = opts.passwords ?? join(opts.dir, "passwords.yml");
      const report = generatePasswordsFile(file, loadDeclaredSecrets(), { merge: opts.merge });
      for (const line of describeGenpwdReport(report, opts.merge)) process.stdout.write(`${line}\n`);
    });
}

/**
 * The secrets declared by the built-in roles, straight from `roles/<name>/role.yaml`.
 * Stand-in until the role loader exists: it replaces this one function.
 */
export function loadDeclaredSecrets(rolesDir: string = builtinRolesDir): DeclaredSecrets {
  const declared: DeclaredSecrets = new Map();
  const problems: Problem[] = [];
  const validate = validatorFor("role.schema.json#/$defs/secret");
  const roleNames = existsSync(rolesDir) ? readdirSync(rolesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
  for (const role of roleNames) {
    const file = join(rolesDir, role, "role.yaml");
    if (!existsSync(file)) continue;
    const source = readYaml(file);
    const secrets = (source.value() as { secrets?: Record<string, unknown> } | null)?.secrets ?? {};
    for (const [name, decl] of Object.entries(secrets)) {
      const found = problemsFrom(validate, decl, source, ["secrets", name]);
      if (found.length) {
        problems.push(...found);
        continue;
      }
      const secret = decl as Secret;
      const earlier = declared.get(name);
      if (earlier && earlier.kind !== secret.kind) {
        problems.push(source.problem(["secrets", name, "kind"], `role ${earlier.role} declares "${name}" as ${earlier.kind}; one secret has one kind`));
      } else if (!earlier) {
        declared.set(name, { ...secret, role });
      }
    }
  }
  if (problems.length) throw new InputError(problems);
  return declared;
}

/** What genpwd tells the operator: counts and names, never a value. */
export function describeGenpwdReport(report: GenpwdReport, merged?: string): string[] {
  const counts = [`generated ${report.generated.length}`, `kept ${report.kept.length}`];
  if (merged !== undefined) counts.push(`taken from ${merged} ${report.merged.length + report.replaced.length}`);
  const lines = [`${report.created ? "created " : ""}${report.file}: ${counts.join(", ")}${report.written ? "" : " (unchanged)"}`];
  if (report.replaced.length) lines.push(`replaced by the values of ${merged}: ${report.replaced.join(", ")}`);
  if (report.undeclaredInOld.length) lines.push(`not declared by any role, so not taken from ${merged}: ${report.undeclaredInOld.join(", ")}`);
  if (report.undeclaredInFile.length) lines.push(`not declared by any role, left as they are: ${report.undeclaredInFile.join(", ")}`);
  if (report.tightenedFrom !== undefined) lines.push(`${report.file} was mode ${formatMode(report.tightenedFrom)}, readable by others: now 0600`);
  return lines;
}

