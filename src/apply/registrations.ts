// Registrations a service needs in shared clusters: a database and user in MariaDB, a user and vhost
// in RabbitMQ. Passwords travel on stdin only, never in argv or the environment.
import * as docker from "../docker/commands.js";
import { HostError } from "../errors.js";
import type { HostFacts } from "../facts/parse.js";
import type { LoadedRole } from "../model/roles.js";
import type { Topology } from "../render/computed.js";
import type { CatalogEntry, DesiredState, IdentityProvider } from "../render/desired.js";
import type { Transport } from "../transport/index.js";

/** A shared cluster that registrations run in: its container and its hosts in inventory order. */
export interface RegistrationCluster {
  container: string;
  hosts: string[];
}

/**
 * The clusters registrations run in, by gate kind (galera, rabbitmq), from the enabled roles and the inventory,
 * whatever services a run is limited to: `deploy --service webapp` registers webapp's database in a MariaDB
 * cluster the run does not deploy. Pure.
 */
export function registrationClusters(enabled: LoadedRole[], topology: Topology): Map<string, RegistrationCluster> {
  const out = new Map<string, RegistrationCluster>();
  for (const r of enabled) {
    const gate = r.def.rollout?.gate;
    if (!gate || (gate.kind !== "galera" && gate.kind !== "rabbitmq") || out.has(gate.kind)) continue;
    const container = ("container" in gate ? gate.container : undefined) ?? Object.keys(r.def.containers ?? {})[0];
    if (!container) continue;
    const hosts = [...new Set(r.def.groups.flatMap((g) => topology.hostsOf(g).map((h) => h.name)))];
    out.set(gate.kind, { container, hosts });
  }
  return out;
}

/** The cluster of a gate kind as far as `desired` shows it: the hosts running it, its first container. */
export function clusterInDesired(desired: DesiredState, gateKind: string): RegistrationCluster | undefined {
  let container: string | undefined;
  const hosts: string[] = [];
  for (const h of desired.hosts.values()) {
    const svc = h.services.find((s) => s.rollout.gate?.kind === gateKind);
    if (!svc?.containers[0]) continue;
    container ??= svc.containers[0].name;
    hosts.push(h.name);
  }
  return container ? { container, hosts } : undefined;
}

/** The first member of `cluster` lading reaches whose container runs (the facts say so), else the first one it reaches. */
export function registrationMember(cluster: RegistrationCluster, facts: Map<string, HostFacts>, reachable: (host: string) => boolean): { host: string; container: string } | undefined {
  const candidates = cluster.hosts.filter(reachable);
  const running = candidates.find((h) => facts.get(h)?.containers.get(cluster.container)?.running);
  const host = running ?? candidates[0];
  return host === undefined ? undefined : { host, container: cluster.container };
}

/** A SQL string literal: backslashes and quotes escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A SQL identifier in backquotes. */
export function sqlIdentifier(s: string): string {
  return `\`${s.replace(/`/g, "``")}\``;
}

export function databaseRegistrationSql(name: string, user: string, password: string): string {
  const u = `${sqlString(user)}@'%'`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(name)};`,
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY ${sqlString(password)};`,
    `ALTER USER ${u} IDENTIFIED BY ${sqlString(password)};`,
    `GRANT ALL PRIVILEGES ON ${sqlIdentifier(name)}.* TO ${u};`,
    "",
  ].join("\n");
}

export function databaseRemovalSql(name: string, user: string): string {
  return [`DROP DATABASE IF EXISTS ${sqlIdentifier(name)};`, `DROP USER IF EXISTS ${sqlString(user)}@'%';`, ""].join("\n");
}

/**
 * The mysql client reading SQL on stdin. The SQL is UTF-8, and the client says so: without Debian's client
 * config, MariaDB 10.11's client reads it as latin1, which would garble non-ASCII database and user names.
 * (Passwords are hashed from the bytes as sent either way.)
 */
export const MYSQL_STDIN_ARGV = ["mysql", "--batch", "--default-character-set=utf8mb4"];

