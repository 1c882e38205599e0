// Sets (or unsets) one parameter where an operator would: globals.yml (the environment's with -e), or a group's or a
// host's vars in lading's YAML inventory. The file is edited as a YAML document (comments, order, quoting and
// blank lines kept), the edited text is checked by the deployment's own loader (schemas, rules, full render of
// every host) before anything is written, and it is written atomically (temporary file, then rename). An edit
// that brings a problem the deployment did not have is refused with that problem (file, line, column, path) and
// writes nothing.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { isMap, isScalar, parseDocument, type Document } from "yaml";
import { InputError, type Problem } from "../errors.js";
import type { ParameterScope } from "../generated/api.js";
import { detectInventoryFormat, findInventoryFile } from "../inventory/index.js";
import { environmentDir, type ProjectOptions } from "./project.js";
import { readTextFile } from "./read-text.js";
import { validateDeployment } from "./validate-deployment.js";

export interface ParameterChange {
  name: string;
  scope: ParameterScope;
  /** The new value; ignored with unset. */
  value?: unknown;
  /** Remove the setting at this scope (a lower one, or the default, applies again). */
  unset?: boolean;
}

export interface EditResult {
  /** The file the change goes into. */
  file: string;
  /** Problems the change would bring (none: it is valid). Nothing is written when there is one. */
  problems: Problem[];
  /** Whether the file was written (false for a check, a refused change, or a change to the same text). */
  written: boolean;
  /** The unified diff of the file's text, before -> after. */
  diff: string;
}

/** Checks a change with the deployment's loader and writes nothing. */
export function checkParameterChange(opts: ProjectOptions, change: ParameterChange): EditResult {
  return editParameter(opts, change, { write: false });
}

/**
 * Checks a change and, when it brings no new problem, writes it. Throws InputError for a change that cannot be
 * made at all (no such group or host, an INI inventory, a scalar where a map is needed).
 */
export function editParameter(opts: ProjectOptions, change: ParameterChange, how: { write: boolean } = { write: true }): EditResult {
  const target = targetOf(opts, change);
  const before = existsSync(target.file) ? readTextFile(target.file) : "";
  const doc = parseDocument(before, { keepSourceTokens: false });
  if (doc.errors.length) throw new InputError([{ file: target.file, message: `invalid YAML: fix the file first (${doc.errors[0]!.message.split("\n")[0]})` }]);
  if (target.check) target.check(doc);
  if (change.unset) doc.deleteIn(target.path);
  else setIn(doc, target.path, change.value);
  // A document that was empty (a new globals.yml) starts with its first key.
  const after = doc.contents === null ? "" : doc.toString(styleOf(before));
  const diff = unifiedDiff(target.file, before, after);
  if (after === before) return { file: target.file, problems: [], written: false, diff };
  const problems = newProblems(opts, target.file, after);
  if (problems.length || !how.write) return { file: target.file, problems, written: false, diff };
  writeAtomically(target.file, before, after);
  return { file: target.file, problems: [], written: true, diff };
}

interface Target {
  file: string;
  path: string[];
  /** Refuses a document whose structure cannot take the change (the group or host is not there). */
  check?: (doc: Document) => void;
}

function targetOf(opts: ProjectOptions, change: ParameterChange): Target {
  const dir = resolve(opts.dir ?? ".");
  const envDir = opts.environment !== undefined ? environmentDir(dir, opts.environment) : undefined;
  const { scope, name } = change;
  if (scope.kind === "globals") return { file: join(envDir ?? dir, "globals.yml"), path: [name] };
  const file = opts.inventory ? resolve(opts.inventory) : ((envDir && findInventoryFile(envDir)) || findInventoryFile(dir));
  if (!file) throw new InputError([{ file: envDir ?? dir, message: "no inventory found to write the vars into" }]);
  const format = detectInventoryFormat(file, readTextFile(file));
  if (format !== "yaml") {
    throw new InputError([{ file, message: `${format === "ini" ? "an INI" : "an Ansible YAML"} inventory is edited by hand: lading writes group and host vars into its own YAML inventory only (set the parameter in globals.yml, or edit ${basename(file)})` }]);
  }
  const where = scope.kind === "group" ? ["groups", scope.group] : ["hosts", scope.host];
  // The `all` group's vars are the inventory's top-level vars.
  if (scope.kind === "group" && scope.group === "all") return { file, path: ["vars", name] };
  return {
    file,
    path: [...where, "vars", name],
    check: (doc) => {
      if (!doc.hasIn(where)) throw new InputError([{ file, path: where.join("/"), message: `no ${scope.kind} "${where[1]}" in the inventory` }]);
    },
  };
}

