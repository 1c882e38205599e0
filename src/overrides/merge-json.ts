// Merges operators' JSON snippets over a rendered JSON config file (same rule as YAML overrides).
import { InputError } from "../errors.js";
import { deepMerge, isPlainMap } from "./deep-merge.js";
import type { OverrideText } from "./override-text.js";

/**
 * `base` with each override deep-merged in order (see deepMerge: maps merge, lists and scalars are replaced,
 * null sets null). An override must be an object (or empty). Output: two-space indented JSON and a newline.
 */
export function mergeJson(base: string, overrides: OverrideText[], opts: { baseFile?: string } = {}): string {
  let merged = parseJson(opts.baseFile ?? "<rendered>", base);
  for (const override of overrides) {
    if (override.text.trim() === "") continue;
    const value = parseJson(override.file, override.text);
    if (!isPlainMap(value)) throw new InputError([{ file: override.file, line: 1, message: "an override must be a JSON object of keys to merge" }]);
    if (merged !== undefined && !isPlainMap(merged)) {
      throw new InputError([{ file: opts.baseFile ?? "<rendered>", line: 1, message: "takes overrides, so it must be a JSON object" }]);
    }
    merged = deepMerge(merged ?? {}, value);
  }
  return merged === undefined ? "" : `${JSON.stringify(merged, null, 2)}\n`;
}

/** JSON.parse with the error's line and column; undefined for an empty text. */
function parseJson(file: string, text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.trimEnd().length : undefined;
    const where = offset === undefined ? {} : lineAndColumn(text, offset);
    const reason = message.replace(/ (in JSON )?at position \d+.*$/s, "").replace(/, ".*" is not valid JSON$/s, "");
    return failWith(file, where, `invalid JSON: ${reason}`);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function failWith(file: string, where: { line?: number; column?: number }, message: string): never {
  throw new InputError([{ file, ...where, message }]);
}
