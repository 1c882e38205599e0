// The secrets the roles declare, as the role loader hands them to genpwd, readPasswords and validate.
import type { Secret } from "../generated/role.js";
import type { SecretValue, SshKeyPair } from "./secret-value.js";

/** One secret of a role's `secrets:` map, with the role that declared it (for messages). */
export type DeclaredSecret = Secret & { role: string };

/** Every declared secret by name (names are global across roles). */
export type DeclaredSecrets = Map<string, DeclaredSecret>;

/** Blank means "to generate": null, "", or an SSH key pair without its private key. */
export function isBlankSecret(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object" && !Array.isArray(value)) return !(value as Partial<SshKeyPair>).private_key;
  return false;
}

// What Python's Fernet accepts: 32 bytes in url-safe base64 with its padding (Fernet.generate_key(), genpwd).
const FERNET_KEY = /^[A-Za-z0-9_-]{43}=$/;

/**
 * Whether a (non-blank, schema-valid) value has the shape its kind needs: ssh_key is a pair, fernet_key a Fernet
 * key (a malformed one would stop Keystone from validating any token), the rest strings.
 */
export function hasShapeOfKind(value: SecretValue, kind: Secret["kind"]): boolean {
  if (kind === "ssh_key") return typeof value === "object" && !Array.isArray(value);
  if (kind === "fernet_key") return typeof value === "string" && FERNET_KEY.test(value);
  if (kind === "key_repository") return Array.isArray(value) && value.length >= 2 && value.every((k) => FERNET_KEY.test(k)) && new Set(value).size === value.length;
  return typeof value === "string";
}

export function describeShape(kind: Secret["kind"]): string {
  if (kind === "ssh_key") return "a map with private_key and public_key (kind ssh_key)";
  if (kind === "fernet_key") return "a Fernet key: 32 bytes in url-safe base64, 44 characters ending in = (kind fernet_key; blank it and run lading genpwd)";
  if (kind === "key_repository") return "a list of at least 2 different Fernet keys (32 bytes in url-safe base64, 44 characters ending in =), the staged key first and the primary last (kind key_repository; blank it and run lading genpwd)";
  return `a string (kind ${kind})`;
}
