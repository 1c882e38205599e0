// The driver of the service that provides database: a MariaDB Galera cluster. Its gate asks a node whether it is
// Synced in the Primary component with every member; it never loses quorum to a rollout, needs an odd number of
// members, and after a full outage only mariadb-recovery (which picks the node with the newest data) brings it
// back. Other roles' databases are registered in it by SQL on stdin.
import type { Gate } from "../../generated/role.js";
import { containerOf, type GateProbe, type ServiceDriver } from "../driver.js";
import { databaseRegistrationSql, databaseRemovalSql, runSql } from "./sql.js";
import { GALERA_DRAIN_MS, readGaleraStatus, waitForGaleraIdle } from "./status.js";

export const galeraProbe: GateProbe<Extract<Gate, { kind: "galera" }>> = {
  kind: "galera",
  async check(g, ctx) {
    const s = await readGaleraStatus(ctx.transport, containerOf(g, ctx.service));
    if ("error" in s) return { ok: false, detail: `mysql: ${s.error}` };
    const ok = s.state === "Synced" && s.clusterStatus === "Primary" && s.size >= ctx.expectedMembers;
    return { ok, detail: `${s.state}, ${s.clusterStatus}, cluster size ${s.size}/${ctx.expectedMembers}` };
  },
};

export const galeraDriver: ServiceDriver = {
  name: "galera",
  provides: "database",
  probes: [galeraProbe],
  clusterGate: true,
  quorum: {
    recovery: "mariadb-recovery",
    // No member may simply start after a full outage (none is safe to bootstrap, or one with older data would be).
    fullOutageRefuses: "Galera",
    memberCountProblem: (group, members) =>
      members % 2 === 0 && members > 0 ? `the Galera group "${group}" has ${members} members: it needs an odd number, so that a split leaves a majority` : undefined,
  },
  async register(t, container, r) {
    if (r.kind === "database") await runSql(t, container, databaseRegistrationSql(r.name, r.user, r.password));
  },
  async unregister(t, container, r) {
    if (r.kind === "database") await runSql(t, container, databaseRemovalSql(r.name, r.user));
  },
  // A database keeps its clients' connections open between queries: out of rotation, the node lets the
  // transactions in flight finish, then HAProxy closes the connections left (idle), so that a client
  // reconnects to another node at its next query instead of waiting on this one while it shuts down.
  outOfRotation: {
    note: "; transactions in flight finish, then idle connections are closed",
    async settle(t, container, host, closeSessions) {
      const warnings: string[] = [];
      const left = await waitForGaleraIdle(t, container, GALERA_DRAIN_MS);
      if (left) warnings.push(`${left} transaction(s) still in flight on ${host} after ${GALERA_DRAIN_MS / 1000} s: their connections are closed now`);
      const unclosed = await closeSessions();
      if (unclosed.length) warnings.push(`could not close the sessions of ${unclosed.join("; ")}`);
      return warnings;
    },
  },
};