/**
 * How the file is written, so that the lines the edit does not touch come out as they were: yaml re-renders every
 * node, so its choices must be the file's (no folding of long lines, `[a, b]` or `[ a, b ]`, `- x` indented under
 * its key or not).
 */
function styleOf(text: string): { lineWidth: number; flowCollectionPadding: boolean; indentSeq: boolean; indent: number } {
  const count = (re: RegExp): number => text.match(re)?.length ?? 0;
  const padded = count(/[[{] [^\s#]/g) > count(/[[{][^\s\]}#]/g);
  const seqItems = [...text.matchAll(/^( *)[^\s#-][^\n]*:[ \t]*\n( *)- /gm)];
  const indentSeq = seqItems.length === 0 || seqItems.filter((m) => m[2]!.length > m[1]!.length).length >= seqItems.length / 2;
  const indents = [...text.matchAll(/^( *)[^\s#][^\n]*:[ \t]*\n( +)[^\s#-]/gm)].map((m) => m[2]!.length - m[1]!.length).filter((n) => n > 0);
  const indent = indents.length ? Math.min(...indents) : 2;
  return { lineWidth: 0, flowCollectionPadding: padded, indentSeq, indent };
}

/** setIn, making a map of an empty node on the way (`lab1:` with nothing under it). */
function setIn(doc: Document, path: string[], value: unknown): void {
  for (let i = 1; i < path.length; i++) {
    const at = path.slice(0, i);
    const node = doc.getIn(at, true);
    if (node === undefined || isMap(node)) continue;
    const v = doc.getIn(at);
    if (v === null || v === undefined || v === "") doc.setIn(at, doc.createNode({}));
    else throw new InputError([{ file: "(edit)", path: at.join("/"), message: "is not a map: the value cannot be written under it" }]);
  }
  // A scalar keeps its node: its comment, and its quoting where the new value still reads back the same.
  const node = doc.getIn(path, true);
  if (isScalar(node) && (value === null || ["string", "number", "boolean"].includes(typeof value))) node.value = value;
  else doc.setIn(path, doc.createNode(value));
}

/** The problems of the deployment with `text` as `file` that it does not have now (by file, path and message). */
function newProblems(opts: ProjectOptions, file: string, text: string): Problem[] {
  const problemsWith = (texts?: ReadonlyMap<string, string>): Problem[] => {
    try {
      validateDeployment({ ...opts, texts });
      return [];
    } catch (err) {
      if (err instanceof InputError) return err.problems;
      throw err;
    }
  };
  const key = (p: Problem): string => `${p.file}\0${p.path ?? ""}\0${p.message}`;
  const had = new Set(problemsWith().map(key));
  return problemsWith(new Map([[file, text]])).filter((p) => !had.has(key(p)));
}

/** Temporary file beside it with the file's mode, then rename; refused when the file changed since it was read. */
function writeAtomically(file: string, before: string, after: string): void {
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o644;
  const tmp = join(dirname(file), `.${basename(file)}.lading-${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, after, { mode, flag: "wx" });
    const now = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (now !== before) throw new InputError([{ file, message: "changed on disk while the edit was checked: nothing was written, try again" }]);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return "";
  const lib = createRequire(import.meta.url)("diff") as typeof import("diff");
  return lib.createTwoFilesPatch(basename(file), basename(file), before, after, undefined, undefined, { context: 2 }).split("\n").slice(2).filter((l) => l !== "\\ No newline at end of file").join("\n");
}
