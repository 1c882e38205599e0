// The plan: a pure function from desired state and facts to the steps that close the gap, each with
// its reason, and a note of what was left alone. It writes nothing and opens nothing.
import { canonicalJson, containerSpecOf, LABEL, sha256, specHash } from "../docker/commands.js";
import type { HostFacts } from "../facts/parse.js";
import type { CatalogEntry, DesiredContainer, DesiredFile, DesiredJob, DesiredService, DesiredState } from "../render/desired.js";
import type { SecretValue } from "../render/render.js";
import type { Schedule } from "./schedule.js";

export type PlanMode = "deploy" | "reconfigure" | "genconfig" | "deploy-containers";

export type Step =
  | { kind: "pull"; image: string; reason: string }
  | { kind: "write"; file: DesiredFile; reason: string; old?: string; previous?: PreviousFile }
  | { kind: "create"; container: DesiredContainer; configHash: string; reason: string; bootstrap?: boolean }
  | { kind: "recreate"; container: DesiredContainer; configHash: string; reason: string; previous?: PreviousContainer }
  | { kind: "restart"; service: string; container: string; configHash: string; reason: string; previousConfigHash?: string }
  | { kind: "start"; service: string; container: string; reason: string }
  /** A changed file loaded into the running container by a host script (role.yaml hotReload), no restart. */
  | { kind: "reload"; service: string; container: string; path: string; script: string; args: string[]; reason: string }
  | { kind: "register-database"; service: string; name: string; user: string; passwordSecret: string; stateKey: string; stateValue: string; reason: string }
  | { kind: "register-messaging"; service: string; vhost: string; user: string; passwordSecret: string; stateKey: string; stateValue: string; reason: string }
  | { kind: "register-catalog"; service: string; catalog: CatalogEntry; stateKey: string; stateValue: string; reason: string }
  | { kind: "job"; service: string; job: DesiredJob; stateKey: string; stateValue: string; reason: string };

/** A file as it was on the host before the run, so that a rollout with `onFailure: revert` can put it back. */
export interface PreviousFile {
  /** Absent when the file was too big for its content to be gathered (it cannot be reverted). */
  content?: string;
  mode: string;
  owner: string;
}

/** The container as it ran before the run (from its lading.spec label), so that revert can recreate it. */
export interface PreviousContainer {
  container: DesiredContainer;
  configHash: string;
  /** The image id it ran: a revert after an image change needs the old image, not what the tag points to now. */
  imageId: string;
}

export interface ServicePlan {
  service: string;
  steps: Step[];
  /** What was compared and found as wanted, e.g. "galera.cnf: up to date". */
  unchanged: string[];
  /** The desired service, for the applier (containers, rollout). */
  desired: DesiredService;
}

export interface HostPlan {
  host: string;
  /** Images to pull before anything on any host is stopped. */
  pulls: Step[];
  services: ServicePlan[];
  /** Containers lading manages on the host that no service wants any more. */
  orphans: string[];
  warnings: string[];
}

export interface Plan {
  mode: PlanMode;
  hosts: Map<string, HostPlan>;
  /** Per service, the host that bootstraps a new cluster (first deploy of Galera). */
  bootstrap: Map<string, string>;
  /** The order the run takes (src/plan/schedule.ts), once scheduled; an apply without one schedules it itself. */
  schedule?: Schedule;
}

export interface PlanInput {
  desired: DesiredState;
  facts: Map<string, HostFacts>;
  secrets: Record<string, SecretValue>;
  mode: PlanMode;
}

/** The config hash of a container: the files that restart it, as they are (or will be) on the host. */
export function configHashOf(files: { path: string; sha256: string; mode: string; owner: string }[]): string {
  return sha256(canonicalJson(files.map((f) => [f.path, f.sha256, f.mode, f.owner]).sort())).slice(0, 32);
}

export function hasChanges(plan: Plan): boolean {
  for (const h of plan.hosts.values()) {
    if (h.pulls.length) return true;
    for (const s of h.services) if (s.steps.length) return true;
  }
  return false;
}

export function countSteps(plan: Plan): number {
  let n = 0;
  for (const h of plan.hosts.values()) n += h.pulls.length + h.services.reduce((a, s) => a + s.steps.length, 0);
  return n;
}

function secretText(v: SecretValue | undefined): string {
  if (v === undefined) return "";
  if (Array.isArray(v)) return v.join("\n");
  return typeof v === "string" ? v : v.private_key;
}

function changedSpecFields(old: string | undefined, desired: DesiredContainer): string[] {
  if (!old) return ["(unlabelled)"];
  let before: Record<string, unknown>;
  try {
    before = JSON.parse(old) as Record<string, unknown>;
  } catch {
    return ["(unreadable label)"];
  }
  const after = containerSpecOf(desired) as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
}

