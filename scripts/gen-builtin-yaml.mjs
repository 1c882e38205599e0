// Parses the built-in roles' YAML (roles/global.yaml and roles/*/role.yaml) at build time into
// src/generated/builtin-yaml.ts, so that a run does not parse them: the yaml library's first parses are slow
// (its code is not optimised yet), and these files were three quarters of the YAML a run read for a deployment
// that enables none of them. Each entry holds the file's sha256: a file edited after the build is parsed again.
// The options must be parseYaml's in src/model/source.ts; test/unit/model/builtin-yaml.test.ts checks that
// every entry equals what parseYaml reads from the file.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rolesDir = join(root, "roles");
const out = join(root, "src", "generated");
const files = ["global.yaml"];
for (const entry of (await readdir(rolesDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
  if (entry.isDirectory() && existsSync(join(rolesDir, entry.name, "role.yaml"))) files.push(`${entry.name}/role.yaml`);
}
const entries = {};
for (const f of files) {
  const text = await readFile(join(rolesDir, f), "utf8");
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length) throw new Error(`roles/${f}: ${doc.errors[0].message}`);
  const value = doc.toJS({ maxAliasCount: 1000 });
  if (JSON.stringify(JSON.parse(JSON.stringify(value))) !== JSON.stringify(value)) throw new Error(`roles/${f}: not plain JSON data`);
  entries[f] = { sha256: createHash("sha256").update(text).digest("hex"), value };
}
await mkdir(out, { recursive: true });
await writeFile(
  join(out, "builtin-yaml.ts"),
  `// Generated from roles/ by scripts/gen-builtin-yaml.mjs. Do not edit.\n` +
    `/** Built-in role files by path under roles/: the sha256 of the text they were parsed from, and the value. */\n` +
    `export const BUILTIN_YAML: Readonly<Record<string, { sha256: string; value: unknown }>> = ${JSON.stringify(entries)};\n`,
);
