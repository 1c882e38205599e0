// Takes a host out of every HAProxy in front of it before its service stops, and puts it back once its gate
// passed: new connections go to the other backends at once instead of failing until HAProxy's health checks
// notice (fall x inter, 10 s for Galera). The servers are found by address and port in `show stat`.
import type { Transport } from "../transport/index.js";
import { haproxyCommand, haproxyStat } from "./gates.js";

export interface LoadBalancer {
  host: string;
  transport: Transport;
  container: string;
  socket?: string;
}

export interface LbServer {
  lb: LoadBalancer;
  proxy: string;
  server: string;
}

/** The HAProxy servers (on every load balancer) that point at `address` on one of `ports`. */
export async function lbServersOf(address: string, ports: number[], lbs: LoadBalancer[]): Promise<LbServer[]> {
  if (!ports.length) return [];
  const wanted = new Set(ports.map((p) => `${address}:${p}`));
  const found = await Promise.all(
    lbs.map(async (lb) => {
      const rows = (await haproxyStat(lb.transport, lb.container, lb.socket)) ?? [];
      return rows.filter((r) => r.server !== "FRONTEND" && r.server !== "BACKEND" && wanted.has(r.addr)).map((r) => ({ lb, proxy: r.proxy, server: r.server }));
    }),
  );
  return found.flat();
}

/** maint: no new connections; ready: back in rotation (its health checks still decide if it is up). */
export async function setLbState(servers: LbServer[], state: "maint" | "ready"): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    servers.map(async (s) => {
      const r = await haproxyCommand(s.lb.transport, s.lb.container, `set server ${s.proxy}/${s.server} state ${state}`, s.lb.socket);
      if (!r.ok) failures.push(`${s.lb.host} ${s.proxy}/${s.server}: ${r.answer}`);
    }),
  );
  return failures;
}

/** Servers in maintenance on any load balancer (HAProxy's status MAINT, also "MAINT (via ...)"). */
export async function serversLeftInMaintenance(lbs: LoadBalancer[]): Promise<LbServer[]> {
  const found = await Promise.all(
    lbs.map(async (lb) => {
      const rows = (await haproxyStat(lb.transport, lb.container, lb.socket)) ?? [];
      return rows.filter((r) => r.server !== "FRONTEND" && r.server !== "BACKEND" && r.status.startsWith("MAINT")).map((r) => ({ lb, proxy: r.proxy, server: r.server }));
    }),
  );
  return found.flat();
}
