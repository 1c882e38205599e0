// Merges operators' INI snippets over a rendered config file, like Kolla-Ansible's merge_configs with
// oslo.config semantics: an override's key replaces that key's value(s) in its section; the rest stays.
import type { OverrideText } from "./override-text.js";
import { iniOptions, parseIni, type IniDocument, type IniLine, type IniSection } from "./parse-ini.js";

/**
 * `base` with each override applied in order. Rules:
 * - a key of an override replaces every occurrence of that key in the same section of the base, at the place
 *   of its first occurrence; a key the override repeats (a multi-valued option) replaces the base's whole list;
 * - keys the override does not name stay, with the base's comments and layout;
 * - keys new to a section go after its last option; sections new to the base are appended in override order;
 * - `[DEFAULT]` is a section like any other; keys and section names are case-sensitive.
 * Parse errors of the base or of an override throw one InputError naming file and line.
 */
export function mergeIni(base: string, overrides: OverrideText[], opts: { baseFile?: string } = {}): string {
  const doc = parseIni(opts.baseFile ?? "<rendered>", base);
  for (const override of overrides) applyIniOverride(doc, parseIni(override.file, override.text));
  return renderIni(doc);
}

function applyIniOverride(doc: IniDocument, override: IniDocument): void {
  for (const [name, options] of iniOptions(override)) {
    let sections = doc.sections.filter((s) => s.name === name);
    if (!sections.length) {
      const last = doc.sections.at(-1);
      // A blank line between the previous section and the new one, as people write them.
      if (last && last.lines.at(-1)?.kind !== "blank") last.lines.push({ kind: "blank", raw: "" });
      const created: IniSection = { name, lines: [] };
      doc.sections.push(created);
      sections = [created];
    }
    for (const [key, values] of options) {
      const replacement: IniLine[] = values.map((value) => ({ kind: "option", key, value, raw: renderOption(key, value), line: 0 }));
      let placed = false;
      for (const section of sections) {
        const kept: IniLine[] = [];
        for (const line of section.lines) {
          if (line.kind === "option" && line.key === key) {
            if (!placed) kept.push(...replacement);
            placed = true;
          } else {
            kept.push(line);
          }
        }
        section.lines = kept;
      }
      if (!placed) {
        const target = sections.at(-1)!;
        target.lines.splice(insertionPoint(target), 0, ...replacement);
      }
    }
  }
}

/** After the section's last option (a comment below it may introduce what follows), else after its last comment. */
function insertionPoint(section: IniSection): number {
  let lastOption = -1;
  let lastContent = -1;
  section.lines.forEach((line, i) => {
    if (line.kind === "option") lastOption = i;
    if (line.kind !== "blank") lastContent = i;
  });
  return (lastOption >= 0 ? lastOption : lastContent) + 1;
}

/** `key = value`, each further line of the value indented below it. */
function renderOption(key: string, value: string[]): string[] {
  const [first = "", ...rest] = value;
  return [first === "" ? `${key} =` : `${key} = ${first}`, ...rest.map((v) => `    ${v}`)];
}

function renderIni(doc: IniDocument): string {
  const out: string[] = doc.preamble.map((l) => l.raw);
  for (const section of doc.sections) {
    out.push(section.header ?? `[${section.name}]`);
    for (const line of section.lines) {
      if (line.kind === "option") out.push(...line.raw);
      else out.push(line.raw);
    }
  }
  return out.length ? `${out.join("\n")}\n` : "";
}
