// Privilege escalation for non-root users: `sudo -n` never prompts, so a sudo that needs a password
// fails at once with a message we can recognise instead of hanging the run.
import { HostError } from "../errors.js";
import type { ExecResult } from "./transport.js";

export function wrapWithSudo(argv: readonly string[]): string[] {
  return ["sudo", "-n", "--", ...argv];
}

/** The HostError to raise when sudo itself refused (rather than the command failing), else undefined. */
export function sudoRefusal(host: string, user: string, result: ExecResult): HostError | undefined {
  const firstLine = result.stderr.split("\n").find((line) => line.trim() !== "") ?? "";
  if (result.code === 1 && /^sudo: /.test(firstLine)) {
    return new HostError(host, `user ${user} cannot sudo without a password on ${host}: ${firstLine.trim()}`);
  }
  if (result.code === 127 && /sudo.*not found|sudo: No such file/.test(result.stderr)) {
    return new HostError(host, `become needs sudo, which is not installed on ${host} (user ${user})`);
  }
  return undefined;
}
