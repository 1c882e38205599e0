// Reads Ansible INI inventories unmodified (Kolla-Ansible's multinode and all-in-one included),
// following Ansible's ini plugin: `[group]`, `[group:children]`, `[group:vars]`, hosts before any
// section are `ungrouped`, host ranges, inline `key=value` host vars, `#` and `;` comment lines.
//
// Value types, as Ansible really does it (ansible-core's ini.py, checked against ansible-inventory 2.14):
// host-line values are first split like a shell (quotes removed), then BOTH host-line values and
// `:vars` values go through Python's literal_eval, the text being kept when that fails. So `port=22`
// and `[g:vars] port=22` are both the integer 22, `flag=True` is a boolean, `name="a b"` is "a b",
// and `id='"007"'` (host line) or `id="007"` (:vars) keep the string "007". Ansible's documentation
// says :vars values are strings; its code disagrees and lading follows the code. In a :vars line
// everything after the first `=` is the value, a trailing `# text` included (unless it parses as a
// literal followed by a comment, as `x = 23 # note`).
import type { Problem, SourceLocation } from "../errors.js";
import { expandHostRange, HostRangeError } from "./host-range.js";
import { splitHostEntry } from "./host-address.js";
import { evaluateIniValue } from "./python-literal.js";
import {
  addChildToGroup,
  addHostToGroup,
  ALL_GROUP,
  createRawInventory,
  ensureRawGroup,
  ensureRawHost,
  UNGROUPED_GROUP,
  type RawInventory,
  type RawReference,
} from "./raw-inventory.js";
import { splitShellWords, ShellWordsError } from "./shell-words.js";

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const CHILD_GROUP = /^([^:\]\s]+)\s*(?:#.*)?$/;

type SectionKind = "hosts" | "children" | "vars";

interface ChildEdge {
  parent: string;
  child: RawReference;
}

/** Parses INI inventory text. Problems are collected in the result (`problems`), never thrown. */
export function parseIniInventory(file: string, text: string): RawInventory {
  const raw = createRawInventory(file, "ini");
  const problems = raw.problems;
  // Groups declared by a [name] or [name:children] header; a [name:vars] section alone declares nothing.
  const declared = new Set<string>([ALL_GROUP, UNGROUPED_GROUP]);
  const varsSections: { group: string; source: SourceLocation }[] = [];
  const childEdges: ChildEdge[] = [];

  let group = UNGROUPED_GROUP;
  let kind: SectionKind = "hosts";
  let section = UNGROUPED_GROUP;

  const lines = text.split(/\r\n|\n|\r/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const lineNo = index + 1;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const indent = line.length - line.trimStart().length;
    const at = (column: number, path: string): SourceLocation => ({ file, line: lineNo, column, path });
    const problem = (column: number, path: string, message: string): void => {
      problems.push({ ...at(column, path), message });
    };

    if (trimmed.startsWith("[")) {
      const m = SECTION.exec(trimmed);
      if (!m) {
        problem(
          indent + 1,
          trimmed,
          `invalid section header ${JSON.stringify(trimmed)}: write [group], [group:children] or [group:vars], ` +
            `with no spaces, ":" or "]" in the group name`,
        );
        // Skip the section's lines rather than reading them as hosts of the previous group.
        group = "";
        continue;
      }
      const name = m[1]!;
      const tag = m[2];
      const sectionKind = tag ?? "hosts";
      section = tag ? `${name}:${tag}` : name;
      if (sectionKind !== "hosts" && sectionKind !== "children" && sectionKind !== "vars") {
        problem(indent + 1, `[${section}]`, `section [${section}] has unknown type "${tag}" (use :children or :vars)`);
        group = "";
        continue;
      }
      group = name;
      kind = sectionKind;
      if (kind === "vars") {
        varsSections.push({ group: name, source: at(indent + 1, `[${section}]`) });
      } else {
        declared.add(name);
        ensureRawGroup(raw, name, at(indent + 1, `[${section}]`));
      }
      continue;
    }
    if (group === "") continue; // inside a section whose header was rejected

    const sectionPath = `[${section}]`;
    if (kind === "hosts") {
      parseHostLine(raw, line, lineNo, group, sectionPath);
    } else if (kind === "vars") {
      const eq = line.indexOf("=");
      if (eq < 0) {
        problem(indent + 1, sectionPath, `expected key=value in section ${sectionPath}, got ${JSON.stringify(trimmed)}`);
        continue;
      }
      const key = line.slice(0, eq).trim();
      if (key === "") {
        problem(indent + 1, sectionPath, `missing variable name before "=" in section ${sectionPath}`);
        continue;
      }
      const valueText = line.slice(eq + 1);
      const valueColumn = eq + 2 + (valueText.length - valueText.trimStart().length);
      const target = ensureRawGroup(raw, group);
      target.vars.set(key, { value: evaluateIniValue(valueText.trim()), source: at(valueColumn, `${sectionPath}/${key}`) });
    } else {
      const m = CHILD_GROUP.exec(trimmed);
      if (!m) {
        problem(indent + 1, sectionPath, `expected a group name in section ${sectionPath}, got ${JSON.stringify(trimmed)}`);
        continue;
      }
      childEdges.push({ parent: group, child: { name: m[1]!, source: at(indent + 1, `${sectionPath}/${m[1]}`) } });
    }
  }

  for (const { group: name, source } of varsSections) {
    if (!declared.has(name)) {
      problems.push({ ...source, message: `section [${name}:vars] is for group "${name}", which no [${name}] or [${name}:children] section declares` });
    }
  }
  for (const { parent, child } of childEdges) {
    if (!declared.has(child.name)) {
      // ansible-inventory refuses this too ("includes undefined group").
      problems.push({ ...child.source, message: `section [${parent}:children] includes undefined group "${child.name}"` });
      continue;
    }
    addChildToGroup(ensureRawGroup(raw, parent), child);
  }
  return raw;
}

/** `name[:port] key=value ...`: one host, or several with a range, added to `group` with their vars. */
function parseHostLine(raw: RawInventory, line: string, lineNo: number, group: string, sectionPath: string): void {
  const problems: Problem[] = raw.problems;
  const file = raw.file;
  let words;
  try {
    words = splitShellWords(line);
  } catch (err) {
    if (!(err instanceof ShellWordsError)) throw err;
    problems.push({ file, line: lineNo, column: err.index + 1, path: sectionPath, message: `cannot read host line: ${err.message}` });
    return;
  }
  if (words.length === 0) return; // only a comment after leading spaces
  const first = words[0]!;
  const hostColumn = first.start + 1;
  const hostPath = `${sectionPath}/${first.text}`;
  const fail = (column: number, path: string, message: string): void => {
    problems.push({ file, line: lineNo, column, path, message });
  };

  if (first.text === "---") {
    fail(hostColumn, sectionPath, `host "---" looks like the start of a YAML document: YAML inventories need a .yml name or a mapping`);
    return;
  }
  const entry = splitHostEntry(first.text);
  if (!entry) {
    fail(hostColumn, hostPath, `invalid host "${first.text}": after ":" only a port number may follow`);
    return;
  }
  let names: string[];
  try {
    names = expandHostRange(entry.pattern);
  } catch (err) {
    if (!(err instanceof HostRangeError)) throw err;
    fail(hostColumn, hostPath, err.message);
    return;
  }

  const vars: [string, unknown, SourceLocation][] = [];
  if (entry.port !== undefined) {
    vars.push(["ansible_port", entry.port, { file, line: lineNo, column: first.start + entry.portOffset! + 1, path: `${hostPath}/ansible_port` }]);
  }
  for (const word of words.slice(1)) {
    const eq = word.text.indexOf("=");
    if (eq < 0) {
      fail(word.start + 1, hostPath, `expected key=value after the host name, got ${JSON.stringify(word.text)}`);
      continue;
    }
    const key = word.text.slice(0, eq);
    if (key === "") {
      fail(word.start + 1, hostPath, `missing variable name before "=" in ${JSON.stringify(word.text)}`);
      continue;
    }
    // The column just after `=`: where the value (or its opening quote) starts.
    const valueColumn = word.origins[eq]! + 2;
    vars.push([key, evaluateIniValue(word.text.slice(eq + 1)), { file, line: lineNo, column: valueColumn, path: `${sectionPath}/${first.text}/${key}` }]);
  }

  const target = ensureRawGroup(raw, group);
  for (const name of names) {
    const source: SourceLocation = { file, line: lineNo, column: hostColumn, path: `${sectionPath}/${name}` };
    const host = ensureRawHost(raw, name, source);
    for (const [key, value, where] of vars) {
      host.vars.set(key, { value, source: { ...where, path: `${sectionPath}/${name}/${key}` } });
    }
    addHostToGroup(target, { name, source });
  }
}
