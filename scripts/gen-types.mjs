// Generates TypeScript types from the JSON Schemas in schemas/, the one source of truth.
// The output (src/generated/) is not committed: `npm run build` makes it first.
import { compileFromFile } from "json-schema-to-typescript";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "generated");
await mkdir(out, { recursive: true });
for (const file of (await readdir(join(root, "schemas"))).filter((f) => f.endsWith(".schema.json")).sort()) {
  const ts = await compileFromFile(join(root, "schemas", file), {
    cwd: join(root, "schemas"),
    bannerComment: `// Generated from schemas/${file} by scripts/gen-types.mjs. Do not edit.`,
    additionalProperties: false,
    // api.schema.json is a set of definitions (request bodies, answers) that no root property refers to.
    unreachableDefinitions: file === "api.schema.json",
    style: { singleQuote: false },
  });
  await writeFile(join(out, file.replace(".schema.json", ".ts")), ts);
}
await import("./gen-validators.mjs");
await import("./gen-builtin-yaml.mjs");
await import("./gen-host-scripts.mjs");
