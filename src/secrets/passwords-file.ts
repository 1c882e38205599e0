// passwords.yml: reading it for a deployment (readPasswords) and filling it (generatePasswordsFile, `lading genpwd`).
import { chmodSync, existsSync, realpathSync, rmSync, statSync } from "node:fs";
import { decryptFile, encryptedPathOf, encryptText, isEncryptedPath, recipientsFor } from "./encrypted.js";
import { InputError, type Problem } from "../errors.js";
import type { SecretValue } from "./secret-value.js";
import { readTextFile } from "../model/read-text.js";
import type { YamlSource } from "../model/source.js";
import { checkPasswordsText, passwordEntries } from "./check-passwords.js";
import { isBlankSecret, type DeclaredSecrets } from "./declared-secrets.js";
import { fillPasswords, setSecret, type FillResult } from "./fill-passwords.js";
import { isMap, type YAMLMap } from "yaml";
import { formatMode, isLooserThanPrivate, PRIVATE_MODE, writePrivateFileAtomically } from "./write-private-file.js";

/**
 * Shortest value accepted for a declared string secret. Redaction ignores values shorter than 6 characters
 * (they would hide common words), so a shorter secret could leak into logs; 8 is the role schema's minimum.
 */
export const MIN_SECRET_LENGTH = 8;
const RUN_GENPWD = "run lading genpwd";

/**
 * The secrets of a deployment. Validates passwords.yml against its schema, then: the file is not readable
 * by others (0600), every declared secret is present, generated, of its kind's shape and long enough.
 * Returns every set value of the file (unknown keys too, so that redaction covers them), by name.
 */
export function readPasswords(file: string, declared: DeclaredSecrets, decrypted?: string): Map<string, SecretValue> {
  const problems: Problem[] = [];
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? `file not found: ${RUN_GENPWD} to create it` : `cannot read file (${code})`;
    throw new InputError([{ file, message: hint }]);
  }
  // An encrypted file (its plaintext given, decrypted in memory) may be readable by all: it is made for git.
  if (decrypted === undefined && isLooserThanPrivate(mode)) {
    problems.push({ file, message: `mode ${formatMode(mode)} lets others read these secrets: run chmod 600 ${file}` });
  }
  let source: YamlSource;
  try {
    source = checkPasswordsText(file, decrypted ?? readTextFile(file), declared);
  } catch (err) {
    if (err instanceof InputError) throw new InputError([...problems, ...err.problems]);
    throw err;
  }
  const values = passwordEntries(source);
  for (const [name, secret] of declared) {
    if (!values.has(name)) {
      problems.push(source.problem([name], `secret "${name}" (role ${secret.role}) is missing: ${RUN_GENPWD}`));
      continue;
    }
    const value = values.get(name);
    if (isBlankSecret(value)) {
      problems.push(source.problem([name], `not generated: ${RUN_GENPWD}`));
    } else if (typeof value === "string" && value.length < MIN_SECRET_LENGTH) {
      problems.push(
        source.problem([name], `shorter than ${MIN_SECRET_LENGTH} characters; blank it and ${RUN_GENPWD}, or set a longer value`),
      );
    }
  }
  if (problems.length) throw new InputError(problems);

  const result = new Map<string, SecretValue>();
  for (const [name, value] of values) if (!isBlankSecret(value)) result.set(name, value as SecretValue);
  return result;
}

/** What `lading genpwd` did, without any value: names and counts only. */
export interface GenpwdReport extends Omit<FillResult, "text"> {
  file: string;
  /** The file did not exist and was created. */
  created: boolean;
  /** The file's content changed and was rewritten. */
  written: boolean;
  /** The file was readable by others before and is now 0600: its previous mode. */
  tightenedFrom?: number;
}

/**
 * `lading genpwd`: fills every blank or missing declared secret of `file` (created if absent), never
 * overwriting a set value; with `merge`, first takes the declared secrets' values from an older passwords
 * file (upgrades). Keeps comments, order and unknown keys; writes atomically with mode 0600.
 */
