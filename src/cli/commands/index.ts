// Every command module, registered in the order `lading --help` lists them.
import type { Command } from "commander";
import { register as registerLab } from "./lab.js";

export function registerCommands(program: Command): void {
  registerLab(program);
}
