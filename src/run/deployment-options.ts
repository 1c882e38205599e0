// Where a deployment is and how to read it: the options every command that reads a deployment shares (the CLI's
// -d/-i/-p/-e/--roles/--secrets-key, lading serve's own), and the one way to load it with them.
import { encryptedPasswordsFiles, loadProject, type Project } from "../model/project.js";
import { decryptDeploymentSecrets, keyFileOf } from "../secrets/encrypted.js";

export interface DeploymentOptions {
  dir?: string;
  inventory?: string;
  passwords?: string;
  roles?: string[];
  environment?: string;
  /** The age identity file that decrypts passwords.yml.age (else LADING_AGE_KEY_FILE names it). */
  secretsKey?: string;
}

/** The encrypted passwords files of the deployment, decrypted in memory (none without a key). */
export function decryptedSecrets(opts: DeploymentOptions): Promise<Map<string, string>> {
  return decryptDeploymentSecrets(encryptedPasswordsFiles(opts), keyFileOf(opts.secretsKey));
}

export async function projectFrom(opts: DeploymentOptions, extra: { requireSecrets?: boolean; checkCertificates?: boolean } = {}): Promise<Project> {
  const decrypted = await decryptedSecrets(opts);
  return loadProject({ dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, rolesDirs: opts.roles, environment: opts.environment, decrypted, ...extra });
}
