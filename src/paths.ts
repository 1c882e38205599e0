// Where lading's own files are: roles, schemas and lab images ship inside the package.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (the folder holding package.json), from dist/src/paths.js or src/paths.ts. */
function findRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${"/dist/"}`) ? join(here, "..", "..") : join(here, "..");
}

export const packageRoot = findRoot();
export const schemasDir = join(packageRoot, "schemas");
export const builtinRolesDir = join(packageRoot, "roles");
