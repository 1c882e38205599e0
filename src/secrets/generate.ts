// Generates the value of one declared secret from node:crypto's randomness (lading genpwd calls it).
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import type { Secret } from "../generated/role.js";
import type { SecretValue } from "./secret-value.js";
import { generateSshKeyPair } from "./ssh-key-pair.js";

/** The part of a role's secret declaration that says how to generate it. */
export type SecretRecipe = Pick<Secret, "kind" | "length" | "keys">;

// Letters and digits only: such a password needs no quoting in INI, YAML, SQL, URLs or shell.
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// RabbitMQ (Erlang) generates its own cookies as 20 uppercase letters; we stay in that alphabet.
const UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export const DEFAULT_LENGTH = { password: 32, hex: 64, erlang_cookie: 20 } as const;

/** A fresh random value for a secret of this kind; `length` applies to password, hex and erlang_cookie. */
export function generateSecret(recipe: SecretRecipe): SecretValue {
  switch (recipe.kind) {
    case "password":
      return randomString(ALPHANUMERIC, lengthOf(recipe, DEFAULT_LENGTH.password));
    case "hex":
      return randomHex(lengthOf(recipe, DEFAULT_LENGTH.hex));
    case "erlang_cookie":
      return randomString(UPPERCASE, lengthOf(recipe, DEFAULT_LENGTH.erlang_cookie));
    case "uuid":
      return randomUUID();
    case "fernet_key":
      return generateFernetKey();
    case "key_repository":
      return Array.from({ length: recipe.keys ?? DEFAULT_REPOSITORY_KEYS }, generateFernetKey);
    case "ssh_key":
      return generateSshKeyPair();
    default: {
      const unknown: never = recipe.kind;
      throw new Error(`unknown secret kind ${String(unknown)}`);
    }
  }
}

/** Keys of a key_repository when its declaration says none: staged, one secondary, primary. */
export const DEFAULT_REPOSITORY_KEYS = 3;

/** What Python's Fernet.generate_key() makes: 32 random bytes, url-safe base64 WITH padding (44 chars). */
export function generateFernetKey(): string {
  return randomBytes(32).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

function lengthOf(recipe: SecretRecipe, fallback: number): number {
  const n = recipe.length ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`secret length must be a positive integer, got ${n}`);
  return n;
}

/** Uniform choice per character: randomInt rejects biased samples, unlike `byte % alphabet.length`. */
function randomString(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString("hex").slice(0, length);
}
