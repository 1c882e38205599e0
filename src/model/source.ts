// Reads YAML files keeping positions, so that every error can name file, line, column and path.
import { readFileSync } from "node:fs";
import { Document, isMap, isSeq, isScalar, isPair, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";
import { InputError, type Problem } from "../errors.js";

export type PathSegment = string | number;

/** A parsed YAML file that can tell where any value inside it came from. */
export class YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  /** The plain JS value of the document (null for an empty file). */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
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
    const pos = offset === undefined ? { line: 1, col: 1 } : this.lines.linePos(offset);
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

/** Parses YAML text; syntax errors and duplicate keys become problems with line and column. */
export function parseYaml(file: string, text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
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
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError([{ file, message: code === "ENOENT" ? "file not found" : `cannot read file (${code})` }]);
  }
  return parseYaml(file, text);
}
