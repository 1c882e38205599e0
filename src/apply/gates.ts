// Health gates: a restarted host must pass its service's gate before the rollout moves on.
import * as docker from "../docker/commands.js";
import { inspectContainersArgv } from "../docker/engine-api.js";
import { parseInspectedContainers, type ContainerFact } from "../facts/parse.js";
import type { Gate } from "../generated/role.js";
import type { DesiredService } from "../render/desired.js";
import type { Transport } from "../transport/index.js";
import { hostScript } from "../host-scripts/index.js";
import { parseDuration } from "./duration.js";

/** One command to HAProxy's admin socket inside its container (src/host-scripts/haproxy-admin.sh). */
const haproxyAdminArgv = (socket: string, command: string): string[] => ["sh", "-c", hostScript("haproxy-admin.sh"), "lading-haproxy-admin", socket, command];
export const DEFAULT_HAPROXY_SOCKET = "/run/haproxy/admin.sock";

export interface GateResult {
  ok: boolean;
  detail: string;
}

export interface GateContext {
  transport: Transport;
  service: DesiredService;
  /** How many members the cluster should have once this host is back (Galera, RabbitMQ). */
  expectedMembers: number;
  /** The host's address (tcp and http gates connect to it). */
  address: string;
  /** HAProxy: the backends that were up before the restart; they must be up again. */
  backendsUpBefore?: string[];
}

/** The default gate: each container's own healthcheck (or just "running" when it declares none). */
export function gateOf(service: DesiredService): Gate {
  return service.rollout.gate ?? { kind: "healthcheck" };
}

export function describeGate(g: Gate): string {
  switch (g.kind) {
    case "tcp":
      return `tcp port ${g.port}`;
    case "http":
      return `${g.tls ? "https" : "http"} ${g.path} on port ${g.port}`;
    case "command":
      return `command ${g.command.join(" ")}`;
    default:
      return g.kind;
  }
}

export function containerOf(g: Gate, svc: DesiredService): string {
  return ("container" in g && g.container) || svc.containers[0]?.name || svc.name;
}

/** What a Galera node says of itself; `error` when mysqld did not answer (starting, hung, or down). */
export type GaleraStatus = { state: string; clusterStatus: string; size: number } | { error: string };

/** Reads wsrep_local_state_comment, wsrep_cluster_status and wsrep_cluster_size through `docker exec`, the SQL on stdin. */
export async function readGaleraStatus(t: Transport, container: string): Promise<GaleraStatus> {
  const r = await t.exec(docker.exec(container, ["mysql", "--batch", "--skip-column-names"], { interactive: true }), {
    stdin: "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_size','wsrep_cluster_status');\n",
    become: true,
  });
  if (r.code !== 0) return { error: r.stderr.trim().split("\n")[0] || `exit ${r.code}` };
  const status = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("\t") as [string, string]));
  return { state: status.wsrep_local_state_comment ?? "?", clusterStatus: status.wsrep_cluster_status ?? "?", size: Number(status.wsrep_cluster_size ?? 0) };
}

/**
 * How many client threads of a Galera node are in the middle of something: a statement running, or a
 * transaction open between statements. Replication appliers ("system user") and idle pooled connections do not
 * count. `undefined` when mysqld did not answer.
 */
export async function galeraWorkInFlight(t: Transport, container: string): Promise<number | undefined> {
  const r = await t.exec(docker.exec(container, ["mysql", "--batch", "--skip-column-names"], { interactive: true }), {
    stdin:
      "SELECT COUNT(*) FROM information_schema.processlist p WHERE p.id <> CONNECTION_ID()" +
      " AND p.user NOT IN ('system user', 'event_scheduler', 'unauthenticated user')" +
      " AND (p.command NOT IN ('Sleep', 'Daemon') OR p.id IN (SELECT trx_mysql_thread_id FROM information_schema.innodb_trx));\n",
    become: true,
  });
  const n = Number(r.stdout.trim());
  return r.code === 0 && Number.isInteger(n) ? n : undefined;
}

/** Waits until a Galera node has no client work in flight (see galeraWorkInFlight); returns what is left at the deadline. */
export async function waitForGaleraIdle(t: Transport, container: string, timeoutMs: number, pollMs = 100): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await galeraWorkInFlight(t, container);
    if (n === undefined || n === 0 || Date.now() >= deadline) return n ?? 0;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** How long a Galera node, out of rotation, gives the transactions in flight to finish before it stops. */
