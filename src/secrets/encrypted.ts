// passwords.yml encrypted at rest with age (https://age-encryption.org): the file `passwords.yml.age`, armored
// so that it diffs and merges as text in git, encrypted to the recipients of `recipients.txt` beside it (or to
// the key's own recipient). Decrypted in memory only, by the age-encryption library (Filippo Valsorda's
// TypeScript implementation of the format; the files interoperate with the `age` command, Debian's `age`).
// The key is an age identity file named by the operator (--secrets-key FILE or LADING_AGE_KEY_FILE=FILE),
// never a secret in argv or the environment.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { InputError } from "../errors.js";
import { formatMode, isLooserThanPrivate } from "./write-private-file.js";

/** What an encrypted passwords file adds to its plain name. */
export const ENCRYPTED_SUFFIX = ".age";
/** The recipients (public keys, one `age1...` a line) an encrypted passwords file is encrypted to. */
export const RECIPIENTS_FILE = "recipients.txt";
/** Names the identity file when --secrets-key does not. */
export const KEY_FILE_ENV = "LADING_AGE_KEY_FILE";

export const encryptedPathOf = (plain: string): string => (plain.endsWith(ENCRYPTED_SUFFIX) ? plain : `${plain}${ENCRYPTED_SUFFIX}`);
export const isEncryptedPath = (file: string): boolean => file.endsWith(ENCRYPTED_SUFFIX);

/** The identity file to use: the option, else the environment variable naming it; undefined when neither. */
export function keyFileOf(option?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return option ?? (env[KEY_FILE_ENV] || undefined);
}

/** The age identities (AGE-SECRET-KEY-1...) of an identity file, as age-keygen writes it (comments allowed). */
export function readIdentities(keyFile: string): string[] {
  let text: string;
  try {
    const { mode } = statSync(keyFile);
    if (isLooserThanPrivate(mode)) throw new InputError([{ file: keyFile, message: `mode ${formatMode(mode)} lets others read this key: run chmod 600 ${keyFile}` }]);
    text = readFileSync(keyFile, "utf8");
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError([{ file: keyFile, message: `cannot read the age key (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const ids = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("AGE-SECRET-KEY-"));
  if (!ids.length) throw new InputError([{ file: keyFile, message: "no age identity (AGE-SECRET-KEY-1...) in this file" }]);
  return ids;
}

/** Decrypts an encrypted passwords file in memory. A wrong key or a damaged file: InputError naming both files. */
export async function decryptFile(file: string, keyFile: string): Promise<string> {
  const identities = readIdentities(keyFile);
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError([{ file, message: `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    const bytes = raw.startsWith("-----BEGIN AGE ENCRYPTED FILE-----") ? armor.decode(raw) : readFileSync(file);
    return await d.decrypt(bytes, "text");
  } catch (err) {
    const why = /no identity matched/i.test(String(err)) ? `the key in ${keyFile} is not one of its recipients` : `not a readable age file (${(err as Error).message})`;
    throw new InputError([{ file, message: `cannot decrypt: ${why}` }]);
  }
}

/**
 * The recipients to encrypt `file` to: recipients.txt beside it when present (every team member's key), else
 * the public key of the identity that decrypts it.
 */
export async function recipientsFor(file: string, keyFile: string): Promise<string[]> {
  const listed = join(dirname(file), RECIPIENTS_FILE);
  if (existsSync(listed)) {
    const out = readFileSync(listed, "utf8")
      .split("\n")
      .map((l) => l.replace(/#.*/, "").trim())
      .filter(Boolean);
    const bad = out.find((r) => !/^age1[0-9a-z]+$/.test(r));
    if (bad !== undefined) throw new InputError([{ file: listed, message: `not an age recipient (age1...): ${bad.slice(0, 20)}` }]);
    if (!out.length) throw new InputError([{ file: listed, message: "no recipient in this file" }]);
    return out;
  }
  return Promise.all(readIdentities(keyFile).slice(0, 1).map((id) => identityToRecipient(id)));
}

/** Encrypts `text` to `recipients`, armored. */
export async function encryptText(text: string, recipients: string[]): Promise<string> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return armor.encode(await e.encrypt(text));
}

/** A new age identity file's text (as age-keygen writes it) and its public recipient. */
export async function newIdentity(now = new Date()): Promise<{ text: string; recipient: string }> {
  const id = await generateX25519Identity();
  const recipient = await identityToRecipient(id);
  return { text: `# created: ${now.toISOString()}\n# public key: ${recipient}\n${id}\n`, recipient };
}

/**
 * Every encrypted passwords file of a deployment folder that a run may read (the folder's own, each
 * environment's, or the one -p names), decrypted in memory, by path. No key: an empty map (loading then says
 * which file needs one).
 */
export async function decryptDeploymentSecrets(files: string[], keyFile: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!keyFile) return out;
  for (const f of files) if (existsSync(f)) out.set(f, await decryptFile(f, keyFile));
  return out;
}
