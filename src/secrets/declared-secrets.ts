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
  if (typeof value === "object" && !Array.isArray(value)) return !(value as Partial<SshKeyPair>).private_key;
  return false;
}

/** Whether a (non-blank, schema-valid) value has the shape its kind needs: ssh_key is a pair, the rest strings. */
export function hasShapeOfKind(value: SecretValue, kind: Secret["kind"]): boolean {
  return kind === "ssh_key" ? typeof value === "object" : typeof value === "string";
}

export function describeShape(kind: Secret["kind"]): string {
  return kind === "ssh_key" ? "a map with private_key and public_key (kind ssh_key)" : `a string (kind ${kind})`;
}
