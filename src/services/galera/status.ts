// What a Galera node says of itself and of the work in flight on it: the galera gate, the drain out of
// rotation, recovery and backups read it.
import * as docker from "../../docker/commands.js";
import type { Transport } from "../../transport/index.js";

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
