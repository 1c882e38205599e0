// destroy: what removing one service (or everything) takes, as a pure plan with a reason per step, and the
// applier of that plan. Other services keep running: only the load balancer's files change, and HAProxy
// reloads gracefully (SIGUSR2 to its master) instead of restarting.
import * as docker from "../docker/commands.js";
import { HostError } from "../errors.js";
import type { HostFacts, HostStateFile } from "../facts/parse.js";
import type { Destroy } from "../generated/role.js";
import { configHashOf } from "../plan/plan.js";
import type { DesiredFile, DesiredService, DesiredState, IdentityProvider } from "../render/desired.js";
import { catalogRequest, clusterInDesired, databaseRemovalSql, identityInDesired, removeMessaging, runCatalogRequest, runSql } from "../apply/registrations.js";
import type { Emit } from "../apply/events.js";
import type { Transport } from "../transport/index.js";
import { revisionsDirOf } from "./revisions.js";

export type DestroyStep =
  | { kind: "write"; host: string; service: string; file: DesiredFile; reason: string }
  | { kind: "reload"; host: string; service: string; container: string; signal: string; stateKey: string; id: string; configHash: string; reason: string }
  | { kind: "remove-container"; host: string; service: string; container: string; reason: string }
  | { kind: "remove-volume"; host: string; service: string; volume: string; reason: string }
  | { kind: "remove-path"; host: string; service: string; path: string; reason: string }
  | { kind: "drop-database"; host: string; service: string; container: string; name: string; user: string; reason: string }
  | { kind: "remove-messaging"; host: string; service: string; container: string; vhost: string; user: string; reason: string }
  | { kind: "remove-catalog"; host: string; service: string; identity: IdentityProvider; name: string; type: string; reason: string }
  | { kind: "forget-state"; host: string; service: string; stateFile: string; state: HostStateFile; reason: string };

export interface DestroyPlan {
  /** The service destroyed, or "*" for everything. */
  service: string;
  steps: DestroyStep[];
  /** Other services whose files would change but that lading does not reload gracefully: run reconfigure. */
  warnings: string[];
}

function sha(content: string): string {
  return docker.sha256(content);
}

/** The host running the cluster with this gate kind (galera, rabbitmq) that lading can reach, and its container. */
function clusterMember(desired: DesiredState, facts: Map<string, HostFacts>, gateKind: string): { host: string; container: string } | undefined {
  const cluster = clusterInDesired(desired, gateKind);
  const host = cluster?.hosts.find((h) => facts.get(h)?.containers.get(cluster.container)?.running);
  return cluster && host ? { host, container: cluster.container } : undefined;
}

/**
 * The plan to remove `service`: the load-balancer entries first (files of other services that change once it
 * is gone, from `without`: the project rendered without it), then its containers, volumes (the role's
 * destroy.volumes and the named volumes its containers mount), config directory and destroy.paths, its
 * database and queue registrations, its revisions and its entries in lading's state file. Pure.
 */
