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

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** A DNS name: dot-separated labels of letters, digits and inner hyphens (underscores too, as Ansible allows). */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/**
 * Whether `s` can be a host's address: an IPv4 address, an IPv6 literal or a DNS name. Addresses are
 * rendered into config files (`bind = {{host.address}}`) and dialled, so anything else (spaces, `;`,
 * newlines, quotes) is refused at the edge rather than carried into a file or a command.
 */
export function isHostAddress(s: string): boolean {
  if (IPV4.test(s) || DNS_NAME.test(s)) return !/^\d+(\.\d+)*$/.test(s) || IPV4.test(s);
  return s.includes(":") && IPV6.test(s) && s.split(":").length >= 3;
}
