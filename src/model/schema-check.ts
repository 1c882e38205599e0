// Checks parsed YAML against the JSON Schemas in schemas/, turning ajv's errors into located problems.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ajv2020, CodeOptions, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type { Problem } from "../errors.js";
import { schemasDir } from "../paths.js";
import type { PathSegment, YamlSource } from "./source.js";

// ajv and ajv-formats are CommonJS, loaded on the first createAjv: a usual run checks everything with the
// validators generated at build time and never loads them (loading them cost about 60 ms of every start).
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const requireCjs = createRequire(import.meta.url);
function loadAjv(): { Ajv: typeof Ajv2020; addFormats: AddFormats } {
  const ajvModule = requireCjs("ajv/dist/2020.js") as { Ajv2020: typeof Ajv2020 };
  const formats = requireCjs("ajv-formats") as AddFormats & { default?: AddFormats };
  return { Ajv: ajvModule.Ajv2020, addFormats: formats.default ?? formats };
}

/** Durations are written like systemd and Go: `500ms`, `30s`, `5m`, `1h30m`. */
export const DURATION_PATTERN = /^(\d+(ms|s|m|h))+$/;

/**
 * The Ajv every schema check uses. Two options keep a run's start cheap (they halve compilation, the
 * largest part of loading a deployment): our schemas are not checked against the JSON Schema meta-schema
 * at every start (compiling the meta-schema costs more than our schemas; a unit test checks every schema
 * of schemas/ against it instead, and per-parameter schemas are built from role.yaml declarations that
 * role.schema.json has checked), and ajv's code optimisation passes are skipped (they change how fast
 * the validator runs on tiny documents, never what it accepts). `code`: for build-time code generation.
 */
export function createAjv(code: CodeOptions = { optimize: false }): Ajv2020 {
  const { Ajv, addFormats } = loadAjv();
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    useDefaults: false,
    validateSchema: false,
    code,
  });
  addFormats(ajv);
  ajv.addFormat("duration", DURATION_PATTERN);
  ajv.addKeyword({ keyword: "tsType" }); // read by json-schema-to-typescript only
  ajv.addKeyword({ keyword: "x-secret" }); // marks secret values for tools; no validation
  for (const f of readdirSync(schemasDir).filter((x) => x.endsWith(".schema.json"))) {
    ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, f), "utf8")) as object);
  }
  return ajv;
}

let shared: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The validator for a schema of schemas/ by its file name, e.g. `role.schema.json`. */
export function validatorFor(schemaFile: string): ValidateFunction {
  shared ??= createAjv();
  let v = compiled.get(schemaFile);
  if (!v) {
    const id = `https://lading.dev/schemas/${schemaFile}`;
    v = shared.getSchema(id);
    if (!v) throw new Error(`schema ${id} is not loaded`);
    compiled.set(schemaFile, v);
  }
  return v;
}

/** Validates `value` (which came from `source`, at `base` inside it) and returns located problems. */
export function checkSchema(
  schemaFile: string,
  source: YamlSource,
  value: unknown = source.value(),
  base: PathSegment[] = [],
): Problem[] {
  return problemsFrom(validatorFor(schemaFile), value, source, base);
}

/** Validates a value against any compiled schema (for per-parameter schemas built at run time). */
export function problemsFrom(validate: ValidateFunction, value: unknown, source: YamlSource, base: PathSegment[]): Problem[] {
  if (validate(value)) return [];
  return simplifyErrors(validate.errors ?? []).map((e) => toProblem(e, source, base));
}

/**
 * ajv reports every branch of a oneOf/anyOf; the user wants the one message that helps.
 * Keep the errors at the deepest paths, and drop the "must match a schema in oneOf" summaries
 * when a more specific error exists at or below the same place.
 */
function simplifyErrors(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => !["oneOf", "anyOf", "if"].includes(e.keyword));
  // A bad key name comes twice: the inner error (with propertyName) and "property name must be valid".
  const chosen = (specific.length ? specific : errors).filter((e) => e.keyword !== "propertyNames");
  const seen = new Set<string>();
  return chosen.filter((e) => {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function toProblem(e: ErrorObject, source: YamlSource, base: PathSegment[]): Problem {
  const path = [...base, ...pointerToPath(e.instancePath)];
  if (e.propertyName !== undefined) {
    // The key itself is wrong (propertyNames): point at the key, and name it.
    return source.problem([...path, e.propertyName], `key "${e.propertyName}" ${e.message ?? "is not a valid name"}`, { key: true });
  }
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      return source.problem([...path, key], `unknown key "${key}"`, { key: true });
    }
    case "required": {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      return source.problem(path, `missing required key "${key}"`);
    }
    case "enum": {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ");
      return source.problem(path, `must be one of ${allowed}`);
    }
    case "type":
      return source.problem(path, `must be ${(e.params as { type: string }).type}`);
    default:
      return source.problem(path, e.message ?? `is invalid (${e.keyword})`);
  }
}
