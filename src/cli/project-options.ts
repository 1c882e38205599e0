// Options every command that reads a deployment shares: where the deployment is, and its inventory.
import type { Command } from "commander";
import { encryptedPasswordsFiles, loadProject, type Project } from "../model/project.js";
import { decryptDeploymentSecrets, KEY_FILE_ENV, keyFileOf } from "../secrets/encrypted.js";

export interface DeploymentOptions {
  dir?: string;
  inventory?: string;
  passwords?: string;
  roles?: string[];
  environment?: string;
  /** The age identity file that decrypts passwords.yml.age (else LADING_AGE_KEY_FILE names it). */
  secretsKey?: string;
}

/** `shortInventory: false` leaves -i free (exec's -i is docker's --interactive: `lading exec -it`). */
export function withDeploymentOptions(cmd: Command, opts: { shortInventory?: boolean } = {}): Command {
  return cmd
    .option("-d, --dir <dir>", "deployment directory (inventory, globals.yml, passwords.yml, config/)", process.env.LADING_DIR ?? ".")
    .option(opts.shortInventory === false ? "--inventory <file>" : "-i, --inventory <file>", "inventory file (default: inventory.yml, inventory, multinode or all-in-one in the deployment directory)")
    .option("-p, --passwords <file>", "passwords file (default: passwords.yml in the deployment directory)")
    .option("--roles <dir...>", "extra role folders (the deployment's roles/ is always used)")
    .option("-e, --environment <name>", "an environment of the deployment: environments/NAME/ (its inventory, globals.yml and passwords.yml override the deployment's)", process.env.LADING_ENVIRONMENT)
    .option("--secrets-key <file>", `age identity file that decrypts an encrypted passwords.yml.age (default: the file ${KEY_FILE_ENV} names)`);
}

/** The encrypted passwords files of the deployment, decrypted in memory (none without a key). */
export function decryptedSecrets(opts: DeploymentOptions): Promise<Map<string, string>> {
  return decryptDeploymentSecrets(encryptedPasswordsFiles(opts), keyFileOf(opts.secretsKey));
}

export async function projectFrom(opts: DeploymentOptions, extra: { requireSecrets?: boolean; checkCertificates?: boolean } = {}): Promise<Project> {
  const decrypted = await decryptedSecrets(opts);
  return loadProject({ dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, rolesDirs: opts.roles, environment: opts.environment, decrypted, ...extra });
}
