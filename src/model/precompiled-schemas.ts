// Schema checks with the validators generated at build time from schemas/ (scripts/gen-validators.mjs), so that
// loading a deployment compiles no schema: the problems are the ones checkSchema reports, built by the same code.
import type { ValidateFunction } from "ajv";
import type { Problem } from "../errors.js";
import * as generated from "../generated/validators.js";
import { problemsFrom } from "./schema-check.js";
import type { PathSegment, YamlSource } from "./source.js";

/** The schema files of schemas/ that have a generated validator. */
export type PrecompiledSchemaFile = "global.schema.json" | "globals.schema.json" | "inventory.schema.json" | "passwords.schema.json" | "role.schema.json";

const VALIDATORS: Record<PrecompiledSchemaFile, unknown> = {
  "global.schema.json": generated.global,
  "globals.schema.json": generated.globals,
  "inventory.schema.json": generated.inventory,
  "passwords.schema.json": generated.passwords,
  "role.schema.json": generated.role,
};

/** The generated validator of a schema of schemas/ (ajv's standalone code: a ValidateFunction without the Ajv). */
export function precompiledValidator(schemaFile: PrecompiledSchemaFile): ValidateFunction {
  return VALIDATORS[schemaFile] as ValidateFunction;
}

/** As checkSchema (src/model/schema-check.ts), with the generated validator. */
export function checkPrecompiledSchema(
  schemaFile: PrecompiledSchemaFile,
  source: YamlSource,
  value: unknown = source.value(),
  base: PathSegment[] = [],
): Problem[] {
  return problemsFrom(precompiledValidator(schemaFile), value, source, base);
}