export function destroyPlan(desired: DesiredState, without: DesiredState, facts: Map<string, HostFacts>, service: string, destroy: Destroy | undefined): DestroyPlan {
  const steps: DestroyStep[] = [];
  const warnings: string[] = [];

  for (const h of desired.hosts.values()) {
    const f = facts.get(h.name);
    const after = without.hosts.get(h.name);
    if (!f || !after) continue;
    for (const other of after.services) {
      if (other.name === service) continue;
      const changed = other.files.filter((file) => {
        const before = f.files.get(file.path);
        return !before || !before.exists || before.sha256 !== sha(file.content);
      });
      const was = h.services.find((s) => s.name === other.name);
      const reallyChanged = changed.filter((file) => was?.files.some((x) => x.path === file.path && x.content !== file.content));
      if (!reallyChanged.length) continue;
      if (other.rollout.gate?.kind !== "haproxy") {
        warnings.push(`${h.name}: ${other.name} has files that mention ${service} (${reallyChanged.map((x) => x.path).join(", ")}): run lading reconfigure afterwards`);
        continue;
      }
      for (const file of reallyChanged) steps.push({ kind: "write", host: h.name, service: other.name, file, reason: `${file.path.slice(file.path.lastIndexOf("/") + 1)}: drops ${service}` });
      for (const c of other.containers) {
        const cf = f.containers.get(c.name);
        if (!cf?.running) continue;
        const restartFiles = other.files.filter((x) => x.restarts.includes(c.name)).map((x) => ({ path: x.path, sha256: sha(x.content), mode: x.mode, owner: x.owner }));
        // SIGUSR2 makes HAProxy's master load the new configuration into new workers; connections finish on the old.
        steps.push({ kind: "reload", host: h.name, service: other.name, container: c.name, signal: "USR2", stateKey: c.name, id: cf.id, configHash: configHashOf(restartFiles), reason: `${c.name}: reload without ${service} (graceful)` });
      }
    }
  }

  let databaseDone = false;
  let messagingDone = false;
  let catalogDone = false;
  const identity = identityInDesired(desired);
  for (const h of desired.hosts.values()) {
    const svc: DesiredService | undefined = h.services.find((s) => s.name === service);
    const f = facts.get(h.name);
    if (!svc || !f) continue;
    const containers = new Set(svc.containers.map((c) => c.name));
    for (const [name, cf] of f.containers) if (cf.labels[docker.LABEL.service] === service) containers.add(name);
    for (const name of containers) if (f.containers.has(name)) steps.push({ kind: "remove-container", host: h.name, service, container: name, reason: `${name}: container of ${service}` });
    const volumes = new Set<string>(destroy?.volumes ?? []);
    for (const c of svc.containers) for (const v of c.volumes) if (v.kind === "volume") volumes.add(v.source);
    for (const v of [...volumes].sort()) if (f.volumes.has(v)) steps.push({ kind: "remove-volume", host: h.name, service, volume: v, reason: `${v}: volume of ${service}` });
    steps.push({ kind: "remove-path", host: h.name, service, path: svc.configDir, reason: `config directory of ${service}` });
    for (const p of destroy?.paths ?? []) steps.push({ kind: "remove-path", host: h.name, service, path: p, reason: `listed in ${service}'s destroy.paths` });
    steps.push({ kind: "remove-path", host: h.name, service, path: `${revisionsDirOf(h.stateFile)}/${service}`, reason: `revisions of ${service}` });

    if (svc.database && !databaseDone) {
      const m = clusterMember(desired, facts, "galera");
      if (m) steps.push({ kind: "drop-database", host: m.host, service, container: m.container, name: svc.database.name, user: svc.database.user, reason: `database ${svc.database.name} and user ${svc.database.user} of ${service}` });
      else warnings.push(`no running Galera node is reachable: database ${svc.database.name} and user ${svc.database.user} stay`);
      databaseDone = true;
    }
    if (svc.messaging && !messagingDone) {
      const m = clusterMember(desired, facts, "rabbitmq");
      if (m) steps.push({ kind: "remove-messaging", host: m.host, service, container: m.container, vhost: svc.messaging.vhost, user: svc.messaging.user, reason: `queue user ${svc.messaging.user}${svc.messaging.vhost === "/" ? "" : ` and vhost ${svc.messaging.vhost}`} of ${service}` });
      else warnings.push(`no running RabbitMQ node is reachable: queue user ${svc.messaging.user} stays`);
      messagingDone = true;
    }
    if (svc.catalog && !catalogDone && identity?.service !== service) {
      const host = identity?.hosts.find((x) => facts.get(x)?.containers.get(identity.identity.container)?.running);
      if (identity && host) steps.push({ kind: "remove-catalog", host, service, identity: identity.identity, name: svc.catalog.name, type: svc.catalog.type, reason: `catalogue entry ${svc.catalog.type} ${svc.catalog.name} of ${service} and its endpoints` });
      else warnings.push(`no running identity service is reachable: the catalogue entry ${svc.catalog.name} stays`);
      catalogDone = true;
    }
  }

  // lading's state file: the registrations and container records of the service go, wherever they were kept.
  const reloads = new Map(steps.filter((s): s is Extract<DestroyStep, { kind: "reload" }> => s.kind === "reload").map((s) => [`${s.host}/${s.stateKey}`, s]));
  for (const h of desired.hosts.values()) {
    const f = facts.get(h.name);
    if (!f) continue;
    const state = structuredClone(f.state);
    const svc = h.services.find((s) => s.name === service);
    const regs = state.registrations ?? {};
    for (const k of [`database/${service}`, `messaging/${service}`, `catalog/${service}`]) delete regs[k];
    // The identity service gone, so is its catalogue (its database): every service's entry is to register again.
    if (identity?.service === service) for (const k of Object.keys(regs)) if (k.startsWith("catalog/")) delete regs[k];
    // The records of its jobs too: a new deploy of the service runs them again (its database is new).
    for (const k of Object.keys(regs)) if (k.startsWith(`job/${service}/`)) delete regs[k];
    const containers = state.containers ?? {};
    for (const c of svc?.containers ?? []) delete containers[c.name];
    for (const [key, r] of reloads) if (key.startsWith(`${h.name}/`)) containers[r.stateKey] = { id: r.id, configHash: r.configHash };
    if (state.revisions && service in state.revisions) delete state.revisions[service];
    if (JSON.stringify(state) !== JSON.stringify(f.state)) steps.push({ kind: "forget-state", host: h.name, service, stateFile: h.stateFile, state, reason: `lading's records of ${service}` });
  }
  return { service, steps, warnings };
}

