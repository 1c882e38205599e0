// The user's files a check of the deployment reads (for reports that list every file checked, such as JUnit's):
// the inventory, globals.yml, passwords.yml, the deployment's roles (role.yaml and templates) and config/.
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { findInventoryFile } from "../inventory/index.js";
import { passwordsFileIn } from "./project.js";

/** Files below `dir` (not following links to folders, so a link loop ends the walk), sorted; none when absent. */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return (readdirSync(dir, { recursive: true }) as string[])
      .map((rel) => join(dir, rel))
      .filter((f) => {
        const s = lstatSync(f);
        return s.isFile() || s.isSymbolicLink();
      })
      .sort();
  } catch {
    return [];
  }
}

export function deploymentFiles(opts: { dir?: string; inventory?: string; passwords?: string; rolesDirs?: string[] }): string[] {
  const dir = resolve(opts.dir ?? ".");
  const inventory = opts.inventory ? resolve(opts.inventory) : findInventoryFile(dir);
  const files = [inventory, join(dir, "globals.yml"), opts.passwords ? resolve(opts.passwords) : passwordsFileIn(dir)].filter(
    (f): f is string => f !== undefined && existsSync(f),
  );
  for (const roles of [...(opts.rolesDirs ?? []), join(dir, "roles")]) {
    files.push(...filesBelow(roles).filter((f) => f.endsWith("/role.yaml") || f.endsWith("/global.yaml") || f.includes("/templates/")));
  }
  files.push(...filesBelow(join(dir, "config")).filter((f) => !f.endsWith("/README.md")));
  return [...new Set(files)];
}