export const GALERA_DRAIN_MS = 10_000;

/** One check of a gate: true when the host is healthy now. */
export async function checkGate(g: Gate, ctx: GateContext): Promise<GateResult> {
  const t = ctx.transport;
  switch (g.kind) {
    case "healthcheck": {
      // Every container in one exec, asked of the engine's API (no docker CLI start on a host busy restarting).
      const names = g.container ? [g.container] : ctx.service.containers.map((c) => c.name);
      const r = await t.exec(inspectContainersArgv(names), { become: true });
      let found: Map<string, ContainerFact>;
      try {
        found = parseInspectedContainers(r.stdout);
      } catch {
        return { ok: false, detail: `unreadable inspect output (exit ${r.code})` };
      }
      for (const name of names) {
        const c = found.get(name);
        if (!c || c.status !== "running") return { ok: false, detail: `${name} is ${c?.status ?? "missing"}` };
        if (c.health !== undefined && c.health !== "none" && c.health !== "healthy") return { ok: false, detail: `${name} is ${c.health}` };
      }
      return { ok: true, detail: "healthy" };
    }
    case "galera": {
      const s = await readGaleraStatus(t, containerOf(g, ctx.service));
      if ("error" in s) return { ok: false, detail: `mysql: ${s.error}` };
      const ok = s.state === "Synced" && s.clusterStatus === "Primary" && s.size >= ctx.expectedMembers;
      return { ok, detail: `${s.state}, ${s.clusterStatus}, cluster size ${s.size}/${ctx.expectedMembers}` };
    }
    case "rabbitmq": {
      const r = await t.exec(docker.exec(containerOf(g, ctx.service), ["rabbitmqctl", "--quiet", "cluster_status", "--formatter", "json"]), { become: true });
      if (r.code !== 0) return { ok: false, detail: `rabbitmqctl: ${r.stderr.trim().split("\n")[0] ?? "not running"}` };
      try {
        const s = JSON.parse(r.stdout) as { running_nodes?: string[]; partitions?: Record<string, unknown> | unknown[] };
        const running = s.running_nodes?.length ?? 0;
        const partitions = Array.isArray(s.partitions) ? s.partitions.length : Object.keys(s.partitions ?? {}).length;
        return { ok: running >= ctx.expectedMembers && partitions === 0, detail: `${running}/${ctx.expectedMembers} nodes running${partitions ? `, ${partitions} partitions` : ""}` };
      } catch {
        return { ok: false, detail: "unreadable cluster_status" };
      }
    }
    case "tcp": {
      const r = await t.exec(["timeout", "3", "bash", "-c", hostScript("tcp-probe.bash"), "lading-tcp-probe", ctx.address, String(g.port)]);
      return { ok: r.code === 0, detail: r.code === 0 ? `port ${g.port} open` : `port ${g.port} closed` };
    }
    case "http": {
      // Plain HTTP is probed from the host itself with bash's /dev/tcp, so hosts need no HTTP client installed;
      // HTTPS (tls_internal) by curl in the service's container, verifying the certificate against the CA.
      const r = g.tls
        ? await t.exec(docker.exec(containerOf(g, ctx.service), ["curl", "-sS", "-o", "/dev/null", "--max-time", "3", "-w", "HTTP/1.1 %{http_code}\n", "--cacert", g.tls.caFile, `https://${ctx.address.includes(":") ? `[${ctx.address}]` : ctx.address}:${g.port}${g.path}`]), { become: true })
        : await t.exec(["timeout", "3", "bash", "-c", hostScript("http-probe.bash"), "lading-http-probe", ctx.address, String(g.port), g.path]);
      const code = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(r.stdout)?.[1] ?? 0);
      const want = g.status ?? 200;
      return { ok: code === want, detail: `GET ${g.path}: ${code || "no answer"}` };
    }
    case "command": {
      const r = await t.exec(docker.exec(containerOf(g, ctx.service), g.command), { become: true });
      return { ok: r.code === 0, detail: r.code === 0 ? "ok" : (r.stdout + r.stderr).trim().split("\n").slice(-1)[0] ?? `exit ${r.code}` };
    }
    case "haproxy": {
      const stat = await haproxyStat(t, containerOf(g, ctx.service), g.socket);
      if (!stat) return { ok: false, detail: "no answer on the admin socket" };
      const up = new Set(stat.filter((r) => r.server === "BACKEND" && r.status === "UP").map((r) => r.proxy));
      // A backend the new config no longer has (TLS turned off drops its protocol-detection backends) is not
      // waited for: only those that exist again and are not up.
      const present = new Set(stat.map((r) => r.proxy));
      const missing = (ctx.backendsUpBefore ?? []).filter((b) => present.has(b) && !up.has(b));
      return { ok: missing.length === 0, detail: missing.length ? `backends down: ${missing.join(", ")}` : `${up.size} backends up` };
    }
  }
}

