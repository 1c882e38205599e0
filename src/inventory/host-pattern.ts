// Host patterns as Ansible's --limit reads them: names, groups, globs (`lab*`), `~regex`, lists joined by
// `,` (or `:`), `!exclude`, `&intersection`, `all`/`*`, subscripts `web[0]`, `web[1:2]`. Unions are applied
// first, then intersections, then exclusions, whatever their order in the pattern (as Ansible does).
import { InputError, type Problem } from "../errors.js";
import type { Inventory, InventoryHost } from "./inventory.js";

/**
 * The parts of a pattern. A comma separates parts; without commas a colon does too, except inside
 * `[...]` and except for a single `name:port` or IPv6 address, which Ansible keeps whole.
 */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(",")) {
    parts = pattern.split(",");
  } else if (/^[^:\s[\]]+:\d+$/.test(pattern.trim()) || /^[0-9A-Fa-f]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$/.test(pattern.trim())) {
    parts = [pattern];
  } else {
    parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  }
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** Unions first, then `&` intersections, then `!` exclusions; only exclusions or intersections start from `all`. */
export function orderHostPatterns(parts: string[]): string[] {
  const unions = parts.filter((p) => !p.startsWith("!") && !p.startsWith("&"));
  const intersections = parts.filter((p) => p.startsWith("&"));
  const exclusions = parts.filter((p) => p.startsWith("!"));
  return [...(unions.length ? unions : ["all"]), ...intersections, ...exclusions];
}

export interface SelectOptions {
  /** Names the pattern's origin in errors (`--limit`); default "host pattern". */
  origin?: string;
}

/**
 * The hosts `pattern` selects, in inventory order. A part that matches no host and no group, and a
 * pattern that selects no host at all, are InputErrors naming them.
 */
export function selectHosts(inv: Inventory, pattern: string, options: SelectOptions = {}): InventoryHost[] {
  const origin = options.origin ?? "host pattern";
  const problems: Problem[] = [];
  const parts = splitHostPattern(pattern);
  if (parts.length === 0) throw new InputError([{ file: origin, message: `empty host pattern ${JSON.stringify(pattern)}` }]);

  let selected = new Set<string>();
  for (const part of orderHostPatterns(parts)) {
    const body = part.startsWith("!") || part.startsWith("&") ? part.slice(1) : part;
    let matched: InventoryHost[];
    try {
      matched = matchOnePattern(inv, body);
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      problems.push({ file: origin, message: err.message });
      continue;
    }
    const names = new Set(matched.map((h) => h.name));
    if (part.startsWith("!")) selected = new Set([...selected].filter((n) => !names.has(n)));
    else if (part.startsWith("&")) selected = new Set([...selected].filter((n) => names.has(n)));
    else for (const n of names) selected.add(n);
  }
  if (problems.length) throw new InputError(problems);
  const result = [...inv.hosts.values()].filter((h) => selected.has(h.name));
  if (result.length === 0) throw new InputError([{ file: origin, message: `host pattern ${JSON.stringify(pattern)} selects no hosts` }]);
  return result;
}

class PatternError extends Error {}

const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(\d+):(\d*))\]$/;

/** One part without its `!`/`&`: a host name, or group/host matches, with an optional subscript. */
function matchOnePattern(inv: Inventory, part: string): InventoryHost[] {
  const exact = inv.hosts.get(part);
  if (exact) return [exact];
  let expr = part;
  let subscript: { index: number } | { start: number; end?: number } | undefined;
  if (!part.startsWith("~")) {
    const m = SUBSCRIPT.exec(part);
    if (m) {
      expr = m[1]!;
      subscript = m[2] !== undefined ? { index: Number(m[2]) } : { start: Number(m[3]), end: m[4] === "" ? undefined : Number(m[4]) };
    }
  }
  const hosts = enumerateMatches(inv, expr);
  if (!subscript || hosts.length === 0) return hosts;
  if ("index" in subscript) {
    const i = subscript.index < 0 ? hosts.length + subscript.index : subscript.index;
    const host = hosts[i];
    if (!host) throw new PatternError(`"${part}": no host at index ${subscript.index} (the pattern "${expr}" matches ${hosts.length})`);
    return [host];
  }
  // Ansible's [start:end] is inclusive of end.
  const slice = hosts.slice(subscript.start, subscript.end === undefined ? undefined : subscript.end + 1);
  if (slice.length === 0) throw new PatternError(`"${part}": no host in that range (the pattern "${expr}" matches ${hosts.length})`);
  return slice;
}

/**
 * Groups whose name matches give all their hosts; host names are tried too when no group matched or
 * the pattern is a regex or glob (Ansible also counts a `.` as a glob sign: `web1.example.com`).
 */
function enumerateMatches(inv: Inventory, expr: string): InventoryHost[] {
  const matcher = compileMatcher(expr);
  const names = new Set<string>();
  let groupMatched = false;
  for (const group of inv.groups.keys()) {
    if (!matcher(group)) continue;
    groupMatched = true;
    for (const host of inv.hostsOf(group)) names.add(host.name);
  }
  if (!groupMatched || expr.startsWith("~") || /[.?*[]/.test(expr)) {
    for (const host of inv.hosts.keys()) if (matcher(host)) names.add(host);
  }
  if (!groupMatched && names.size === 0) throw new PatternError(`"${expr}" matches no host or group`);
  return [...inv.hosts.values()].filter((h) => names.has(h.name));
}

/** `~regex` matches from the start of the name (Python's re.match); anything else is a shell glob. */
function compileMatcher(expr: string): (name: string) => boolean {
  let re: RegExp;
  try {
    re = expr.startsWith("~") ? new RegExp(`^(?:${expr.slice(1)})`) : new RegExp(`^${globToRegExp(expr)}$`, "s");
  } catch {
    throw new PatternError(`"${expr}" is not a valid regular expression`);
  }
  return (name) => re.test(name);
}

/** Python's fnmatch: `*`, `?`, `[abc]`, `[!abc]`; an unclosed `[` is literal. */
export function globToRegExp(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      let j = i + 1;
      if (glob[j] === "!") j++;
      if (glob[j] === "]") j++;
      while (j < glob.length && glob[j] !== "]") j++;
      if (j >= glob.length) {
        out += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, j).replace(/\\/g, "\\\\");
      if (body.startsWith("!")) body = "^" + body.slice(1);
      else if (body.startsWith("^")) body = "\\" + body;
      out += `[${body}]`;
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}
