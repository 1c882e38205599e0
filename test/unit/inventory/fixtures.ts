// Where the inventory fixtures are, from the compiled tests too.
import { join } from "node:path";
import { packageRoot } from "../../../src/paths.js";

export function fixture(name: string): string {
  return join(packageRoot, "test", "fixtures", "inventory", name);
}

/** The names of hosts, for compact assertions. */
export function names(hosts: readonly { name: string }[]): string[] {
  return hosts.map((h) => h.name);
}