export interface WaitOptions {
  deadlineMs: number;
  intervalMs?: number;
  /** Called on every check, for live progress. */
  onCheck?: (r: GateResult, elapsedMs: number) => void;
  /** How long the gate must hold once passed (minHealthy). */
  holdMs?: number;
  /** How many failed checks in a row that find a container stopped end the wait early (default 3). */
  stoppedChecks?: number;
}

/** How many failed checks in a row may find a container stopped before the gate gives up. */
const STOPPED_CHECKS = 3;

/**
 * Why a gate that just failed may never pass, from the service's containers: one that has stopped (exited or
 * dead: `fatal`, its restart policy did not bring it back), or one whose healthcheck fails (its last output).
 */
export async function containerTrouble(ctx: GateContext): Promise<{ fatal: boolean; detail: string } | undefined> {
  const names = ctx.service.containers.map((c) => c.name);
  if (!names.length) return undefined;
  let found: Map<string, ContainerFact>;
  try {
    found = parseInspectedContainers((await ctx.transport.exec(inspectContainersArgv(names), { become: true })).stdout);
  } catch {
    return undefined;
  }
  const lastLine = (log: string | undefined): string => (log ? `: ${log.trim().split("\n").pop()!.slice(0, 200)}` : "");
  for (const name of names) {
    const c = found.get(name);
    if (c && (c.status === "exited" || c.status === "dead")) return { fatal: true, detail: `container ${name} ${c.status}${lastLine(c.healthLog)}` };
  }
  for (const name of names) {
    const c = found.get(name);
    if (c?.health === "unhealthy") return { fatal: false, detail: `container ${name} is unhealthy${lastLine(c.healthLog)}` };
  }
  return undefined;
}

/** Polls a gate until it passes (and holds for holdMs), or the deadline passes. */
export async function waitForGate(g: Gate, ctx: GateContext, opts: WaitOptions): Promise<GateResult & { elapsedMs: number }> {
  const started = Date.now();
  const interval = opts.intervalMs ?? 1000;
  let last: GateResult = { ok: false, detail: "not checked" };
  let passedAt: number | undefined;
  let stoppedInARow = 0;
  for (;;) {
    const elapsed = Date.now() - started;
    try {
      last = await checkGate(g, ctx);
    } catch (err) {
      last = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    if (!last.ok) {
      // Say why while waiting, and stop waiting for a container that has stopped: its deadline would only
      // be waited out.
      const trouble = await containerTrouble(ctx);
      if (trouble) last = { ok: false, detail: `${last.detail}; ${trouble.detail}` };
      stoppedInARow = trouble?.fatal ? stoppedInARow + 1 : 0;
      if (stoppedInARow >= (opts.stoppedChecks ?? STOPPED_CHECKS)) {
        opts.onCheck?.(last, elapsed);
        return { ok: false, detail: `cannot pass: ${last.detail}`, elapsedMs: Date.now() - started };
      }
    }
    opts.onCheck?.(last, elapsed);
    if (last.ok) {
      passedAt ??= Date.now();
      if (Date.now() - passedAt >= (opts.holdMs ?? 0)) return { ...last, elapsedMs: Date.now() - started };
    } else passedAt = undefined;
    if (Date.now() - started >= opts.deadlineMs) return { ok: false, detail: `deadline ${Math.round(opts.deadlineMs / 1000)}s passed: ${last.detail}`, elapsedMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function deadlineOf(service: DesiredService): number {
  return parseDuration(service.rollout.deadline ?? "5m");
}

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
