// The scripts that run on hosts are files in this folder (shell or Perl), embedded at build time into
// src/generated/host-scripts.ts and checked by shellcheck in the unit suite. TypeScript never splices text into
// them: values travel as positional parameters (`sh -c SCRIPT NAME ARG...`, `perl -e SCRIPT -- ARG...`).
import { HOST_SCRIPTS, type HostScriptName } from "../generated/host-scripts.js";

export type { HostScriptName };

/** The text of one host script, by its file name under src/host-scripts/. */
export function hostScript(name: HostScriptName): string {
  return HOST_SCRIPTS[name];
}

/** argv that runs a shell script file with `sh -c`, its $0 named after the script, and `args` as $1... */
export function shScriptArgv(name: HostScriptName & `${string}.sh`, args: string[]): string[] {
  return ["sh", "-c", hostScript(name), `lading-${name.replace(/\.sh$/, "")}`, ...args];
}

/**
 * argv as people read it: a host script shows as its name and parameters (`lading-engine-restart`), not as its
 * text. Anything else is unchanged.
 */
export function shownArgv(argv: readonly string[]): string[] {
  if ((argv[0] === "sh" || argv[0] === "bash") && argv[1] === "-c" && argv[3]?.startsWith("lading-")) return argv.slice(3);
  return [...argv];
}

/** Whether `name` is the file name of a host script (a role's hotReload names one). */
export function isHostScriptName(name: string): name is HostScriptName {
  return Object.prototype.hasOwnProperty.call(HOST_SCRIPTS, name);
}
