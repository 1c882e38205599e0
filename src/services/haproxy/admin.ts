// HAProxy's admin socket inside its container: show stat (the haproxy gate, the drain of hosts out of
// rotation) and the commands that set a server's state.
import * as docker from "../../docker/commands.js";
import { hostScript } from "../../host-scripts/index.js";
import type { Transport } from "../../transport/index.js";

/** One command to HAProxy's admin socket inside its container (src/host-scripts/haproxy-admin.sh). */
const haproxyAdminArgv = (socket: string, command: string): string[] => ["sh", "-c", hostScript("haproxy-admin.sh"), "lading-haproxy-admin", socket, command];
export const DEFAULT_HAPROXY_SOCKET = "/run/haproxy/admin.sock";

export interface HaproxyStatRow {
  proxy: string;
  /** A server name, or FRONTEND / BACKEND for the proxy's own rows. */
  server: string;
  status: string;
  /** The server's address:port (empty on FRONTEND/BACKEND rows). */
  addr: string;
  /** Sessions open now (scur): requests in flight on a server. */
  sessions: number;
}

/** Parses `show stat` CSV (its header line names the columns). */
export function parseHaproxyStat(csv: string): HaproxyStatRow[] {
  const lines = csv.split("\n").filter((l) => l.trim());
  const header = lines.find((l) => l.startsWith("# "));
  if (!header) return [];
  const cols = header.slice(2).split(",");
  const px = cols.indexOf("pxname");
  const sv = cols.indexOf("svname");
  const st = cols.indexOf("status");
  const ad = cols.indexOf("addr");
  const sc = cols.indexOf("scur");
  return lines.filter((l) => !l.startsWith("#")).map((l) => {
    const f = l.split(",");
    return { proxy: f[px] ?? "", server: f[sv] ?? "", status: f[st] ?? "", addr: ad >= 0 ? (f[ad] ?? "") : "", sessions: sc >= 0 ? Number(f[sc]) || 0 : 0 };
  });
}

/** The stats rows of a running HAProxy, or undefined when its admin socket does not answer. */
export async function haproxyStat(t: Transport, container: string, socket = DEFAULT_HAPROXY_SOCKET): Promise<HaproxyStatRow[] | undefined> {
  const r = await t.exec(docker.exec(container, haproxyAdminArgv(socket, "show stat")), { become: true });
  if (r.code !== 0) return undefined;
  const rows = parseHaproxyStat(r.stdout);
  return rows.length ? rows : undefined;
}

/** The proxies whose backend is up now (the haproxy gate's baseline before a restart). */
export async function haproxyBackendsUp(t: Transport, container: string, socket?: string): Promise<string[]> {
  const rows = (await haproxyStat(t, container, socket)) ?? [];
  return rows.filter((r) => r.server === "BACKEND" && r.status === "UP").map((r) => r.proxy);
}

/** Runs one command on HAProxy's admin socket (e.g. "set server mariadb/lab1 state maint"). */
export async function haproxyCommand(t: Transport, container: string, command: string, socket = DEFAULT_HAPROXY_SOCKET): Promise<{ ok: boolean; answer: string }> {
  const r = await t.exec(docker.exec(container, haproxyAdminArgv(socket, command)), { become: true });
  const answer = r.stdout.trim();
  return { ok: r.code === 0 && answer === "", answer: answer || r.stderr.trim() };
}