export function buildPlan(input: PlanInput): Plan {
  const { desired, facts, mode } = input;
  const hosts = new Map<string, HostPlan>();
  const bootstrap = new Map<string, string>();

  // A cluster with a bootstrap command is new when no host in scope has its container or data.
  const clusterHosts = new Map<string, string[]>();
  for (const h of desired.hosts.values())
    for (const s of h.services)
      for (const c of s.containers)
        if (c.bootstrapCommand) clusterHosts.set(`${s.name}/${c.name}`, [...(clusterHosts.get(`${s.name}/${c.name}`) ?? []), h.name]);
  for (const [key, members] of clusterHosts) {
    const [service, container] = key.split("/") as [string, string];
    const anyExists = members.some((m) => facts.get(m)?.containers.has(container));
    if (!anyExists && members[0]) bootstrap.set(service, members[0]);
  }

  // A registration is one action on a shared cluster: plan it on the first host of the service only.
  const registrationHost = new Map<string, string>();
  for (const h of desired.hosts.values()) for (const s of h.services) if (!registrationHost.has(s.name) && facts.has(h.name)) registrationHost.set(s.name, h.name);

  const registered = new Map<string, string>();
  for (const f of facts.values()) for (const [k, v] of Object.entries(f.state.registrations ?? {})) registered.set(`${k}=${v}`, k);

  for (const host of desired.hosts.values()) {
    const hf = facts.get(host.name);
    if (!hf) continue;
    const hp: HostPlan = { host: host.name, pulls: [], services: [], orphans: [], warnings: [] };
    const pulled = new Set<string>();
    const wanted = new Set<string>();

    for (const svc of host.services) {
      const sp: ServicePlan = { service: svc.name, steps: [], unchanged: [], desired: svc };
      const changedFiles = new Set<string>();
      const fileHashes = new Map<string, { path: string; sha256: string; mode: string; owner: string }>();

      for (const f of svc.files) {
        const fact = hf.files.get(f.path) ?? { exists: false as const };
        const wantHash = sha256(f.content);
        const short = f.path.startsWith(`${svc.configDir}/`) ? f.path.slice(svc.configDir.length + 1) : f.path;
        if (mode === "deploy-containers") {
          // The files as they are on the host; mode and owner as declared when the host's match them
          // (the host reports names where the role may have written numbers).
          if (fact.exists) {
            const owner = ownerMatches(fact.owner, fact.ownerIds, f.owner) ? f.owner : fact.owner;
            fileHashes.set(f.path, { path: f.path, sha256: fact.sha256, mode: fact.mode === f.mode ? f.mode : fact.mode, owner });
          }
          continue;
        }
        fileHashes.set(f.path, { path: f.path, sha256: wantHash, mode: f.mode, owner: f.owner });
        let reason: string | undefined;
        if (!fact.exists) reason = `${short}: missing`;
        else if (fact.sha256 !== wantHash) reason = `${short}: content differs`;
        else if (fact.mode !== f.mode) reason = `${short}: mode ${fact.mode} -> ${f.mode}`;
        else if (!ownerMatches(fact.owner, fact.ownerIds, f.owner)) reason = `${short}: owner ${fact.owner} -> ${f.owner}`;
        if (reason) {
          changedFiles.add(f.path);
          const old = fact.exists && fact.content ? fact.content.toString("utf8") : undefined;
          const previous = fact.exists ? { content: old, mode: fact.mode, owner: fact.ownerIds } : undefined;
          sp.steps.push({ kind: "write", file: f, reason, old, previous });
        } else sp.unchanged.push(`${short}: up to date`);
      }

      if (mode !== "genconfig") {
        const registers = registrationHost.get(svc.name) === host.name;
        if (svc.database && registers) {
          const value = sha256(`${svc.database.name}\0${svc.database.user}\0${secretText(input.secrets[svc.database.passwordSecret])}`).slice(0, 32);
          const stateKey = `database/${svc.name}`;
          if (!registered.has(`${stateKey}=${value}`)) {
            sp.steps.push({ kind: "register-database", service: svc.name, name: svc.database.name, user: svc.database.user, passwordSecret: svc.database.passwordSecret, stateKey, stateValue: value, reason: `database ${svc.database.name} and user ${svc.database.user}: not registered or password changed` });
          } else sp.unchanged.push(`database ${svc.database.name}: registered`);
        }
        if (svc.messaging && registers) {
          const value = sha256(`${svc.messaging.vhost}\0${svc.messaging.user}\0${secretText(input.secrets[svc.messaging.passwordSecret])}`).slice(0, 32);
          const stateKey = `messaging/${svc.name}`;
          if (!registered.has(`${stateKey}=${value}`)) {
            sp.steps.push({ kind: "register-messaging", service: svc.name, vhost: svc.messaging.vhost, user: svc.messaging.user, passwordSecret: svc.messaging.passwordSecret, stateKey, stateValue: value, reason: `queue user ${svc.messaging.user} on vhost ${svc.messaging.vhost}: not registered or password changed` });
          } else sp.unchanged.push(`queue user ${svc.messaging.user}: registered`);
        }

        if (svc.catalog && registers) {
          const value = sha256(canonicalJson(svc.catalog)).slice(0, 32);
          const stateKey = `catalog/${svc.name}`;
          if (!registered.has(`${stateKey}=${value}`)) {
            sp.steps.push({ kind: "register-catalog", service: svc.name, catalog: svc.catalog, stateKey, stateValue: value, reason: `catalogue entry ${svc.catalog.type} ${svc.catalog.name} (${Object.keys(svc.catalog.endpoints).join(", ")}): not registered or changed` });
          } else sp.unchanged.push(`catalogue entry ${svc.catalog.name}: registered`);
        }

        // Jobs run on the service's first host, before its containers start; the host's record of each says
        // with which inputs it last succeeded (kept like the registrations).
        if (registers) {
          for (const job of svc.jobs ?? []) {
            const stateKey = `job/${svc.name}/${job.name}`;
            const stateValue = jobInputsHash(job, (p) => svc.files.find((f) => f.path === p)?.content);
            const recorded = recordedValue(facts, stateKey);
            if (recorded === stateValue) sp.unchanged.push(`job ${job.name}: ran with these inputs`);
            else sp.steps.push({ kind: "job", service: svc.name, job, stateKey, stateValue, reason: `job ${job.name}: ${recorded === undefined ? "never ran" : "its inputs changed (image, command or input files)"}` });
          }
        }

        for (const c of svc.containers) {
          wanted.add(c.name);
          const img = hf.images.get(c.image);
          if (!img && !pulled.has(c.image)) {
            pulled.add(c.image);
            hp.pulls.push({ kind: "pull", image: c.image, reason: `${c.image}: not on the host` });
          }
          const restartFiles = c.name ? [...fileHashes.values()].filter((f) => svc.files.find((x) => x.path === f.path)?.restarts.includes(c.name)) : [];
          const configHash = configHashOf(restartFiles);
          const cf = hf.containers.get(c.name);
          if (!cf) {
            const isBootstrap = bootstrap.get(svc.name) === host.name && !!c.bootstrapCommand;
            sp.steps.push({ kind: "create", container: c, configHash, reason: `${c.name}: missing${isBootstrap ? " (bootstraps a new cluster)" : ""}`, bootstrap: isBootstrap || undefined });
            continue;
          }
          const reasons: string[] = [];
          if (cf.labels[LABEL.specHash] !== specHash(c)) reasons.push(`parameters differ (${changedSpecFields(cf.labels[LABEL.spec], c).join(", ")})`);
          if (!img) reasons.push(`image ${c.image} is not on the host`);
          else if (img.id !== cf.imageId) reasons.push(`image differs (${c.image})`);
          if (cf.labels[LABEL.bootstrap] === "true") reasons.push("runs with the cluster bootstrap command");
          // A restart cannot relabel a container, so the hash of the config it restarted with is kept in
          // the host's state file, tied to the container id; otherwise the label at creation counts.
          const recorded = hf.state.containers?.[c.name];
          const runningHash = recorded && recorded.id === cf.id ? recorded.configHash : cf.labels[LABEL.configHash];
          if (reasons.length) {
            const previous = previousContainerOf(cf.labels[LABEL.spec], svc.name, runningHash ?? "", cf.imageId);
            sp.steps.push({ kind: "recreate", container: c, configHash, reason: `${c.name}: ${reasons.join("; ")}`, previous });
            continue;
          }
          // A file it reloads that was not on the host (its folder removed, or never written): the container may
          // hold the mount of a folder that is gone, where a reload would not find it; a restart mounts the new one.
          // A new file beside one that is there (a CA bundle added to HAProxy's folder) is in the mounted folder: it reloads.
          const dirOf = (p: string): string => p.slice(0, p.lastIndexOf("/"));
          const folderThere = (p: string): boolean => svc.files.some((o) => o.path !== p && dirOf(o.path) === dirOf(p) && hf.files.get(o.path)?.exists);
          const missingReloadable = svc.files.filter((f) => f.hotReload?.container === c.name && changedFiles.has(f.path) && !hf.files.get(f.path)?.exists && !folderThere(f.path)).map((f) => f.path);
          if (runningHash !== configHash || missingReloadable.length) {
            const names = [...changedFiles].filter((p) => restartFiles.some((f) => f.path === p) || missingReloadable.includes(p)).map((p) => p.slice(p.lastIndexOf("/") + 1));
            sp.steps.push({
              kind: "restart",
              service: svc.name,
              container: c.name,
              configHash,
              previousConfigHash: runningHash,
              reason: `${c.name}: config changed (${names.length ? names.join(", ") : "files changed since it started"})`,
            });
            continue;
          }
          if (!cf.running) {
            sp.steps.push({ kind: "start", service: svc.name, container: c.name, reason: `${c.name}: ${cf.status}` });
            continue;
          }
          sp.unchanged.push(`${c.name}: running, up to date${cf.health ? ` (${cf.health})` : ""}`);
        }
        sp.steps.push(...hotReloads(svc, changedFiles, sp.steps, hf));
      }
      hp.services.push(sp);
    }
    for (const name of hf.containers.keys()) if (!wanted.has(name) && mode !== "genconfig") hp.orphans.push(name);
    hosts.set(host.name, hp);
  }
  return { mode, hosts, bootstrap };
}

