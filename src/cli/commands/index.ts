// Every command module, registered in the order `lading --help` lists them.
import type { Command } from "commander";
import { register as registerGenpwd } from "./genpwd.js";

export function registerCommands(program: Command): void {
  registerGenpwd(program);
}
