// Splits an inventory host entry `name[:port]` (as in INI host lines and Ansible YAML host keys).

export interface HostEntry {
  /** The name or range pattern, without the port. */
  pattern: string;
  port?: number;
  /** 0-based offset of the port digits in the entry, when there is a port. */
  portOffset?: number;
}

/**
 * `web1:2222` is web1 on port 2222. A name with several colons is an IPv6 literal and has no port,
 * unless written `[addr]:port`. A trailing colon is an error (returns undefined).
 */
export function splitHostEntry(entry: string): HostEntry | undefined {
  if (entry.endsWith(":")) return undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+:[0-9A-Fa-f:.]*)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    const port = bracketed[2];
    return port === undefined
      ? { pattern: bracketed[1]! }
      : { pattern: bracketed[1]!, port: Number(port), portOffset: entry.length - port.length };
  }
  // A range `[1:3]` has colons too: only a colon outside brackets can separate a port.
  const outside = entry.replace(/\[[^\]]*\]/g, (m) => "_".repeat(m.length));
  const outsideColons = outside.split(":").length - 1;
  if (outsideColons === 1) {
    const at = outside.lastIndexOf(":");
    const port = entry.slice(at + 1);
    if (/^\d+$/.test(port)) return { pattern: entry.slice(0, at), port: Number(port), portOffset: at + 1 };
    return undefined;
  }
  return { pattern: entry };
}
