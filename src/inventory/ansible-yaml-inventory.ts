// Reads Ansible's YAML inventory format (`all:` at the top, groups with hosts/children/vars) as the
// Ansible yaml plugin does, but strictly: a malformed section is an error, not a skipped warning.
import type { PathSegment, YamlSource } from "../model/source.js";
import { expandHostRange, HostRangeError } from "./host-range.js";
import { splitHostEntry } from "./host-address.js";
import {
  addChildToGroup,
  addHostToGroup,
  createRawInventory,
  ensureRawGroup,
  ensureRawHost,
  type RawInventory,
} from "./raw-inventory.js";
import { locationIn } from "./yaml-inventory.js";

const GROUP_KEYS = new Set(["hosts", "children", "vars"]);

export function parseAnsibleYamlInventory(source: YamlSource): RawInventory {
  const raw = createRawInventory(source.file, "ansible-yaml");
  const doc = source.value() as Record<string, unknown>;
  for (const [name, data] of Object.entries(doc)) readGroup(source, raw, name, data, [name]);
  return raw;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function readGroup(source: YamlSource, raw: RawInventory, name: string, data: unknown, path: PathSegment[]): void {
  const group = ensureRawGroup(raw, name, locationIn(source, path, true));
  if (data === null || data === undefined) return;
  if (!isMapping(data)) {
    raw.problems.push(source.problem(path, `group "${name}" must be a mapping with hosts, children and vars`));
    return;
  }
  for (const [key, value] of Object.entries(data)) {
    if (!GROUP_KEYS.has(key)) {
      raw.problems.push(source.problem([...path, key], `unknown key "${key}" (a group has hosts, children and vars)`, { key: true }));
      continue;
    }
    if (value === null || value === undefined) continue;
    // Ansible accepts a lone name where a mapping is expected: `hosts: web1`.
    const section = typeof value === "string" ? { [value]: null } : value;
    if (!isMapping(section)) {
      raw.problems.push(source.problem([...path, key], `"${key}" must be a mapping`));
      continue;
    }
    if (key === "vars") {
      for (const [varName, varValue] of Object.entries(section)) {
        group.vars.set(varName, { value: varValue, source: locationIn(source, [...path, "vars", varName]) });
      }
    } else if (key === "children") {
      for (const [child, childData] of Object.entries(section)) {
        const childPath = [...path, "children", child];
        readGroup(source, raw, child, childData, childPath);
        addChildToGroup(group, { name: child, source: locationIn(source, childPath, true) });
      }
    } else {
      for (const [entry, hostVars] of Object.entries(section)) {
        readHosts(source, raw, name, entry, hostVars, [...path, "hosts", entry]);
      }
    }
  }
}

function readHosts(source: YamlSource, raw: RawInventory, group: string, entry: string, hostVars: unknown, path: PathSegment[]): void {
  const at = locationIn(source, path, true);
  const split = splitHostEntry(entry);
  if (!split) {
    raw.problems.push({ ...at, message: `invalid host "${entry}": after ":" only a port number may follow` });
    return;
  }
  let names: string[];
  try {
    names = expandHostRange(split.pattern);
  } catch (err) {
    if (!(err instanceof HostRangeError)) throw err;
    raw.problems.push({ ...at, message: err.message });
    return;
  }
  if (hostVars !== null && hostVars !== undefined && !isMapping(hostVars)) {
    raw.problems.push(source.problem(path, `the vars of host "${entry}" must be a mapping`));
    return;
  }
  const target = ensureRawGroup(raw, group);
  for (const name of names) {
    const host = ensureRawHost(raw, name, at);
    if (split.port !== undefined) host.vars.set("ansible_port", { value: split.port, source: { ...at, path: `${at.path}/ansible_port` } });
    for (const [key, value] of Object.entries(hostVars ?? {})) {
      host.vars.set(key, { value, source: locationIn(source, [...path, key]) });
    }
    addHostToGroup(target, { name, source: at });
  }
}
