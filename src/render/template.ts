// Compiles lading's logic-less Handlebars templates into plain closures.
// Handlebars parses (so syntax, whitespace control and parse errors stay Handlebars'); we compile only the
// subset templates may use: text, {{path}}, {{{path}}}, {{#each}}/{{#if}}/{{#unless}} with {{else}}, comments.
// Rendering follows Handlebars 4.7 with strict: true, noEscape: true, knownHelpersOnly (each/if/unless) and
// assumeObjects, byte for byte, except that errors are located and plain (see TemplateError).
// Why not Handlebars' own compiler: its generated code re-renders a 1000-host {{#each}} for every host;
// here an {{#each}} whose body reads only the loop items and values equal for every host is rendered once
// per render session (see RenderMemo).
import { parse as parseHandlebars } from "handlebars/dist/cjs/handlebars/compiler/base.js";
import { syntaxErrorPlace } from "./syntax-error-place.js";

type Node = hbs.AST.Node;
type Program = hbs.AST.Program;
type PathExpression = hbs.AST.PathExpression;

/**
 * A template error with its place in the template (1-based line and column) when known, and `path`: the
 * expression at fault as written (`secrets.db_pasword`, `upper`), so that an error names what to fix.
 */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
    readonly path?: string,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

/**
 * Caches of {{#each}} output for one render session (one renderProject call): a list that is the same
 * object for every host, read with the same outer values, is rendered once. Lists are keyed by identity,
 * so a session must not outlive the values it renders (make one per render; never mutate a rendered list).
 */
export class RenderMemo {
  /** Per {{#each}} block id: list -> entries of (outer values read by the body, output). */
  readonly blocks = new Map<number, WeakMap<object, MemoEntry[]>>();
  hits = 0;
  misses = 0;
}

interface MemoEntry {
  keys: unknown[];
  output: string;
}

/** A compiled template: both methods throw TemplateError for a missing value. */
export interface CompiledTemplate {
  render(context: unknown, memo?: RenderMemo): string;
  /**
   * The outputs of the template's top-level statements, in order (render() is their concatenation), so that
   * a caller can examine a large output piece by piece: a top-level {{#each}} taken from the memo stays
   * one string shared by every host, never copied.
   */
  renderParts(context: unknown, memo?: RenderMemo): string[];
}

/** Names a block helper may have: the logic-less subset. */
const BLOCK_HELPERS = new Set(["each", "if", "unless"]);
/** Names Handlebars would treat as helpers in {{name}} (its built-ins): refused as values. */
const HELPER_NAMES = new Set(["each", "if", "unless", "helperMissing", "blockHelperMissing"]);
const DATA_VARIABLES = new Set(["index", "first", "last", "key"]);
const LOGIC_LESS = "templates are logic-less (each, if, unless only)";

// Handlebars' stand-in for a null context handed to a block helper (Object.seal({}) in its runtime).
const NULL_CONTEXT: object = Object.seal({});
const hasOwn = Object.prototype.hasOwnProperty;

/** The chain of contexts `../` climbs: depths[0] is the current one (Handlebars' `depths` array). */
interface Depths {
  head: unknown;
  tail: Depths | undefined;
}

/** @index, @first, @last, @key of the innermost {{#each}}. */
interface Frame {
  key: unknown;
  index: number;
  first: boolean;
  last: boolean;
}

type Render = (ctx: unknown, depths: Depths, data: Frame | undefined, memo: RenderMemo | undefined) => string;
type Read = (ctx: unknown, depths: Depths, data: Frame | undefined) => unknown;

/** What the compiler knows about where a node sits. */
interface Scope {
  /** How many {{#each}} bodies enclose the node: `../` may climb at most this far. */
  eachDepth: number;
  /**
   * Whether the enclosing program (or a block inside it) climbs with `../`. Handlebars tracks levels only
   * for the blocks of such programs (comparing each new context with the current one, a comparison that
   * can itself throw), so we do the same.
   */
  useDepths: boolean;
}

let nextBlockId = 0;
// Set when an {{#each}} iteration did not get its own `../` level (Handlebars skips it when the item
// equals the enclosing context): such output depends on more than the memo key, so it is not cached.
let sawUnpushedIteration = false;

/**
 * Compiles `text`. Throws TemplateError (located) for a syntax error or anything outside the subset:
 * helpers other than each/if/unless, partials, decorators, subexpressions, hash arguments, block params.
 */
