// Which address each managed service listens on, from `ss -H -ltn` on the host: a declared port bound on every
// address (0.0.0.0, [::], *) is a service listening where it should not (every role binds its host's address,
// or the VIP), as MariaDB did when it started without its config file. For `check`.
import type { DesiredHost } from "../render/desired.js";

/** The command that lists a host's listening TCP sockets, without a header. */
export const LISTENERS_ARGV: readonly string[] = ["ss", "-H", "-ltn"];

export interface Listener {
  address: string;
  port: number;
}

/** The local address and port of each `ss -H -ltn` line (`LISTEN 0 128 10.0.0.1:3306 0.0.0.0:*`). */
export function parseListeners(out: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of out.split("\n")) {
    const local = line.trim().split(/\s+/)[3];
    if (!local) continue;
    const colon = local.lastIndexOf(":");
    const port = Number(local.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) continue;
    listeners.push({ address: local.slice(0, colon).replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, ""), port });
  }
  return listeners;
}

const WILDCARDS = new Set(["0.0.0.0", "*", "::", "::0"]);

/** One line per declared port of the host's containers that some socket listens on every address for. */
export function wildcardListeners(host: Pick<DesiredHost, "name" | "address" | "services">, listeners: Listener[]): string[] {
  const problems: string[] = [];
  for (const svc of host.services) {
    for (const c of svc.containers) {
      for (const port of c.ports) {
        const wild = listeners.find((l) => l.port === port && WILDCARDS.has(l.address));
        if (wild) problems.push(`${host.name}: port ${port} of ${svc.name}/${c.name} listens on every address (${wild.address === "*" || wild.address.includes(":") ? `[${wild.address}]` : wild.address}), not only ${host.address}: check its config file is the desired one (lading deploy writes it)`);
      }
    }
  }
  return problems;
}
