// `lading secrets`: passwords.yml encrypted at rest with age (keygen, encrypt). Decryption happens in memory
// wherever a command reads the deployment (--secrets-key FILE or LADING_AGE_KEY_FILE).
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { environmentDir, passwordsFileIn } from "../../model/project.js";
import { isEncryptedPath, KEY_FILE_ENV, keyFileOf, newIdentity, RECIPIENTS_FILE } from "../../secrets/encrypted.js";
import { encryptPasswordsFile } from "../../secrets/passwords-file.js";
import { writePrivateFileAtomically } from "../../secrets/write-private-file.js";

export function register(program: Command): void {
  const secrets = program.command("secrets").description("passwords.yml encrypted at rest with age: make a key, encrypt the file");
  secrets
    .command("keygen")
    .description("write a new age identity file (mode 0600) and print its public key (the recipient)")
    .requiredOption("--out <file>", "where to write the key (never inside the deployment folder you commit)")
    .action(async (opts: { out: string }) => {
      if (existsSync(opts.out)) throw new InputError([{ file: opts.out, message: "already exists: lading never overwrites a key" }]);
      const { text, recipient } = await newIdentity();
      mkdirSync(dirname(opts.out), { recursive: true, mode: 0o700 });
      writePrivateFileAtomically(opts.out, text);
      process.stdout.write(`wrote ${opts.out} (0600); public key: ${recipient}\n`);
    });
  secrets
    .command("encrypt")
    .description(`replace passwords.yml by passwords.yml.age, encrypted to the keys in ${RECIPIENTS_FILE} beside it (or to --secrets-key's own)`)
    .option("-d, --dir <dir>", "deployment directory", process.env.LADING_DIR ?? ".")
    .option("-p, --passwords <file>", "passwords file (default: <dir>/passwords.yml, or the environment's with -e)")
    .option("-e, --environment <name>", "the environment's passwords.yml (environments/NAME/)")
    .option("--secrets-key <file>", `age identity file (default: the file ${KEY_FILE_ENV} names)`)
    .action(async (opts: { dir: string; passwords?: string; environment?: string; secretsKey?: string }) => {
      const plain = opts.passwords ?? passwordsFileIn(opts.environment !== undefined ? environmentDir(opts.dir, opts.environment) : opts.dir);
      if (isEncryptedPath(plain)) throw new InputError([{ file: plain, message: "already encrypted" }]);
      const key = keyFileOf(opts.secretsKey);
      if (!key) throw new InputError([{ file: join(opts.dir), message: `no age key: give one with --secrets-key FILE or ${KEY_FILE_ENV}=FILE (lading secrets keygen makes one)` }]);
      const { encrypted, recipients } = await encryptPasswordsFile(plain, key);
      process.stdout.write(`${plain} -> ${encrypted}, encrypted to ${recipients.length} recipient(s): ${recipients.join(", ")}; the plain file is removed\n`);
    });
}
