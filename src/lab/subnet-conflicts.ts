// Finds whatever else on this machine already routes or holds an address in the lab's subnet.
import { LAB_BRIDGE } from "./layout.js";

/** One entry of `ip -j -4 route` (the fields we read). */
export interface IpRoute {
  dst: string;
  dev?: string;
}

/** One entry of `ip -j -4 addr` (the fields we read). */
export interface IpLink {
  ifname: string;
  addr_info?: { family?: string; local: string; prefixlen: number }[];
}

function ipToNumber(ip: string): number {
  const parts = ip.split(".").map(Number);
  return parts.reduce((acc, p) => acc * 256 + (p & 255), 0);
}

function parseCidr(cidr: string): { base: number; size: number } | undefined {
  const [ip, lenText] = cidr.split("/");
  if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return undefined;
  const len = lenText === undefined ? 32 : Number(lenText);
  const size = 2 ** (32 - len);
  return { base: Math.floor(ipToNumber(ip) / size) * size, size };
}

function prefixLength(cidr: string): number {
  const len = cidr.split("/")[1];
  return len === undefined ? 32 : Number(len);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

/** Human-readable conflicts: routes or addresses in `subnet` on any device but the lab's own bridge. */
export function findSubnetConflicts(subnet: string, routes: IpRoute[], links: IpLink[], ownBridge = LAB_BRIDGE): string[] {
  const conflicts: string[] = [];
  for (const r of routes) {
    // The default route covers everything; it does not claim the subnet.
    if (r.dst === "default" || r.dev === ownBridge) continue;
    // A wider route (say 10.0.0.0/8 over a VPN) loses to the bridge's more specific one; a route inside the
    // subnet would take the lab's traffic.
    if (cidrsOverlap(r.dst, subnet) && prefixLength(r.dst) >= prefixLength(subnet)) conflicts.push(`route ${r.dst}${r.dev ? ` dev ${r.dev}` : ""}`);
  }
  for (const l of links) {
    if (l.ifname === ownBridge) continue;
    for (const a of l.addr_info ?? []) {
      if (cidrsOverlap(`${a.local}/32`, subnet)) conflicts.push(`address ${a.local}/${a.prefixlen} on ${l.ifname}`);
    }
  }
  return conflicts;
}
