// Finds and loads an inventory file, choosing the reader by content: Ansible INI, lading's YAML
// (defaults/hosts/groups) or Ansible's YAML (a top-level `all:`).
import { existsSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { InputError, type Problem } from "../errors.js";
import { readTextFile } from "../model/read-text.js";
import { parseYaml, type YamlSource } from "../model/source.js";
import { parseAnsibleYamlInventory } from "./ansible-yaml-inventory.js";
import { parseIniInventory } from "./ini-inventory.js";
import type { Inventory, InventoryFormat } from "./inventory.js";
import type { RawInventory } from "./raw-inventory.js";
import { resolveInventory } from "./resolve-inventory.js";
import { parseLadingYamlInventory } from "./yaml-inventory.js";

/** File names looked for in a deployment directory, first found wins (Kolla's names last). */
export const INVENTORY_FILE_NAMES = ["inventory.yml", "inventory.yaml", "inventory", "multinode", "all-in-one"] as const;

/** The inventory file of deployment directory `dir`, or undefined when it holds none. */
export function findInventoryFile(dir: string): string | undefined {
  for (const name of INVENTORY_FILE_NAMES) {
    const candidate = join(dir, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Which reader a file needs. `.yml`/`.yaml` files are YAML and `.ini` files INI; otherwise a file whose
 * first meaningful line is a `[section]`, or whose text is not a YAML mapping, is INI.
 * A YAML mapping with a top-level `all` key is Ansible's YAML format, any other mapping lading's.
 */
export function detectInventoryFormat(file: string, text: string): InventoryFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".ini") return "ini";
  const yamlByName = ext === ".yml" || ext === ".yaml";
  if (!yamlByName) {
    const first = text.split(/\r\n|\n|\r/).map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#") && !l.startsWith(";"));
    if (first === undefined || first.startsWith("[")) return "ini";
  }
  // A .yml file is YAML: only the kind is in question, and an Ansible YAML inventory starts with a
  // top-level `all:` key. A line test is enough and spares parsing a large file twice.
  if (yamlByName && !/^\{/m.test(text.trimStart())) return /^all\s*:/m.test(text) ? "ansible-yaml" : "yaml";
  const doc = parseDocument(text);
  const contents = doc.contents;
  if (!isMap(contents)) return yamlByName ? "yaml" : "ini";
  if (!yamlByName && doc.errors.length > 0) return "ini";
  const hasAll = contents.items.some((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key) === "all");
  return hasAll ? "ansible-yaml" : "yaml";
}

/** Reads, parses and resolves an inventory; every problem in it is thrown at once as an InputError. */
export function loadInventory(file: string): Inventory {
  return parseInventory(file, readTextFile(file, "inventory file not found"));
}

/** Like loadInventory, from text already read (tests, generated inventories). */
export function parseInventory(file: string, text: string): Inventory {
  return resolveInventory(readRawInventory(file, text));
}

function readRawInventory(file: string, text: string): RawInventory {
  const format = detectInventoryFormat(file, text);
  if (format === "ini") return parseIniInventory(file, text);
  const source = parseYamlLocated(file, text);
  const value = source.value();
  if (value === null || value === undefined) {
    throw new InputError([{ file, line: 1, column: 1, message: "the inventory is empty" }]);
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InputError([{ file, line: 1, column: 1, message: "a YAML inventory must be a mapping (defaults, hosts, groups)" }]);
  }
  return format === "ansible-yaml" ? parseAnsibleYamlInventory(source) : parseLadingYamlInventory(source);
}

/**
 * parseYaml, with a line and column on every syntax problem: with prettyErrors off the yaml library
 * gives no line for some errors (duplicate keys), so they are located here from the error's offset.
 */
function parseYamlLocated(file: string, text: string): YamlSource {
  try {
    return parseYaml(file, text);
  } catch (err) {
    if (!(err instanceof InputError) || err.problems.every((p) => p.line !== undefined)) throw err;
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
    const problems: Problem[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, path: "", message: `invalid YAML: ${e.message.split("\n")[0]}` };
    });
    throw new InputError(problems.length ? problems : err.problems);
  }
}