export function compileTemplate(text: string): CompiledTemplate {
  let ast: Program;
  try {
    ast = parseHandlebars(text);
  } catch (err) {
    throw parseError(err, text);
  }
  const parts = compileParts(ast, { eachDepth: 0, useDepths: false });
  const main = joinParts(parts);
  return {
    render(context: unknown, memo?: RenderMemo): string {
      sawUnpushedIteration = false;
      return main(context, { head: context, tail: undefined }, undefined, memo);
    },
    renderParts(context: unknown, memo?: RenderMemo): string[] {
      sawUnpushedIteration = false;
      const depths = { head: context, tail: undefined };
      return parts.map((p) => (typeof p === "string" ? p : p(context, depths, undefined, memo)));
    },
  };
}

/** Handlebars' parse errors, said plainly and located at the tag or block left open when that is the cause. */
function parseError(err: unknown, text: string): TemplateError {
  const place = syntaxErrorPlace(text);
  if (place) return new TemplateError(place.message, place.line, place.column, place.expression || undefined);
  const e = err as Error & { lineNumber?: number; column?: number };
  const raw = e instanceof Error ? e.message : String(err);
  const m = /line (\d+)/.exec(raw);
  const line = e.lineNumber ?? (m ? Number(m[1]) : undefined);
  return new TemplateError(explainParseError(raw), line, e.column !== undefined ? e.column + 1 : undefined);
}

/**
 * Handlebars' parse errors end with a list of grammar tokens ("Expecting 'OPEN_ENDBLOCK', ..., got 'EOF'")
 * and its other messages with a " - line:column" the error has already.
 */
function explainParseError(raw: string): string {
  const lines = raw.split("\n");
  const got = /got '([^']+)'$/.exec(lines[lines.length - 1] ?? "");
  if (lines[0]?.startsWith("Parse error") && got) {
    if (got[1] === "EOF") return "the template ends inside a {{ }} tag or an open {{#block}} (a missing }} or {{/block}})";
    return `unexpected ${got[1]} near ${JSON.stringify(lines[1] ?? "")}`;
  }
  return (lines[0] ?? raw).replace(/ - \d+:\d+$/, "");
}

function refuse(node: Node, message: string): TemplateError {
  return new TemplateError(message, node.loc?.start.line, node.loc ? node.loc.start.column + 1 : undefined, expressionOf(node));
}

/** The name a statement or expression is written with ({{name ...}}, {{#name}}, {{> name}}), if it has one. */
function expressionOf(node: Node): string | undefined {
  const named = node as { path?: Node; name?: Node };
  const target = node.type === "PathExpression" ? node : (named.path ?? named.name);
  return target?.type === "PathExpression" ? (target as PathExpression).original : undefined;
}

/** Whether any path in `node` has a `../`. */
function climbsAnywhere(node: Node | undefined): boolean {
  if (!node) return false;
  switch (node.type) {
    case "Program":
      return (node as Program).body.some(climbsAnywhere);
    case "PathExpression":
      return (node as PathExpression).depth > 0;
    case "MustacheStatement":
      return climbsAnywhere((node as hbs.AST.MustacheStatement).path);
    case "BlockStatement": {
      const b = node as hbs.AST.BlockStatement;
      return b.params.some(climbsAnywhere) || climbsAnywhere(b.program) || climbsAnywhere(b.inverse);
    }
    default:
      return false;
  }
}

function compileProgram(program: Program, outer: Scope): Render {
  return joinParts(compileParts(program, outer));
}

/** A program's statements: text (adjacent texts merged) and closures. */
function compileParts(program: Program, outer: Scope): (string | Render)[] {
  const scope: Scope = { ...outer, useDepths: climbsAnywhere(program) };
  const parts: (string | Render)[] = [];
  for (const node of program.body) {
    const part = compileStatement(node, scope);
    if (part === undefined) continue;
    const prev = parts[parts.length - 1];
    if (typeof part === "string" && typeof prev === "string") parts[parts.length - 1] = prev + part;
    else parts.push(part);
  }
  return parts;
}

function joinParts(parts: (string | Render)[]): Render {
  if (parts.length === 0) return () => "";
  if (parts.length === 1) {
    const only = parts[0]!;
    return typeof only === "string" ? () => only : only;
  }
  return (ctx, depths, data, memo) => {
    let out = "";
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      out += typeof p === "string" ? p : p(ctx, depths, data, memo);
    }
    return out;
  };
}

