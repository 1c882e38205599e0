// Reads INI files the way oslo.config does (the format of OpenStack's and many services' configs), keeping
// every line so that a merge can rewrite only what an override changes.
import { InputError, type Problem } from "../errors.js";

/** A line that carries no option: kept as written. */
export interface IniTextLine {
  kind: "blank" | "comment";
  raw: string;
}

/** `key = value`, with the indented continuation lines that belong to it. */
export interface IniOption {
  kind: "option";
  key: string;
  /** The value's lines, trimmed: the first after `=`, then each continuation line. */
  value: string[];
  /** The lines as written (for output when the option is left alone). */
  raw: string[];
  /** 1-based line of the key. */
  line: number;
}

export type IniLine = IniTextLine | IniOption;

export interface IniSection {
  name: string;
  lines: IniLine[];
  /** The header as written; undefined for a section created by a merge. */
  header?: string;
}

export interface IniDocument {
  /** Comments and blank lines before the first section. */
  preamble: IniTextLine[];
  /** Sections in file order; a name may appear more than once (it is then one section, as in oslo.config). */
  sections: IniSection[];
}

/**
 * Parses INI text: `[section]` headers; `key = value` or `key: value` (the first `=` or `:` splits, whitespace
 * around it is trimmed); lines starting with `#` or `;` are comments; indented lines continue the value above
 * them until a blank line or a comment. Every option must be inside a section. Throws InputError listing
 * every line that is none of these.
 */
export function parseIni(file: string, text: string): IniDocument {
  const doc: IniDocument = { preamble: [], sections: [] };
  const problems: Problem[] = [];
  let section: IniSection | undefined;
  let option: IniOption | undefined;
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const push = (line: IniLine): void => {
    if (section) section.lines.push(line);
    else if (line.kind !== "option") doc.preamble.push(line);
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "") {
      option = undefined;
      push({ kind: "blank", raw });
      return;
    }
    if (/^[ \t]/.test(raw)) {
      if (option) {
        option.value.push(trimmed);
        option.raw.push(raw);
        return;
      }
      if (trimmed.startsWith("#") || trimmed.startsWith(";")) {
        push({ kind: "comment", raw });
        return;
      }
      problems.push({ file, line: lineNo, column: 1, message: "indented line continues no option (nothing above it to continue)" });
      return;
    }
    option = undefined;
    if (raw.startsWith("[")) {
      const name = raw.trimEnd().endsWith("]") ? raw.trimEnd().slice(1, -1).trim() : "";
      if (!name) {
        problems.push({ file, line: lineNo, column: 1, message: "invalid section header: expected [name]" });
        return;
      }
      section = { name, lines: [], header: raw };
      doc.sections.push(section);
      return;
    }
    if (raw.startsWith("#") || raw.startsWith(";")) {
      push({ kind: "comment", raw });
      return;
    }
    const split = raw.search(/[=:]/);
    if (split < 0) {
      problems.push({ file, line: lineNo, column: 1, message: `expected "key = value", a [section] or a # comment` });
      return;
    }
    const key = raw.slice(0, split).trim();
    if (!key) {
      problems.push({ file, line: lineNo, column: 1, message: "option without a key" });
      return;
    }
    if (!section) {
      problems.push({ file, line: lineNo, column: 1, message: `option "${key}" before any [section]` });
      return;
    }
    option = { kind: "option", key, value: [raw.slice(split + 1).trim()], raw: [raw], line: lineNo };
    section.lines.push(option);
  });
  if (problems.length) throw new InputError(problems);
  return doc;
}

/**
 * The options of a document as oslo.config sees them: section -> key -> every occurrence's value lines
 * (a key written twice in a section is a multi-valued option). Sections and keys in first-seen order.
 */
export function iniOptions(doc: IniDocument): Map<string, Map<string, string[][]>> {
  const out = new Map<string, Map<string, string[][]>>();
  for (const section of doc.sections) {
    let options = out.get(section.name);
    if (!options) out.set(section.name, (options = new Map()));
    for (const line of section.lines) {
      if (line.kind !== "option") continue;
      const values = options.get(line.key);
      if (values) values.push(line.value);
      else options.set(line.key, [line.value]);
    }
  }
  return out;
}