export function generatePasswordsFile(file: string, declared: DeclaredSecrets, opts: { merge?: string } = {}): GenpwdReport {
  const target = resolveExisting(file);
  const existing = target ? { text: readTextFile(target), mode: statSync(target).mode } : undefined;
  const old = opts.merge ? { file: opts.merge, text: readTextOrFail(opts.merge) } : undefined;

  const { text, ...counts } = fillPasswords({ file, text: existing?.text }, declared, { old });
  const path = target ?? file;
  const written = text !== existing?.text;
  const tightenedFrom = existing && isLooserThanPrivate(existing.mode) ? existing.mode & 0o777 : undefined;
  if (written) writePrivateFileAtomically(path, text);
  else if (tightenedFrom !== undefined) chmodSync(path, PRIVATE_MODE);
  return { ...counts, file, created: !existing, written, ...(tightenedFrom !== undefined ? { tightenedFrom } : {}) };
}

// A symlinked passwords.yml stays a symlink: write through to the file it points at.
function resolveExisting(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function readTextOrFail(file: string): string {
  return readTextFile(file);
}

/**
 * `lading genpwd` on an encrypted passwords file (passwords.yml.age, created when absent): decrypted in memory,
 * filled as generatePasswordsFile does, encrypted again to its recipients and written atomically. The plaintext
 * never reaches the disk. `merge` may name an encrypted file too (decrypted with the same key).
 */
export async function generateEncryptedPasswordsFile(file: string, declared: DeclaredSecrets, keyFile: string, opts: { merge?: string } = {}): Promise<GenpwdReport> {
  const target = resolveExisting(file);
  const existing = target ? await decryptFile(target, keyFile) : undefined;
  const old = opts.merge ? { file: opts.merge, text: isEncryptedPath(opts.merge) ? await decryptFile(opts.merge, keyFile) : readTextOrFail(opts.merge) } : undefined;
  const { text, ...counts } = fillPasswords({ file, text: existing }, declared, { old });
  const written = text !== existing;
  if (written) writePrivateFileAtomically(target ?? file, await encryptText(text, await recipientsFor(target ?? file, keyFile)));
  return { ...counts, file, created: !target, written };
}

/**
 * `lading secrets encrypt`: passwords.yml becomes passwords.yml.age, encrypted to the recipients. The new file
 * is decrypted again and compared before the plain one is removed.
 */
export async function encryptPasswordsFile(plain: string, keyFile: string): Promise<{ encrypted: string; recipients: string[] }> {
  const encrypted = encryptedPathOf(plain);
  if (!existsSync(plain)) throw new InputError([{ file: plain, message: "file not found: nothing to encrypt" }]);
  if (existsSync(encrypted)) throw new InputError([{ file: encrypted, message: "already exists: remove it or the plain file first" }]);
  const text = readTextFile(plain);
  const recipients = await recipientsFor(encrypted, keyFile);
  writePrivateFileAtomically(encrypted, await encryptText(text, recipients));
  if ((await decryptFile(encrypted, keyFile)) !== text) {
    rmSync(encrypted, { force: true });
    throw new InputError([{ file: encrypted, message: "the encrypted file did not decrypt to the plain one: left the plain file as it was" }]);
  }
  rmSync(plain);
  return { encrypted, recipients };
}

/**
 * Sets declared secrets to new values in a passwords file (rotate-keys), keeping its comments and order; an
 * encrypted file is decrypted in memory with `keyFile` and encrypted again to its recipients. Written atomically,
 * mode 0600: a failure leaves the file as it was.
 */
export async function setPasswordValues(file: string, declared: DeclaredSecrets, values: ReadonlyMap<string, SecretValue>, keyFile?: string): Promise<void> {
  const target = resolveExisting(file) ?? file;
  const encrypted = isEncryptedPath(file);
  if (encrypted && !keyFile) throw new InputError([{ file, message: "encrypted with age: its key is needed to write it" }]);
  const text = encrypted ? await decryptFile(target, keyFile!) : readTextFile(target);
  const source = checkPasswordsText(file, text, declared);
  if (!isMap(source.doc.contents)) throw new InputError([{ file, message: "holds no secrets" }]);
  const map = source.doc.contents as unknown as YAMLMap;
  for (const [name, value] of values) {
    const secret = declared.get(name);
    if (!secret) throw new Error(`secret ${name} is not declared`);
    setSecret(source.doc, map, name, value, `${secret.role}: ${secret.description}`);
  }
  const out = source.doc.toString({ lineWidth: 0 });
  checkPasswordsText(file, out, declared);
  writePrivateFileAtomically(target, encrypted ? await encryptText(out, await recipientsFor(target, keyFile!)) : out);
}
