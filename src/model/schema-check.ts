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
  return simplifyErrors(validate.errors ?? []).map((e) => toProblem(e, source, base, value));
}

/**
 * ajv reports every branch of a oneOf/anyOf; the user wants the one message that helps. Each oneOf/anyOf error
 * comes after the errors of its branches (at or below its instance path), so a stack collapses them inner
 * first:
 * - branches told apart by a discriminator (a `const` on the same key in several branches, like `kind`):
 *   when the value names a branch, that branch's errors alone; otherwise one "must be one of" at the key;
 * - branches told apart by type: when the value's type fits some branch, that branch's errors alone
 *   (`batch: 0` is "must be >= 1", not also "must be string" and "must be array"); otherwise one
 *   "must be integer, string or array".
 */
export function simplifyErrors(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword !== "oneOf" && e.keyword !== "anyOf") {
      if (e.keyword !== "if") out.push(e);
      continue;
    }
    const branch: ErrorObject[] = [];
    while (out.length && isAtOrBelow(out[out.length - 1]!.instancePath, e.instancePath)) branch.unshift(out.pop()!);
    out.push(...(branch.length ? collapseBranches(e, branch) : [e]));
  }
  // A bad key name comes twice: the inner error (with propertyName) and "property name must be valid".
  const seen = new Set<string>();
  return out
    .filter((e) => e.keyword !== "propertyNames")
    .filter((e) => {
      const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

function isAtOrBelow(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}/`);
}

/** The errors of one failed oneOf/anyOf (at `of`), reduced to the branch the value meant. */
function collapseBranches(of: ErrorObject, errors: ErrorObject[]): ErrorObject[] {
  const base = of.schemaPath;
  const branchOf = (e: ErrorObject): number | undefined => {
    if (!e.schemaPath.startsWith(`${base}/`)) return undefined;
    const n = Number(e.schemaPath.slice(base.length + 1).split("/")[0]);
    return Number.isInteger(n) ? n : undefined;
  };
  // A discriminator: a key with `const` errors from more than one branch.
  const consts = errors.filter((e) => e.keyword === "const" && e.instancePath.startsWith(`${of.instancePath}/`) && !e.instancePath.slice(of.instancePath.length + 1).includes("/"));
  const byKey = new Map<string, ErrorObject[]>();
  for (const c of consts) byKey.set(c.instancePath, [...(byKey.get(c.instancePath) ?? []), c]);
  const [discriminator] = [...byKey.entries()].filter(([, list]) => new Set(list.map(branchOf)).size > 1);
  if (discriminator) {
    const [keyPath, list] = discriminator;
    const failed = new Set(list.map(branchOf));
    const matched = new Set(errors.map(branchOf).filter((b): b is number => b !== undefined && !failed.has(b)));
    if (matched.size) return errors.filter((e) => !failed.has(branchOf(e)) || branchOf(e) === undefined).filter((e) => !(e.keyword === "const" && e.instancePath === keyPath));
    const allowed = list.map((c) => (c.params as { allowedValue: unknown }).allowedValue);
    return [{ ...list[0]!, keyword: "enum", params: { allowedValues: allowed }, message: "must be one of the allowed values" }];
  }
  // Told apart by type: drop the branches whose type does not fit, when another one does.
  const typeAtBase = (e: ErrorObject): boolean => e.keyword === "type" && e.instancePath === of.instancePath;
  const fitting = errors.filter((e) => !typeAtBase(e));
  if (fitting.length) return fitting;
  const types = [...new Set(errors.flatMap((e) => [(e.params as { type: string | string[] }).type].flat()))];
  return [{ ...errors[0]!, params: { type: types } }];
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function toProblem(e: ErrorObject, source: YamlSource, base: PathSegment[], data: unknown): Problem {
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
      return source.problem(path, `must be one of ${allowed}, got ${describeValue(valueAt(data, e.instancePath))}`);
    }
    case "type":
      return source.problem(path, `must be ${typeList((e.params as { type: string | string[] }).type)}, got ${describeValue(valueAt(data, e.instancePath))}`);
    default:
      return source.problem(path, e.message ?? `is invalid (${e.keyword})`);
  }
}

/** `integer`, `integer or string`, `integer, string or array`. */
function typeList(type: string | string[]): string {
  const list = [type].flat();
  return list.length < 2 ? list.join("") : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]!}`;
}

/** The value at a JSON pointer inside `data` (undefined when absent). */
export function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const seg of pointerToPath(pointer)) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** A value as a message shows it: `null` (also `key:` with nothing written), `.nan`, `the string "x"`, `a map`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "number" && Number.isNaN(v)) return ".nan (not a number)";
  if (typeof v === "number" && !Number.isFinite(v)) return `${v > 0 ? "" : "-"}.inf (infinity)`;
  if (typeof v === "object") return "a map";
  return `${typeof v} ${String(v)}`;
}