/**
 * Reload steps for the changed files that declare a hot reload, where their container runs and no restart,
 * recreate, create or start of it is planned (those read the new file anyway).
 */
function hotReloads(svc: DesiredService, changedFiles: Set<string>, steps: Step[], hf: HostFacts): Step[] {
  const short = (path: string): string => (path.startsWith(`${svc.configDir}/`) ? path.slice(svc.configDir.length + 1) : path);
  const out: Step[] = [];
  for (const f of svc.files) {
    const hr = f.hotReload;
    if (!hr || !changedFiles.has(f.path)) continue;
    if (!hf.containers.get(hr.container)?.running) continue;
    const restarted = steps.some((x) => (x.kind === "restart" || x.kind === "start") ? x.container === hr.container : (x.kind === "create" || x.kind === "recreate") && x.container.name === hr.container);
    if (restarted) continue;
    out.push({ kind: "reload", service: svc.name, container: hr.container, path: f.path, script: hr.script, args: hr.args, reason: `${svc.name}: ${hr.says} (${short(f.path)})` });
  }
  // A full reload (HAProxy's whole configuration) reads every other changed file of its container too: one per
  // container, naming every file it loads (two in a row would start new workers twice for one change).
  type Reload = Extract<Step, { kind: "reload" }>;
  const reloads = out as Reload[];
  const fullOf = new Map<string, Reload>();
  for (const r of reloads) if (!fullOf.has(r.container) && svc.files.find((f) => f.path === r.path)?.hotReload?.full) fullOf.set(r.container, r);
  const kept: Reload[] = [];
  for (const r of reloads) {
    const full = fullOf.get(r.container);
    if (!full) kept.push(r);
    else if (!kept.includes(full)) kept.push(full);
    if (full && full !== r) full.reason = full.reason.replace(/\)$/, `, ${short(r.path)})`);
  }
  return kept;
}

