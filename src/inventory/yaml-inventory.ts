// Reads lading's own YAML inventory (schemas/inventory.schema.json): schema first, then the rules a
// schema cannot express (hosts of groups must be defined, an address unless connection is local).
import type { SourceLocation } from "../errors.js";
import type { Host, InventoryFile } from "../generated/inventory.js";
import { checkPrecompiledSchema } from "../model/precompiled-schemas.js";
import type { PathSegment, YamlSource } from "../model/source.js";
import { CONNECTION_VARS } from "./connection-vars.js";
import type { ConnectionField, LocatedValue } from "./inventory.js";
import {
  addChildToGroup,
  addHostToGroup,
  ALL_GROUP,
  createRawInventory,
  ensureRawGroup,
  ensureRawHost,
  type RawInventory,
} from "./raw-inventory.js";

const FIELDS: readonly ConnectionField[] = ["address", "connection", "user", "port", "key", "knownHosts", "become"];

export function parseLadingYamlInventory(source: YamlSource): RawInventory {
  const raw = createRawInventory(source.file, "yaml");
  const schemaProblems = checkPrecompiledSchema("inventory.schema.json", source);
  if (schemaProblems.length) {
    raw.problems.push(...schemaProblems);
    return raw;
  }
  const doc = (source.value() ?? {}) as InventoryFile;
  const locate = (path: PathSegment[], key = false): SourceLocation => locationIn(source, path, key);
  const located = (path: PathSegment[], value: unknown): LocatedValue => ({ value, source: locate(path) });

  for (const field of FIELDS) {
    const value = (doc.defaults as Record<string, unknown> | undefined)?.[field];
    if (value !== undefined) raw.defaults[field] = located(["defaults", field], value);
  }
  readVars(source, raw, ["vars"], doc.vars, ensureRawGroup(raw, ALL_GROUP).vars);

  for (const [name, host] of Object.entries(doc.hosts ?? {})) {
    const def: Host = host ?? {};
    const raw_host = ensureRawHost(raw, name, locate(["hosts", name], true));
    for (const field of FIELDS) {
      const value = (def as Record<string, unknown>)[field];
      if (value !== undefined) raw_host.fields[field] = located(["hosts", name, field], value);
    }
    const connection = def.connection ?? doc.defaults?.connection ?? "ssh";
    if (def.address === undefined && connection !== "local") {
      raw.problems.push({ ...locate(["hosts", name]), message: `missing required key "address" (only a host with connection: local may omit it)` });
    }
    readVars(source, raw, ["hosts", name, "vars"], def.vars, raw_host.vars);
  }

  for (const [name, group] of Object.entries(doc.groups ?? {})) {
    const target = ensureRawGroup(raw, name, locate(["groups", name], true));
    (group?.hosts ?? []).forEach((hostName, i) => {
      const where = locate(["groups", name, "hosts", i]);
      if (!raw.hosts.has(hostName)) {
        raw.problems.push({ ...where, message: `host "${hostName}" is not defined under hosts` });
        return;
      }
      addHostToGroup(target, { name: hostName, source: where });
    });
    (group?.children ?? []).forEach((child, i) => {
      addChildToGroup(target, { name: child, source: locate(["groups", name, "children", i]) });
    });
    readVars(source, raw, ["groups", name, "vars"], group?.vars, target.vars);
  }
  return raw;
}

/** Copies a `vars` mapping into `into`, refusing Ansible connection vars (they have typed keys here). */
function readVars(
  source: YamlSource,
  raw: RawInventory,
  path: PathSegment[],
  vars: Record<string, unknown> | undefined,
  into: Map<string, LocatedValue>,
): void {
  for (const [key, value] of Object.entries(vars ?? {})) {
    const field = CONNECTION_VARS.get(key);
    if (field) {
      const owner = path[0] === "hosts" ? `hosts/${String(path[1])}/${field}` : path[0] === "groups" ? `the hosts' own "${field}" key` : `defaults/${field}`;
      raw.problems.push(source.problem([...path, key], `"${key}" is a connection setting: write it as ${owner}`, { key: true }));
      continue;
    }
    into.set(key, { value, source: locationIn(source, [...path, key]) });
  }
}

/** Where the node at `path` is (its key with `key`), as a SourceLocation. */
export function locationIn(source: YamlSource, path: PathSegment[], key = false): SourceLocation {
  const { file, line, column, path: where } = source.locate(path, { key });
  return { file, line, column, path: where };
}
