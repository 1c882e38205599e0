// The lading command line: parses arguments, runs one command, maps errors to messages and exit codes.
// Only the CLI prints and sets exit codes; every command module registers itself here (only the one a run needs
// is loaded: src/cli/commands/index.ts).
import { Command, CommanderError } from "commander";
import { InputError, HostError, LabError, formatProblem } from "../errors.js";
import { EXIT } from "./exit-codes.js";
import { registerCommands } from "./commands/index.js";

/** The program for a run of `argv` (as process.argv: node, script, then the arguments). */
export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command("lading")
    .description("Declarative deployer for clusters of containerized services")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  await registerCommands(program, argv.slice(2));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof InputError) {
    for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? "" : "s"} found; nothing was changed on any host.\n`);
    return EXIT.input;
  }
  if (err instanceof LabError) {
    process.stderr.write(`lab: ${err.message}\n`);
    return EXIT.failed;
  }
  if (err instanceof HostError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.failed;
  }
  process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.internal;
}
