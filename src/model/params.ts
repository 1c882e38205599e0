// Typed parameters: every value a user sets is checked against its declaration, where it was written.
import type { ValidateFunction } from "ajv";
import type { Ajv2020 } from "ajv/dist/2020.js";
import type { Problem } from "../errors.js";
import type { Parameter } from "../generated/role.js";
import { createRequire } from "node:module";
import { createAjv, describeValue } from "./schema-check.js";
import type { DeclaredParameter } from "./roles.js";
import type { YamlSource } from "./source.js";

/** A value and where the user wrote it. */
export interface LocatedValue {
  value: unknown;
  source: Omit<Problem, "message">;
}

/** Turns a parameter declaration into the JSON Schema that checks its values. */
export function parameterSchema(decl: Parameter): Record<string, unknown> {
  const { description, nullable, default: _default, format, ...rest } = decl;
  void _default;
  const schema: Record<string, unknown> = { ...rest, description };
  if (format === "port") {
    schema.minimum = Math.max(1, decl.minimum ?? 1);
    schema.maximum = Math.min(65535, decl.maximum ?? 65535);
  } else if (format) {
    schema.format = format;
  }
  if (nullable) schema.type = [decl.type, "null"];
  return schema;
}

/** The checked part of a parameter's schema (no description) and the key its validator is found by. */
export function parameterSchemaKey(decl: Parameter): { schema: Record<string, unknown>; key: string } {
  const { description: _description, ...checked } = parameterSchema(decl);
  void _description;
  return { schema: checked, key: JSON.stringify(checked) };
}

/** The Ajv that compiles parameter schemas: createAjv's, with the `cidr` format parameters may declare. */
export function createParameterAjv(code?: Parameters<typeof createAjv>[0]): Ajv2020 {
  const ajv = createAjv(code);
  ajv.addFormat("cidr", /^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/);
  return ajv;
}

/**
 * Validators of the built-in roles' parameter schemas, generated at build time by
 * scripts/gen-param-validators.mjs (ajv's standalone code, CommonJS, beside this module's compiled file), by
 * parameterSchemaKey's key. Absent (a build that skipped the script), every schema is compiled at run time.
 */
function generatedValidators(): Record<string, ValidateFunction> {
  if (!generated) {
    try {
      generated = createRequire(import.meta.url)("../generated/param-validators.cjs") as Record<string, ValidateFunction>;
    } catch {
      generated = {};
    }
  }
  return generated;
}
let generated: Record<string, ValidateFunction> | undefined;

// Created on the first schema that has no generated validator, and each distinct parameter schema compiled
// once: most parameters share a handful of shapes ({type: string}, a port...), and every compilation generates
// and parses code.
let ajv: Ajv2020 | undefined;
const validators = new WeakMap<Parameter, ValidateFunction>();
const bySchema = new Map<string, ValidateFunction>();

function validatorOf(decl: Parameter): ValidateFunction {
  let v = validators.get(decl);
  if (!v) {
    const { schema, key } = parameterSchemaKey(decl);
    v = bySchema.get(key) ?? generatedValidators()[key];
    if (!v) {
      ajv ??= createParameterAjv();
      v = ajv.compile(schema);
    }
    bySchema.set(key, v);
    validators.set(decl, v);
  }
  return v;
}

/** Why `value` is not a valid value of the parameter, or undefined when it is. */
export function parameterValueError(decl: Parameter, value: unknown): string | undefined {
  const validate = validatorOf(decl);
  if (validate(value)) return undefined;
  const e = validate.errors?.[0];
  if (!e) return "is invalid";
  const where = e.instancePath ? `${e.instancePath.slice(1)}: ` : "";
  if (e.keyword === "enum") return `${where}must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(", ")}`;
  if (e.keyword === "type") return `${where}must be ${(e.params as { type: string | string[] }).type}, got ${describe(valueAt(value, e.instancePath))}`;
  return `${where}${e.message ?? "is invalid"}`;
}

/** The part of `value` a JSON pointer names (an item of a list parameter, a field of a map). */
function valueAt(value: unknown, pointer: string): unknown {
  let v = value;
  for (const seg of pointer.split("/").slice(1)) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return v;
}

function describe(v: unknown): string {
  return describeValue(v);
}

