// `lading schemas --out DIR`: publishes the JSON Schemas (with globals.schema.json built from the roles).
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { globalsSchema } from "../../model/globals-schema.js";
import { loadRoles } from "../../model/roles.js";
import { builtinRolesDir, schemasDir } from "../../paths.js";

export function register(program: Command): void {
  program
    .command("schemas")
    .description("write the JSON Schemas of every file a user edits (for editors and CI)")
    .option("--out <dir>", "output folder", schemasDir)
    .option("-d, --dir <dir>", "deployment directory whose roles/ add parameters", ".")
    .action((opts: { out: string; dir: string }) => {
      mkdirSync(opts.out, { recursive: true });
      const roles = loadRoles([builtinRolesDir, join(opts.dir, "roles")]);
      writeFileSync(join(opts.out, "globals.schema.json"), `${JSON.stringify(globalsSchema(roles), null, 2)}\n`);
      if (opts.out !== schemasDir) {
        for (const f of readdirSync(schemasDir).filter((x) => x.endsWith(".schema.json") && x !== "globals.schema.json")) {
          copyFileSync(join(schemasDir, f), join(opts.out, f));
        }
      }
      process.stdout.write(`schemas written to ${opts.out}\n`);
    });
}