function compileStatement(node: Node, scope: Scope): string | Render | undefined {
  switch (node.type) {
    case "ContentStatement": {
      const value = (node as hbs.AST.ContentStatement).value;
      return value === "" ? undefined : value;
    }
    case "CommentStatement":
      return undefined;
    case "MustacheStatement":
      return compileMustache(node as hbs.AST.MustacheStatement, scope);
    case "BlockStatement":
      return compileBlock(node as hbs.AST.BlockStatement, scope);
    case "PartialStatement":
    case "PartialBlockStatement":
      throw refuse(node, `partials ({{> name}}) are not supported: ${LOGIC_LESS}`);
    case "Decorator":
    case "DecoratorBlock":
      throw refuse(node, `decorators ({{* name}}) are not supported: ${LOGIC_LESS}`);
    default:
      throw refuse(node, `${node.type} is not supported: ${LOGIC_LESS}`);
  }
}

/** The helper name of a call, as Handlebars would see it (a single plain identifier), or undefined. */
function helperName(path: Node): string | undefined {
  if (path.type !== "PathExpression") return undefined;
  const p = path as PathExpression;
  return p.parts.length === 1 && !p.data && p.depth === 0 && !/^(this|\.)/.test(p.original) ? p.parts[0] : undefined;
}

function hasHash(node: { hash?: hbs.AST.Hash }): boolean {
  return node.hash !== undefined && node.hash.pairs.length > 0;
}

function compileMustache(node: hbs.AST.MustacheStatement, scope: Scope): Render {
  const name = helperName(node.path);
  if (node.params.length || hasHash(node)) {
    if (name !== undefined && BLOCK_HELPERS.has(name)) throw refuse(node, `{{${name}}} must be a block: {{#${name} …}}…{{/${name}}}`);
    throw refuse(node, `unknown helper "${name ?? (node.path as PathExpression).original}": ${LOGIC_LESS}`);
  }
  if (node.path.type !== "PathExpression") throw refuse(node, `literal values in {{ }} are not supported: write the text itself`);
  if (name !== undefined && HELPER_NAMES.has(name)) throw refuse(node, `{{${name}}} must be a block: {{#${name} …}}…{{/${name}}}`);
  const read = compilePath(node.path as PathExpression, scope, true);
  return (ctx, depths, data) => {
    const v = read(ctx, depths, data);
    return v == null ? "" : "" + (v as string);
  };
}

function compileBlock(node: hbs.AST.BlockStatement, scope: Scope): Render {
  const blockParams = node.program?.blockParams ?? [];
  if (blockParams.length) throw refuse(node, `block parameters (as |${blockParams.join(" ")}|) are not supported: ${LOGIC_LESS}`);
  const name = helperName(node.path);
  if (name === undefined || !BLOCK_HELPERS.has(name)) {
    const shown = (node.path as PathExpression).original ?? node.path.type;
    if (node.params.length || hasHash(node)) throw refuse(node, `unknown helper "${shown}": ${LOGIC_LESS}`);
    throw refuse(node, `only {{#each list}}, {{#if value}} and {{#unless value}} blocks are supported, not {{${node.program ? "#" : "^"}${shown}}}`);
  }
  if (hasHash(node)) throw refuse(node, `{{#${name}}} takes no hash arguments (key=value)`);
  if (node.params.length !== 1) throw refuse(node, `{{#${name}}} takes exactly one value, e.g. {{#${name} ${name === "each" ? "list" : "value"}}}`);
  const param = node.params[0]!;
  if (param.type === "SubExpression") {
    const sub = param as hbs.AST.SubExpression;
    throw refuse(param, `unknown helper "${(sub.path as PathExpression).original ?? sub.path.type}": ${LOGIC_LESS}`);
  }
  if (param.type !== "PathExpression") throw refuse(param, `{{#${name}}} takes a value from the context, not a literal`);
  const read = compilePath(param as PathExpression, scope, false);
  if (name === "each") return compileEach(node, read, scope);

  const program = node.program ? compileProgram(node.program, scope) : undefined;
  const inverse = node.inverse ? compileProgram(node.inverse, scope) : undefined;
  const [whenTrue, whenFalse] = name === "if" ? [program, inverse] : [inverse, program];
  return (ctx, depths, data, memo) => {
    const self = ctx != null ? ctx : NULL_CONTEXT;
    const branch = isTruthy(read(ctx, depths, data)) ? whenTrue : whenFalse;
    if (!branch) return "";
    return scope.useDepths ? callProgram(branch, self, depths, data, memo) : branch(self, depths, data, memo);
  };
}

/** Handlebars' #if: false for false, undefined, null, "", 0, NaN and []. */
function isTruthy(v: unknown): boolean {
  if (!v) return false;
  return !(Array.isArray(v) && v.length === 0);
}

