// Takes a host out of every HAProxy in front of it before its service stops, and puts it back once its gate
// passed: new connections go to the other backends at once instead of failing until HAProxy's health checks
// notice (fall x inter, 10 s for Galera). The servers are found by address and port in `show stat`.
import type { Transport } from "../transport/index.js";
import { haproxyCommand, haproxyStat, type HaproxyStatRow } from "./gates.js";

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

/** The HAProxy servers (on every load balancer) that point at `address` on one of `ports`. A load balancer
 * that cannot be asked (its host cut off) is named in `unreachable`: the others are still drained, and that
 * one's own health checks take the host out as they would with no drain at all. */
export async function lbServersOf(address: string, ports: number[], lbs: LoadBalancer[]): Promise<{ servers: LbServer[]; unreachable: string[] }> {
  if (!ports.length) return { servers: [], unreachable: [] };
  const wanted = new Set(ports.map((p) => `${address}:${p}`));
  const unreachable: string[] = [];
  const found = await Promise.all(
    lbs.map(async (lb) => {
      try {
        const rows = (await haproxyStat(lb.transport, lb.container, lb.socket)) ?? [];
        return rows.filter((r) => r.server !== "FRONTEND" && r.server !== "BACKEND" && wanted.has(r.addr)).map((r) => ({ lb, proxy: r.proxy, server: r.server }));
      } catch (e) {
        unreachable.push(`${lb.host}: ${messageOf(e)}`);
        return [];
      }
    }),
  );
  return { servers: found.flat(), unreachable };
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Whether a server in this HAProxy status takes new connections: "UP 1/3" is going down but still serves,
 * "DOWN 1/2" is coming up and does not yet. */
export const servesNow = (status: string): boolean => status === "UP" || status.startsWith("UP ") || status === "no check";

/**
 * Asks the load balancers of `servers` (`show stat`) until `pending` finds nothing left to wait for in what one
 * of them says, or `timeoutMs` ran out; returns what was still pending then. A load balancer that cannot be
 * asked has nothing to wait for.
 */
async function pollLoadBalancers(servers: LbServer[], timeoutMs: number, pollMs: number, pending: (lb: LoadBalancer, rows: HaproxyStatRow[], mine: LbServer[]) => string[]): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const lbs = [...new Set(servers.map((s) => s.lb))];
  for (;;) {
    const left: string[] = [];
    await Promise.all(
      lbs.map(async (lb) => {
        const rows = await haproxyStat(lb.transport, lb.container, lb.socket).catch(() => undefined);
        if (rows) left.push(...pending(lb, rows, servers.filter((x) => x.lb === lb)));
      }),
    );
    if (!left.length || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Waits until, on its load balancer, each server's proxy has another server that serves: taking the last one
 * out would leave that proxy with none ("No server is available to handle this request"), as right after a
 * first deploy, while HAProxy's checks still count the other backends up (rise x inter). A proxy with no other
 * server has nothing to wait for. Returns the proxies still without one when `timeoutMs` ran out.
 */
export function waitForOthersServing(servers: LbServer[], timeoutMs: number, pollMs = 500): Promise<string[]> {
  return pollLoadBalancers(servers, timeoutMs, pollMs, (lb, rows, mine) =>
    mine.flatMap((s) => {
      const peers = rows.filter((r) => r.proxy === s.proxy && r.server !== s.server && r.server !== "FRONTEND" && r.server !== "BACKEND");
      return peers.length && !peers.some((r) => servesNow(r.status)) ? [`${lb.host} ${s.proxy}`] : [];
    }),
  );
}

/**
 * Waits until the drained servers have no session open on their load balancers (the requests HAProxy sent them
 * before they left the rotation have been answered), so that stopping the service cuts none. Returns the servers
 * with sessions still open when `timeoutMs` ran out.
 */
export function waitForSessionsEnded(servers: LbServer[], timeoutMs: number, pollMs = 200): Promise<string[]> {
  return pollLoadBalancers(servers, timeoutMs, pollMs, (lb, rows, mine) =>
    mine.flatMap((s) => {
      const row = rows.find((r) => r.proxy === s.proxy && r.server === s.server);
      return row && row.sessions > 0 ? [`${lb.host} ${s.proxy}/${s.server} (${row.sessions})`] : [];
    }),
  );
}

/** How long a drained server's requests in flight may take before its service stops all the same. */
export const SESSIONS_DRAIN_MS = 10_000;

/** How long a drain waits for another server of the proxy to serve before it goes on with a warning. */
export const OTHERS_SERVING_TIMEOUT_MS = 30_000;

/** maint: no new connections; ready: back in rotation (its health checks still decide if it is up). */
export async function setLbState(servers: LbServer[], state: "maint" | "ready"): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    servers.map(async (s) => {
      // A load balancer whose host cannot be reached is a failure to report, not the rollout's failure:
      // putting a host back must not turn a healthy batch into a failed one.
      const r = await haproxyCommand(s.lb.transport, s.lb.container, `set server ${s.proxy}/${s.server} state ${state}`, s.lb.socket).catch((e: unknown) => ({ ok: false, answer: messageOf(e) }));
      if (!r.ok) failures.push(`${s.lb.host} ${s.proxy}/${s.server}: ${r.answer}`);
    }),
  );
  return failures;
}

/**
 * Closes the sessions HAProxy still holds to these servers (idle pooled database connections): their clients
 * see a closed connection at their next query and reconnect at once, to a server in rotation, instead of
 * hanging on a node that is shutting down. Returns what failed.
 */
export async function shutdownSessions(servers: LbServer[]): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    servers.map(async (s) => {
      const r = await haproxyCommand(s.lb.transport, s.lb.container, `shutdown sessions server ${s.proxy}/${s.server}`, s.lb.socket).catch((e: unknown) => ({ ok: false, answer: messageOf(e) }));
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
