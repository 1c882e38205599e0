// Generates the schema validators of schemas/ as code (ajv's standalone output) into src/generated/validators.ts,
// so that a run does not compile them: compiling role.schema.json and its peers took about 0.2 s of every start.
// The Ajv here must be configured as createAjv() in src/model/schema-check.ts configures it (same options,
// formats and keywords); test/unit/model/precompiled-schemas.test.ts checks that both report the same errors.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import standaloneModule from "ajv/dist/standalone/index.js";

const addFormats = addFormatsModule.default ?? addFormatsModule;
const standaloneCode = standaloneModule.default ?? standaloneModule;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "generated");

const ajv = new Ajv2020({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  useDefaults: false,
  validateSchema: false,
  // Unlike at run time, the optimisation passes cost nothing here.
  code: { source: true, esm: true, optimize: true },
});
addFormats(ajv);
ajv.addFormat("duration", /^(\d+(ms|s|m|h))+$/);
ajv.addKeyword({ keyword: "tsType" });
ajv.addKeyword({ keyword: "x-secret" });
const files = (await readdir(join(root, "schemas"))).filter((f) => f.endsWith(".schema.json")).sort();
const exportsByName = {};
for (const f of files) {
  const schema = JSON.parse(await readFile(join(root, "schemas", f), "utf8"));
  ajv.addSchema(schema);
  exportsByName[f.replace(".schema.json", "").replace(/-(\w)/g, (_, c) => c.toUpperCase())] = schema.$id;
}
const code = standaloneCode(ajv, exportsByName);
await mkdir(out, { recursive: true });
await writeFile(
  join(out, "validators.ts"),
  [
    "// Generated from schemas/*.schema.json by scripts/gen-validators.mjs (ajv standalone code). Do not edit.",
    "// @ts-nocheck",
    'import { createRequire } from "node:module";',
    "const require = createRequire(import.meta.url);",
    code.replace(/^"use strict";/, ""),
    "",
  ].join("\n"),
);
