// Every command module, registered in the order `lading --help` lists them.
import type { Command } from "commander";

export function registerCommands(program: Command): void {
  void program;
}
