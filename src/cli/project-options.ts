// Options every command that reads a deployment shares: where the deployment is, and its inventory. Loading it
// with them is the core's (src/run/deployment-options.ts).
import type { Command } from "commander";
import { KEY_FILE_ENV } from "../secrets/encrypted.js";

export { decryptedSecrets, projectFrom, type DeploymentOptions } from "../run/deployment-options.js";

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