/** Everything lading put on the hosts: every container it manages, the volumes of every role, its config directory. Pure. */
export function destroyAllPlan(desired: DesiredState, facts: Map<string, HostFacts>, destroys: Map<string, Destroy | undefined>): DestroyPlan {
  const steps: DestroyStep[] = [];
  for (const h of desired.hosts.values()) {
    const f = facts.get(h.name);
    if (!f) continue;
    for (const [name, cf] of f.containers) steps.push({ kind: "remove-container", host: h.name, service: cf.labels[docker.LABEL.service] ?? "-", container: name, reason: `${name}: managed by lading` });
    const volumes = new Map<string, string>();
    for (const s of h.services) {
      for (const v of destroys.get(s.name)?.volumes ?? []) volumes.set(v, s.name);
      for (const c of s.containers) for (const v of c.volumes) if (v.kind === "volume") volumes.set(v.source, s.name);
    }
    for (const [v, s] of [...volumes].sort()) if (f.volumes.has(v)) steps.push({ kind: "remove-volume", host: h.name, service: s, volume: v, reason: `${v}: volume of ${s}` });
    for (const s of h.services) for (const p of destroys.get(s.name)?.paths ?? []) steps.push({ kind: "remove-path", host: h.name, service: s.name, path: p, reason: `listed in ${s.name}'s destroy.paths` });
    const configDir = h.stateFile.replace(/\/\.lading\/state\.json$/, "");
    steps.push({ kind: "remove-path", host: h.name, service: "-", path: configDir, reason: "lading's config directory (config files, state, revisions, lock, audit log)" });
  }
  return { service: "*", steps, warnings: [] };
}

export function formatDestroyPlan(plan: DestroyPlan): string {
  const lines: string[] = [];
  const byHost = new Map<string, DestroyStep[]>();
  for (const s of plan.steps) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s]);
  for (const [host, steps] of byHost) {
    lines.push(`${host}:`);
    for (const s of steps) lines.push(`  ${s.kind.padEnd(16)} ${targetOf(s)}  (${s.reason})`);
  }
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  lines.push(`${plan.steps.length} step(s) to destroy ${plan.service === "*" ? "everything lading deployed" : plan.service}`);
  return `${lines.join("\n")}\n`;
}

export function targetOf(s: DestroyStep): string {
  switch (s.kind) {
    case "write":
      return s.file.path;
    case "reload":
    case "remove-container":
      return s.container;
    case "remove-volume":
      return s.volume;
    case "remove-path":
      return s.path;
    case "drop-database":
      return s.name;
    case "remove-messaging":
      return s.user;
    case "remove-catalog":
      return `catalogue ${s.name}`;
    case "forget-state":
      return s.stateFile;
  }
}

/** `rm -rf` of one absolute path, refusing the root and relative paths (a bad render must not wipe a host). */
export function removePathArgv(path: string): string[] {
  if (!path.startsWith("/") || path.split("/").filter(Boolean).length < 2) throw new Error(`refusing to remove ${path}: not an absolute path at least two levels deep`);
  return ["rm", "-rf", "--", path];
}

/** Runs a destroy plan step by step, in its order; the first failure stops it. Returns whether all passed. */
export async function applyDestroy(plan: DestroyPlan, transports: Map<string, Transport>, secrets: Record<string, unknown>, emit: Emit): Promise<boolean> {
  for (const step of plan.steps) {
    const t = transports.get(step.host);
    const target = targetOf(step);
    emit({ type: "step", host: step.host, service: step.service, kind: step.kind, target, reason: step.reason, status: "start" });
    const started = Date.now();
    try {
      if (!t) throw new HostError(step.host, "no connection");
      await runDestroyStep(step, t, secrets);
      emit({ type: "step", host: step.host, service: step.service, kind: step.kind, target, reason: step.reason, status: "ok", ms: Date.now() - started });
    } catch (err) {
      emit({ type: "step", host: step.host, service: step.service, kind: step.kind, target, reason: step.reason, status: "failed", ms: Date.now() - started, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }
  return true;
}

async function must(t: Transport, argv: string[]): Promise<void> {
  const r = await t.exec(argv, { become: true, timeoutMs: 300_000 });
  if (r.code !== 0) throw new HostError(t.host, `${argv.slice(0, 3).join(" ")} failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-1)[0]}`);
}

async function runDestroyStep(step: DestroyStep, t: Transport, secrets: Record<string, unknown>): Promise<void> {
  switch (step.kind) {
    case "write":
      return t.putFile(step.file.path, step.file.content, { mode: step.file.mode, owner: step.file.owner });
    case "reload":
      return must(t, docker.kill(step.container, step.signal));
    case "remove-container":
      return must(t, docker.remove(step.container));
    case "remove-volume":
      return must(t, docker.removeVolume(step.volume));
    case "remove-path":
      return must(t, removePathArgv(step.path));
    case "drop-database":
      return runSql(t, step.container, databaseRemovalSql(step.name, step.user));
    case "remove-messaging":
      return removeMessaging(t, step.container, step.vhost, step.user);
    case "remove-catalog": {
      const password = secrets[step.identity.passwordSecret];
      await runCatalogRequest(t, step.identity, catalogRequest("remove", step.identity, typeof password === "string" ? password : "", { name: step.name, type: step.type }));
      return;
    }
    case "forget-state":
      return t.putFile(step.stateFile, `${JSON.stringify(step.state, null, 2)}\n`, { mode: "0600", owner: "root" });
  }
}
