// `lading genpwd`: fills passwords.yml with every secret the roles declare (like kolla-genpwd / kolla-mergepwd).
import { join } from "node:path";
import type { Command } from "commander";
import { loadRoles } from "../../model/roles.js";
import { builtinRolesDir } from "../../paths.js";
import type { DeclaredSecrets } from "../../secrets/declared-secrets.js";
import { existsSync } from "node:fs";
import { InputError } from "../../errors.js";
import { environmentDir, passwordsFileIn } from "../../model/project.js";
import { encryptedPathOf, isEncryptedPath, KEY_FILE_ENV, keyFileOf } from "../../secrets/encrypted.js";
import { generateEncryptedPasswordsFile, generatePasswordsFile, type GenpwdReport } from "../../secrets/passwords-file.js";
import { formatMode } from "../../secrets/write-private-file.js";

export function register(program: Command): void {
  program
    .command("genpwd")
    .description("generate every blank secret of passwords.yml; never changes a set one")
    .option("-d, --dir <dir>", "deployment directory", ".")
    .option("-p, --passwords <file>", "passwords file (default: <dir>/passwords.yml, or the environment's with -e)")
    .option("-e, --environment <name>", "fill environments/NAME/passwords.yml (each environment keeps its own secrets)")
    .option("--merge <old>", "upgrade: take the declared secrets' values from an older passwords file")
    .option("--encrypt", "create passwords.yml.age, encrypted with age, instead of a plain passwords.yml (an existing .age file is always kept encrypted)")
    .option("--secrets-key <file>", `age identity file of an encrypted passwords file (default: the file ${KEY_FILE_ENV} names)`)
    .action(async (opts: { dir: string; passwords?: string; merge?: string; environment?: string; encrypt?: boolean; secretsKey?: string }) => {
      const found = opts.passwords ?? passwordsFileIn(opts.environment !== undefined ? environmentDir(opts.dir, opts.environment) : opts.dir);
      const file = opts.encrypt && !isEncryptedPath(found) && !existsSync(found) ? encryptedPathOf(found) : found;
      if (opts.encrypt && !isEncryptedPath(file)) throw new InputError([{ file, message: "exists in plain text: lading secrets encrypt turns it into an encrypted one" }]);
      const declared = loadDeclaredSecrets(opts.dir);
      let report: GenpwdReport;
      if (isEncryptedPath(file)) {
        const key = keyFileOf(opts.secretsKey);
        if (!key) throw new InputError([{ file, message: `encrypted with age: give its key with --secrets-key FILE or ${KEY_FILE_ENV}=FILE` }]);
        report = await generateEncryptedPasswordsFile(file, declared, key, { merge: opts.merge });
      } else report = generatePasswordsFile(file, declared, { merge: opts.merge });
      for (const line of describeGenpwdReport(report, opts.merge)) process.stdout.write(`${line}\n`);
    });
}

/** Every secret the roles declare (built-in roles and the deployment's own roles/). */
export function loadDeclaredSecrets(dir = "."): DeclaredSecrets {
  return loadRoles([builtinRolesDir, join(dir, "roles")]).secrets;
}

/** What genpwd did, by names and counts only: never a value. */
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