/**
 * What a job's record holds: a hash of its image reference, its command and the content of its input files
 * (a file the role does not render counts as absent).
 */
export function jobInputsHash(job: DesiredJob, contentOf: (path: string) => string | undefined): string {
  const files = [...job.inputs].sort().map((p) => [p, sha256(contentOf(p) ?? "")]);
  return sha256(canonicalJson({ image: job.container.image, command: job.command, files })).slice(0, 32);
}

/** The value some host of the run recorded under `key` (registrations and jobs), if any. */
function recordedValue(facts: Map<string, HostFacts>, key: string): string | undefined {
  for (const f of facts.values()) {
    const v = f.state.registrations?.[key];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The spec a container was created with, read back from its label; undefined when unlabelled or unreadable. */
export function previousContainerOf(specLabel: string | undefined, service: string, configHash: string, imageId: string): PreviousContainer | undefined {
  if (!specLabel) return undefined;
  try {
    const spec = JSON.parse(specLabel) as Omit<DesiredContainer, "service">;
    if (typeof spec.name !== "string" || typeof spec.image !== "string") return undefined;
    return { container: { ...spec, service }, configHash, imageId };
  } catch {
    return undefined;
  }
}

/** `wanted` is "user" or "user:group", each a name or a number; the host reports both names and ids. */
export function ownerMatches(names: string, ids: string, wanted: string): boolean {
  const [nameUser, nameGroup] = names.split(":");
  const [idUser, idGroup] = ids.split(":");
  const [user, group] = wanted.split(":");
  const same = (want: string | undefined, name: string | undefined, id: string | undefined): boolean => want === undefined || want === name || want === id;
  return same(user, nameUser, idUser) && same(group, nameGroup, idGroup);
}
