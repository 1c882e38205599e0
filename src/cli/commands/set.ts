// `lading set NAME VALUE`: the parameter edit lading serve makes (src/model/edit-parameter.ts), from the command
// line: into globals.yml, or a group's or a host's vars of the YAML inventory, comments and layout kept, checked by
// the deployment's loader before it is written (a change that brings a problem is refused, exit 3, nothing written).
import type { Command } from "commander";
import { parse } from "yaml";
import { InputError } from "../../errors.js";
import type { ParameterScope } from "../../generated/api.js";
import { editParameter } from "../../model/edit-parameter.js";
import { EXIT } from "../exit-codes.js";
import { decryptedSecrets, withDeploymentOptions, type DeploymentOptions } from "../project-options.js";

interface SetOptions extends DeploymentOptions {
  dir: string;
  group?: string;
  host?: string;
  unset?: boolean;
  check?: boolean;
}

export function register(program: Command): void {
  withDeploymentOptions(program.command("set <name> [value]"))
    .description("set a parameter in globals.yml (or --group/--host vars of the inventory), comments kept, validated before it is written; --unset removes it")
    .option("--group <group>", "write into this group's vars of the inventory")
    .option("--host <host>", "write into this host's vars of the inventory")
    .option("--unset", "remove the setting (a lower one, or the default, applies again)")
    .option("--check", "check the change and write nothing")
    .action(async (name: string, value: string | undefined, opts: SetOptions) => {
      if (opts.group !== undefined && opts.host !== undefined) throw new InputError([{ file: "--group", message: "give --group or --host, not both" }]);
      if ((value === undefined) === !opts.unset) throw new InputError([{ file: "<value>", message: opts.unset ? "--unset takes no value" : "a value is needed (YAML: 128, true, \"1.0\", [a, b]), or --unset" }]);
      const scope: ParameterScope = opts.group !== undefined ? { kind: "group", group: opts.group } : opts.host !== undefined ? { kind: "host", host: opts.host } : { kind: "globals" };
      // The value is YAML, as it would be written in the file: `128` is a number, `"1.0"` a string.
      const typed: unknown = value === undefined ? undefined : parse(value);
      const result = editParameter({ dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, rolesDirs: opts.roles, environment: opts.environment, decrypted: await decryptedSecrets(opts) }, { name, scope, value: typed, unset: opts.unset }, { write: !opts.check });
      if (result.problems.length) throw new InputError(result.problems);
      if (result.diff) process.stdout.write(`${result.diff}\n`);
      process.stdout.write(result.written ? `wrote ${result.file}\n` : result.diff ? `valid; not written (--check)\n` : `${result.file}: already so, nothing to write\n`);
      process.exitCode = EXIT.ok;
    });
}