export async function runSql(t: Transport, container: string, sql: string): Promise<void> {
  const r = await t.exec(docker.exec(container, MYSQL_STDIN_ARGV, { interactive: true }), { stdin: sql, become: true });
  if (r.code !== 0) throw new HostError(t.host, `SQL in ${container} failed: ${r.stderr.trim().split("\n")[0]}`);
}

async function rabbitmqctl(t: Transport, container: string, args: string[], stdin?: string): Promise<{ code: number | null; out: string }> {
  const r = await t.exec(docker.exec(container, ["rabbitmqctl", "--quiet", ...args], { interactive: stdin !== undefined }), { stdin, become: true });
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Creates (or updates the password of) a RabbitMQ user with full rights on its vhost. */
export async function registerMessaging(t: Transport, container: string, vhost: string, user: string, password: string): Promise<void> {
  const vh = await rabbitmqctl(t, container, ["add_vhost", vhost]);
  if (vh.code !== 0 && !/already exists/i.test(vh.out)) throw new HostError(t.host, `rabbitmqctl add_vhost ${vhost}: ${vh.out}`);
  const users = await rabbitmqctl(t, container, ["list_users", "--formatter", "json"]);
  if (users.code !== 0) throw new HostError(t.host, `rabbitmqctl list_users: ${users.out}`);
  const exists = (JSON.parse(users.out || "[]") as { user: string }[]).some((u) => u.user === user);
  // Without a password argument rabbitmqctl reads it from stdin, so it never shows in a process list.
  const set = exists ? await rabbitmqctl(t, container, ["change_password", user], `${password}\n`) : await rabbitmqctl(t, container, ["add_user", user], `${password}\n`);
  if (set.code !== 0) throw new HostError(t.host, `rabbitmqctl ${exists ? "change_password" : "add_user"} ${user}: ${set.out}`);
  const perm = await rabbitmqctl(t, container, ["set_permissions", "-p", vhost, user, ".*", ".*", ".*"]);
  if (perm.code !== 0) throw new HostError(t.host, `rabbitmqctl set_permissions: ${perm.out}`);
}

export async function removeMessaging(t: Transport, container: string, vhost: string, user: string): Promise<void> {
  await rabbitmqctl(t, container, ["delete_user", user]);
  if (vhost !== "/") await rabbitmqctl(t, container, ["delete_vhost", vhost]);
}

/** The identity service of a desired state (the service whose role declares identity:) and the hosts it runs on. */
export function identityInDesired(desired: DesiredState): { service: string; identity: IdentityProvider; hosts: string[] } | undefined {
  let found: { service: string; identity: IdentityProvider; hosts: string[] } | undefined;
  for (const h of desired.hosts.values()) {
    const svc = h.services.find((s) => s.identity);
    if (!svc?.identity) continue;
    found ??= { service: svc.name, identity: svc.identity, hosts: [] };
    found.hosts.push(h.name);
  }
  return found;
}

/** What the identity service's registration command reads on stdin (the admin password inside: never in argv). */
export function catalogRequest(action: "ensure" | "remove", identity: IdentityProvider, password: string, entry: Pick<CatalogEntry, "name" | "type"> & Partial<CatalogEntry>): string {
  return `${JSON.stringify({
    action,
    auth: { url: identity.url, user: identity.user, project: identity.project, domain: identity.domain, password },
    region: identity.region,
    service: { name: entry.name, type: entry.type, description: entry.description ?? "" },
    endpoints: entry.endpoints ?? {},
  })}\n`;
}

/** Runs the identity service's registration command in its container; returns the line it printed. */
export async function runCatalogRequest(t: Transport, identity: IdentityProvider, request: string): Promise<string> {
  const r = await t.exec(docker.exec(identity.container, identity.command, { interactive: true }), { stdin: request, become: true, timeoutMs: 120_000 });
  if (r.code !== 0) throw new HostError(t.host, `${identity.command.join(" ")} in ${identity.container} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout.trim().split("\n").pop() ?? "";
}