/** Runs a block's program with `ctx`, adding a `../` level as Handlebars does (only when the context changes). */
function callProgram(program: Render, ctx: unknown, depths: Depths, data: Frame | undefined, memo: RenderMemo | undefined): string {
  // Loose != on purpose: Handlebars compares `context != depths[0]`.
  const pushed = ctx != depths.head && !(ctx === NULL_CONTEXT && depths.head === null);
  return program(ctx, pushed ? { head: ctx, tail: depths } : depths, data, memo);
}

function compileEach(node: hbs.AST.BlockStatement, readList: Read, scope: Scope): Render {
  const body = node.program ? compileProgram(node.program, { ...scope, eachDepth: scope.eachDepth + 1 }) : undefined;
  const inverse = node.inverse ? compileProgram(node.inverse, scope) : undefined;
  // The values outside the loop item that the body reads: [how many levels above the each's context, path].
  const outer = node.program ? outerReads(node.program) : [];
  const id = nextBlockId++;

  /** Renders every item; undefined when there is none (then the inverse runs). */
  const renderItems = (list: unknown, depths: Depths, memo: RenderMemo | undefined): string | undefined => {
    if (!list || typeof list !== "object") return undefined;
    let items: unknown[] | undefined;
    let keys: string[] | undefined;
    if (Array.isArray(list)) items = list;
    else if (typeof (list as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") items = [...(list as Iterable<unknown>)];
    else keys = Object.keys(list);
    const frame: Frame = { key: undefined, index: 0, first: false, last: false };
    let out = "";
    let ran = false;
    const n = items ? items.length : keys!.length;
    for (let i = 0; i < n; i++) {
      let item: unknown;
      if (items) {
        if (!(i in items)) continue; // a hole of a sparse array, skipped as Handlebars does
        item = items[i];
        frame.key = i;
      } else {
        frame.key = keys![i];
        item = (list as Record<string, unknown>)[keys![i]!];
      }
      ran = true;
      frame.index = i;
      frame.first = i === 0;
      frame.last = i === n - 1;
      if (!body) continue;
      if (scope.useDepths) {
        if (!(item != depths.head)) sawUnpushedIteration = true;
        out += callProgram(body, item, depths, frame, memo);
      } else {
        out += body(item, depths, frame, memo);
      }
    }
    return ran ? out : undefined;
  };

  return (ctx, depths, data, memo) => {
    const list = readList(ctx, depths, data);
    let out: string | undefined;
    if (memo && list !== null && typeof list === "object") out = renderItemsMemoized(list, depths, data, memo);
    else out = renderItems(list, depths, memo);
    if (out !== undefined) return out;
    if (!inverse) return "";
    const self = ctx != null ? ctx : NULL_CONTEXT;
    return scope.useDepths ? callProgram(inverse, self, depths, data, memo) : inverse(self, depths, data, memo);
  };

  function renderItemsMemoized(list: object, depths: Depths, data: Frame | undefined, memo: RenderMemo): string | undefined {
    const keys: unknown[] = [];
    for (const read of outer) {
      const v = readLoose(climb(depths, read.up), read.parts);
      if (v === UNREADABLE) return renderItems(list, depths, memo);
      keys.push(v);
    }
    let byList = memo.blocks.get(id);
    if (!byList) memo.blocks.set(id, (byList = new WeakMap()));
    const entries = byList.get(list);
    if (entries) {
      for (const e of entries) {
        if (sameKeys(e.keys, keys) && !(scope.useDepths && containsLoosely(list, depths.head))) {
          memo.hits++;
          return e.output;
        }
      }
    }
    memo.misses++;
    const outerUnpushed = sawUnpushedIteration;
    sawUnpushedIteration = false;
    const out = renderItems(list, depths, memo);
    const cacheable = !sawUnpushedIteration;
    sawUnpushedIteration ||= outerUnpushed;
    if (out === undefined || !cacheable) return out;
    const entry = { keys, output: out };
    if (!entries) byList.set(list, [entry]);
    else {
      // A few variants per list (hosts may read different outer values); the oldest goes first.
      if (entries.length >= 4) entries.shift();
      entries.push(entry);
    }
    return out;
  }
}

/** Whether an item of `list` equals `ctx` as Handlebars compares them (then it adds no `../` level). */
function containsLoosely(list: object, ctx: unknown): boolean {
  const values = Array.isArray(list) ? list : typeof (list as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function" ? [...(list as Iterable<unknown>)] : Object.values(list);
  for (const v of values) if (v == ctx) return true;
  return false;
}

function sameKeys(a: unknown[], b: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

interface OuterRead {
  /** 0: the context the {{#each}} stands in; 1: the one above it... */
  up: number;
  parts: string[];
}

/** Every path in `program` (an {{#each}} body) that reads above the loop item. */
function outerReads(program: Program): OuterRead[] {
  const out: OuterRead[] = [];
  const seen = new Set<string>();
  const visitPath = (p: Node, nesting: number): void => {
    if (p.type !== "PathExpression") return;
    const path = p as PathExpression;
    if (path.data || path.depth <= nesting) return;
    const read = { up: path.depth - nesting - 1, parts: path.parts };
    const k = `${read.up}/${read.parts.join("/")}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(read);
    }
  };
  const visit = (node: Node | undefined, nesting: number): void => {
    if (!node) return;
    switch (node.type) {
      case "Program":
        for (const s of (node as Program).body) visit(s, nesting);
        break;
      case "MustacheStatement":
        visitPath((node as hbs.AST.MustacheStatement).path, nesting);
        break;
      case "BlockStatement": {
        const b = node as hbs.AST.BlockStatement;
        for (const p of b.params) visitPath(p, nesting);
        const each = helperName(b.path) === "each";
        visit(b.program, each ? nesting + 1 : nesting);
        visit(b.inverse, nesting);
        break;
      }
    }
  };
  visit(program, 0);
  return out;
}

function climb(depths: Depths, up: number): unknown {
  let d: Depths | undefined = depths;
  for (let i = 0; i < up && d; i++) d = d.tail;
  return d ? d.head : undefined;
}

const UNREADABLE = Symbol("unreadable");

/** A path's value for a memo key: like a block argument, but UNREADABLE where reading would throw. */
function readLoose(base: unknown, parts: string[]): unknown {
  let v = base;
  for (const part of parts) {
    if (v == null) return UNREADABLE;
    v = lookupProperty(v, part);
  }
  return v;
}

/** Handlebars' lookupProperty: own properties only (prototype access is denied). */
function lookupProperty(parent: unknown, name: string): unknown {
  const result = (parent as Record<string, unknown>)[name];
  if (result == null) return result;
  return hasOwn.call(parent, name) ? result : undefined;
}

/**
 * Compiles a path. `strict` (a {{value}}): every step must exist, else "missing value". Otherwise (a block's
 * argument), a missing last step is undefined, as in Handlebars' strict mode.
 */
function compilePath(path: PathExpression, scope: Scope, strict: boolean): Read {
  const { parts, depth } = path;
  const line = path.loc?.start.line;
  const column = path.loc ? path.loc.start.column + 1 : undefined;
  // Names the shortest part of the path that is missing: {{host.nmae}} -> "host.nmae", {{a.b.c}} -> "a".
  const missing = (upTo: number): TemplateError => {
    const shown = `${"../".repeat(depth)}${parts.slice(0, upTo + 1).join(".")}`;
    return new TemplateError(`missing value "${shown}": not a parameter, secret, computed value or context key`, line, column, shown);
  };

  if (path.data) {
    const name = parts[0] ?? "";
    if (depth > 0 || parts.length !== 1 || !DATA_VARIABLES.has(name)) {
      throw refuse(path, `unknown data variable "${path.original}": only @index, @first, @last and @key (inside {{#each}})`);
    }
    if (scope.eachDepth === 0) throw refuse(path, `"${path.original}" is only defined inside {{#each}}`);
    return (_ctx, _depths, data) => data![name as keyof Frame];
  }
  if (depth > scope.eachDepth) {
    throw refuse(path, `"${path.original}" climbs above the template: only ${scope.eachDepth} {{#each}} level(s) enclose it`);
  }

  const n = parts.length;
  return (ctx, depths, _data) => {
    let v: unknown = depth === 0 ? ctx : climb(depths, depth);
    if (n === 0) return v;
    const last = strict ? n - 1 : n;
    for (let i = 0; i < last; i++) {
      if (v == null) throw missing(i === 0 ? 0 : i - 1);
      v = lookupProperty(v, parts[i]!);
    }
    if (!strict) return v;
    const name = parts[n - 1]!;
    if (v == null) throw missing(n >= 2 ? n - 2 : 0);
    if ((typeof v !== "object" && typeof v !== "function") || !hasOwn.call(v, name)) throw missing(n - 1);
    return (v as Record<string, unknown>)[name];
  };
}
