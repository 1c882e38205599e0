// Reads YAML files keeping positions, so that every error can name file, line, column and path.
import { createHash } from "node:crypto";
import { isAbsolute, relative, sep } from "node:path";
import { Document, isMap, isSeq, isScalar, isPair, LineCounter, parseDocument, visit, type Node, type Pair, type YAMLMap } from "yaml";
import { InputError, type Problem } from "../errors.js";
import { BUILTIN_YAML } from "../generated/builtin-yaml.js";
import { builtinRolesDir } from "../paths.js";
import { readTextFile } from "./read-text.js";

export type PathSegment = string | number;

/** A parsed YAML file that can tell where any value inside it came from. */
export class YamlSource {
  readonly file: string;
  private parsed: { doc: Document.Parsed; lines: LineCounter } | undefined;
  /** For a source made from a value known in advance: the text, parsed only when a place must be found. */
  private readonly known: { text: string; value: unknown } | undefined;

  constructor(file: string, doc: Document.Parsed, lines: LineCounter);
  constructor(file: string, known: { text: string; value: unknown });
  constructor(file: string, docOrKnown: Document.Parsed | { text: string; value: unknown }, lines?: LineCounter) {
    this.file = file;
    if (lines) this.parsed = { doc: docOrKnown as Document.Parsed, lines };
    else this.known = docOrKnown as { text: string; value: unknown };
  }

  private parse(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new LineCounter();
      const doc = parseDocument(this.known!.text, { lineCounter: lines, ...PARSE_OPTIONS });
      this.parsed = { doc, lines };
    }
    return this.parsed;
  }

  get doc(): Document.Parsed {
    return this.parse().doc;
  }

  /**
   * The plain JS value of the document (null for an empty file); a new copy at every call. Aliases that expand
   * past a bound are an InputError at the first alias.
   */
  value(opts: { mapAsMap?: boolean } = {}): unknown {
    if (this.known && !this.parsed) return structuredClone(this.known.value);
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT, mapAsMap: opts.mapAsMap ?? false });
    } catch (err) {
      // yaml refuses aliases that expand past the bound (a "billion laughs" document): name the first alias.
      if (!(err instanceof ReferenceError) || !/alias/i.test(err.message)) throw err;
      let offset: number | undefined;
      visit(this.doc, {
        Alias: (_key, node) => {
          offset = rangeStart(node);
          return visit.BREAK;
        },
      });
      const pos = this.parse().lines.linePos(offset ?? 0);
      throw new InputError([
        { file: this.file, line: pos.line, column: pos.col, message: `YAML aliases here expand to too many values (more than ${MAX_ALIAS_COUNT}): write the values out instead` },
      ]);
    }
  }

  /**
   * The location of the node at `path`. When the path goes deeper than the document (a missing key),
   * the deepest existing node is named, which is where the user has to add the key.
   * `key: true` points at the key of the last segment rather than its value (for unknown keys).
   */
  locate(path: PathSegment[], opts: { key?: boolean } = {}): Problem & { message: "" } {
    let node: unknown = this.doc.contents;
    let offset: number | undefined = rangeStart(node);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(seg));
        if (!pair) break;
        const last = i === path.length - 1;
        if (last && opts.key) {
          offset = rangeStart(pair.key) ?? offset;
          node = undefined;
          break;
        }
        node = pair.value;
        offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg];
        if (item === undefined) break;
        node = item;
        offset = rangeStart(item) ?? offset;
      } else {
        break;
      }
    }
    const pos = offset === undefined ? { line: 1, col: 1 } : this.parse().lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, path: formatPath(path), message: "" };
  }

  // Maps are indexed once, so locating every value of a large file stays linear.
  private readonly pairIndex = new WeakMap<object, Map<string, Pair>>();
  private pairsOf(map: YAMLMap): Map<string, Pair> {
    let index = this.pairIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (isPair(p) && !index.has(keyString(p.key))) index.set(keyString(p.key), p);
      this.pairIndex.set(map, index);
    }
    return index;
  }

  problem(path: PathSegment[], message: string, opts: { key?: boolean } = {}): Problem {
    return { ...this.locate(path, opts), message };
  }
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === "object" && "range" in node) {
    const r = (node as Node).range;
    if (r) return r[0];
  }
  return undefined;
}

function keyString(k: unknown): string {
  if (isScalar(k)) return String(k.value);
  return String(k);
}

/** `a/b/0/c`: the path notation used in every error message. */
export function formatPath(path: readonly PathSegment[]): string {
  return path.map(String).join("/");
}

/** How many values aliases may expand to in one document (yaml's bound against alias bombs). */
const MAX_ALIAS_COUNT = 1000;

/** How every YAML file is parsed (scripts/gen-builtin-yaml.mjs parses the built-in roles the same way). */
const PARSE_OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true } as const;

/** Parses YAML text; syntax errors and duplicate keys become problems with line and column. */
export function parseYaml(file: string, text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, ...PARSE_OPTIONS });
  const problems: Problem[] = doc.errors.map((e) => {
    // An error found at the end of the text (an unclosed quote on the last line) is placed on that last line,
    // not on the empty line after its final newline.
    const end = text.endsWith("\n") ? text.length - 1 : text.length;
    const pos = e.pos[0] >= end && end > 0 ? lines.linePos(end - 1) : (e.linePos?.[0] ?? lines.linePos(e.pos[0]));
    return {
      file,
      line: pos?.line,
      column: pos?.col,
      path: "",
      message: `invalid YAML: ${e.message.split("\n")[0]}`,
    };
  });
  if (problems.length) throw new InputError(problems);
  return new YamlSource(file, doc, lines);
}

/** Reads and parses a YAML file; a missing file is an InputError naming it. */
export function readYaml(file: string): YamlSource {
  const text = readTextFile(file);
  return builtinSource(file, text) ?? parseYaml(file, text);
}

/**
 * A built-in role file as parsed at build time (src/generated/builtin-yaml.ts), when its text is still the one
 * parsed then; undefined for any other file.
 */
export function builtinSource(file: string, text: string): YamlSource | undefined {
  const rel = relative(builtinRolesDir, file);
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  const entry = BUILTIN_YAML[rel.split(sep).join("/")];
  if (!entry || createHash("sha256").update(text).digest("hex") !== entry.sha256) return undefined;
  return new YamlSource(file, { text, value: entry.value });
}