/** The closest declared name, for "did you mean" hints. */
export function closestName(name: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of names) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export type ParamValues = Readonly<Record<string, unknown>>;

/**
 * Resolves parameters for every host: declared default < globals.yml < inventory vars (group vars,
 * parents before children, then host vars; the inventory already merged those in that order).
 * Every value set by a user is checked once per place it was written.
 */
export class ParameterResolver {
  readonly declared: Map<string, DeclaredParameter>;
  private readonly base: Record<string, unknown> = {};
  private readonly baseSources = new Map<string, LocatedValue["source"]>();
  private readonly checked = new Map<string, string | undefined>();
  readonly problems: Problem[] = [];
  /** globals.yml is not a map: none of its values could be read. */
  globalsUnusable = false;
  /** Parameters globals.yml sets to a rejected value (or does not declare). */
  readonly rejectedGlobals = new Set<string>();

  /**
   * `globals`: globals.yml, or several in order (the deployment's, then its environment's: a later file's
   * parameter wins).
   */
  constructor(declared: Map<string, DeclaredParameter>, globals: YamlSource | undefined | (YamlSource | undefined)[]) {
    this.declared = declared;
    for (const [name, p] of declared) {
      if (p.decl.default !== undefined) this.base[name] = p.decl.default;
      else if (p.decl.nullable) this.base[name] = null;
    }
    for (const g of Array.isArray(globals) ? globals : [globals]) if (g) this.layer(g);
  }

  private layer(globals: YamlSource): void {
    const value = globals.value();
    if (value === null || value === undefined) return;
    if (typeof value !== "object" || Array.isArray(value)) {
      this.problems.push(globals.problem([], "must be a map of parameter names to values"));
      this.globalsUnusable = true;
      return;
    }
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      if (name === "$schema") continue;
      const at = globals.locate([name]);
      if (this.accept(name, v, at, globals.locate([name], { key: true }))) {
        this.base[name] = v;
        this.baseSources.set(name, at);
        this.rejectedGlobals.delete(name);
      } else {
        this.rejectedGlobals.add(name);
      }
    }
  }

  /** Checks one user-set value; records a located problem and returns false when it is wrong. */
  accept(name: string, value: unknown, at: LocatedValue["source"], keyAt: LocatedValue["source"] = at): boolean {
    const p = this.declared.get(name);
    if (!p) {
      const hint = closestName(name, this.declared.keys());
      const key = `${keyAt.file}:${keyAt.line}:${keyAt.column}:${name}:unknown`;
      if (!this.checked.has(key)) {
        this.checked.set(key, "unknown");
        this.problems.push({ ...keyAt, message: `unknown parameter "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}` });
      }
      return false;
    }
    const key = `${at.file}:${at.line}:${at.column}:${name}`;
    let error: string | undefined;
    if (this.checked.has(key)) error = this.checked.get(key);
    else {
      error = parameterValueError(p.decl, value);
      this.checked.set(key, error);
      if (error) this.problems.push({ ...at, message: `parameter "${name}" ${error}` });
    }
    return error === undefined;
  }

  /** The parameters of one host, given its inventory vars (already in precedence order). */
  forHost(vars: Map<string, LocatedValue>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.base };
    for (const [name, lv] of vars) {
      if (this.accept(name, lv.value, lv.source)) out[name] = lv.value;
    }
    return out;
  }

  /** Parameters without a default that nobody set: reported once each, naming the declaring file. */
  missingRequired(hostParams: Iterable<Record<string, unknown>>, enabled: (owner: string) => boolean): Problem[] {
    const out: Problem[] = [];
    const reported = new Set<string>();
    for (const params of hostParams) {
      for (const [name, p] of this.declared) {
        if (reported.has(name) || params[name] !== undefined) continue;
        if (p.owner !== "global" && p.owner !== "enable" && !enabled(p.owner)) continue;
        reported.add(name);
        const where = p.source ? p.source.locate(p.owner === "global" ? ["parameters", name] : ["parameters", name], { key: true }) : { file: p.file };
        out.push({ ...where, message: `parameter "${name}" has no default and is not set: set it in globals.yml or the inventory` });
      }
    }
    return out;
  }

  /** Where globals.yml set a parameter, if it did. */
  globalSource(name: string): LocatedValue["source"] | undefined {
    return this.baseSources.get(name);
  }
}
