// Every command module, registered in the order `lading --help` lists them.
import type { Command } from "commander";
import { register as registerInventory } from "./inventory.js";

export function registerCommands(program: Command): void {
  registerInventory(program);
}
