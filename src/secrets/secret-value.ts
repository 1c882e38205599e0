// Names for the values of passwords.yml, derived from the type generated from schemas/passwords.schema.json.
import type { SecretValueOrBlank } from "../generated/passwords.js";

/** A set secret: a string, for kind ssh_key an OpenSSH key pair, for kind key_repository a list of keys. */
export type SecretValue = Exclude<SecretValueOrBlank, null>;

/** The value of an ssh_key secret. */
export type SshKeyPair = Exclude<SecretValue, string | string[]>;
