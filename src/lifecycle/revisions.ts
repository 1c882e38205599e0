// Revisions: what a service was on a host after each change (images by digest, container parameters, config
// files with their content), kept on the host under <config_dir>/.lading/revisions/<service>/<n>.json (0600:
// config files hold secrets). Building a revision and building desired state from one are pure.
import { canonicalJson, LABEL, sha256 } from "../docker/commands.js";
import type { HostFacts, ImageFact } from "../facts/parse.js";
import type { DesiredContainer, DesiredFile, DesiredService } from "../render/desired.js";
import type { Transport } from "../transport/index.js";
import { HostError } from "../errors.js";
import { hostScript } from "../host-scripts/index.js";

export interface RevisionImage {
  /** The reference the service asked for (tag), as rendered. */
  ref: string;
  /** The image id (sha256:...) on the host. */
  id: string;
  /** repo@sha256 digests, when the image came from a registry. */
  digests: string[];
}

export interface RevisionFile {
  path: string;
  mode: string;
  owner: string;
  content: string;
}

export interface Revision {
  rev: number;
  /** ISO time it was recorded. */
  time: string;
  /** The lading command that made it (e.g. "upgrade", "rollback --to 3"). */
  command: string;
  service: string;
  host: string;
  /** Per container name, the image it runs. */
  images: Record<string, RevisionImage>;
  /** The desired containers, as lading created them. */
  containers: DesiredContainer[];
  files: RevisionFile[];
}

/** Where the revisions of every service live on a host, given its state file path. */
export function revisionsDirOf(stateFile: string): string {
  return `${stateFile.slice(0, stateFile.lastIndexOf("/"))}/revisions`;
}

export function revisionPath(stateFile: string, service: string, rev: number): string {
  return `${revisionsDirOf(stateFile)}/${service}/${rev}.json`;
}

/** The pinned reference of a recorded image: its registry digest when it has one, else its image id. */
export function pinnedRef(img: RevisionImage): string {
  const repo = img.ref.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
  return img.digests.find((d) => d.startsWith(`${repo}@`)) ?? img.digests[0] ?? img.id;
}

/**
 * A revision of `service` on a host: the desired containers and files, with the images the host holds for
 * them (looked up in `images` by reference). Pure.
 */
export function revisionFromDesired(
  svc: DesiredService,
  images: Map<string, ImageFact>,
  meta: { rev: number; time: string; command: string; host: string },
): Revision {
  const recorded: Record<string, RevisionImage> = {};
  for (const c of svc.containers) {
    const img = images.get(c.image);
    recorded[c.name] = { ref: c.image, id: img?.id ?? "", digests: img?.repoDigests ?? [] };
  }
  return {
    rev: meta.rev,
    time: meta.time,
    command: meta.command,
    service: svc.name,
    host: meta.host,
    images: recorded,
    containers: svc.containers.map((c) => structuredClone(c)),
    files: svc.files.map((f) => ({ path: f.path, mode: f.mode, owner: f.owner, content: f.content })),
  };
}

/** What a revision holds that matters (not its number, time or command): two equal revisions need one record. */
export function revisionFingerprint(r: Pick<Revision, "images" | "containers" | "files">): string {
  const images = Object.fromEntries(Object.entries(r.images).map(([k, v]) => [k, v.id || v.ref]));
  return sha256(canonicalJson({ images, containers: r.containers, files: r.files }));
}

/**
 * The desired state of a service put back from a revision: its containers with images pinned (digest or id;
 * the recorded tag when `hostImages` shows it still names the recorded image) and its config files as they were. Restart wiring (which file restarts which container) comes from the
 * current role, since a revision keeps data, not policy; a file the role no longer knows restarts them all. Pure.
 */
export function desiredFromRevision(current: DesiredService, rev: Revision, hostImages?: Map<string, ImageFact>): DesiredService {
  const restartsOf = new Map(current.files.map((f) => [f.path, f.restarts]));
  const bootstrapOf = new Map(current.containers.map((c) => [c.name, c.bootstrapCommand]));
  const containers = rev.containers.map((c) => {
    const img = rev.images[c.name];
    const out: DesiredContainer = { ...structuredClone(c), service: current.name };
    // The recorded tag while it still names the same image on the host (so the next deploy of that tag
    // changes nothing), else the image pinned by digest or id.
    if (img && img.id) out.image = hostImages && hostImages.get(img.ref)?.id === img.id ? img.ref : pinnedRef(img);
    const boot = bootstrapOf.get(c.name);
    if (boot) out.bootstrapCommand = boot;
    else delete out.bootstrapCommand;
    return out;
  });
  const files: DesiredFile[] = rev.files.map((f) => ({
    service: current.name,
    path: f.path,
    content: f.content,
    mode: f.mode,
    owner: f.owner,
    restarts: restartsOf.get(f.path) ?? containers.map((c) => c.name),
    template: `revision ${rev.rev}`,
  }));
  return { ...current, containers, files };
}

/** Container parameters without the image (which a rollback pins by digest), for comparing with a label. */
function specWithoutImage(spec: unknown): string {
  const { image: _i, service: _s, bootstrapCommand: _b, ...rest } = (spec ?? {}) as Record<string, unknown>;
  void _i;
  void _s;
  void _b;
  return canonicalJson(rest);
}

/**
 * True when what runs on the host is this revision: same image ids, same container parameters (from the
 * lading.spec label) and, for the files the facts hold, the same content.
 */
export function revisionIsRunning(rev: Revision, facts: HostFacts): boolean {
  for (const c of rev.containers) {
    const cf = facts.containers.get(c.name);
    const img = rev.images[c.name];
    if (!cf || !img || cf.imageId !== img.id) return false;
    const label = cf.labels[LABEL.spec];
    if (label !== undefined) {
      try {
        if (specWithoutImage(JSON.parse(label)) !== specWithoutImage(c)) return false;
      } catch {
        return false;
      }
    }
  }
  for (const f of rev.files) {
    const ff = facts.files.get(f.path);
    if (ff?.exists && ff.sha256 !== sha256(f.content)) return false;
  }
  return rev.containers.length > 0;
}

/**
 * The revision a rollback goes to: `to` when given, else the newest one that is not what runs now (the
 * previous release). Undefined when there is none. Pure.
 */
export function rollbackTarget(revisions: Revision[], facts: HostFacts, to?: number): Revision | undefined {
  const sorted = [...revisions].sort((a, b) => b.rev - a.rev);
  if (to !== undefined) return sorted.find((r) => r.rev === to);
  const running = sorted.find((r) => revisionIsRunning(r, facts));
  const runningPrint = running ? revisionFingerprint(running) : undefined;
  return sorted.find((r) => !revisionIsRunning(r, facts) && revisionFingerprint(r) !== runningPrint);
}

// Prints every revision file of the services given (all when none) as "@@<service> <n>" and its base64 body,
// and the ids of the images given as "@@image <ref> <id> <digests...>" (inspected after a pull, for recording).
export const REVISIONS_SCRIPT = hostScript("revisions.sh");

export function readRevisionsArgv(dir: string, services: string[], images: string[] = []): string[] {
  return ["sh", "-c", REVISIONS_SCRIPT, "lading-revisions", dir, ...services, "--", ...images];
}

export interface RevisionsOutput {
  revisions: Revision[];
  images: Map<string, ImageFact>;
}

/** Parses the output of REVISIONS_SCRIPT. An unreadable revision file is skipped (and named in `unreadable`). */
export function parseRevisionsOutput(out: string): RevisionsOutput & { unreadable: string[] } {
  if (!out.includes("@@end")) throw new Error("revisions output is incomplete (no end marker)");
  const revisions: Revision[] = [];
  const images = new Map<string, ImageFact>();
  const unreadable: string[] = [];
  const lines = out.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const rev = /^@@rev (\S+) (\S+)$/.exec(line);
    if (rev) {
      const body = lines[++i] ?? "";
      try {
        const r = JSON.parse(Buffer.from(body, "base64").toString("utf8")) as Revision;
        if (typeof r.rev !== "number" || !Array.isArray(r.containers)) throw new Error("not a revision");
        revisions.push(r);
      } catch {
        unreadable.push(`${rev[1]}/${rev[2]}.json`);
      }
      continue;
    }
    const img = /^@@image (\S+) (\S+)(.*)$/.exec(line);
    if (img) images.set(img[1]!, { id: img[2]!, repoTags: [img[1]!], repoDigests: img[3]!.trim().split(/\s+/).filter(Boolean) });
  }
  revisions.sort((a, b) => a.service.localeCompare(b.service) || a.rev - b.rev);
  return { revisions, images, unreadable };
}

export async function readRevisions(t: Transport, stateFile: string, services: string[], images: string[] = []): Promise<RevisionsOutput> {
  const r = await t.exec(readRevisionsArgv(revisionsDirOf(stateFile), services, images), { become: true });
  if (r.code !== 0) throw new HostError(t.host, `reading revisions failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  return parseRevisionsOutput(r.stdout);
}

export async function writeRevision(t: Transport, stateFile: string, rev: Revision): Promise<void> {
  await t.putFile(revisionPath(stateFile, rev.service, rev.rev), `${JSON.stringify(rev, null, 2)}\n`, { mode: "0600", owner: "root" });
}

/**
 * The revisions to record after a run, per service of the host: a new one only where the desired service
 * differs from its newest revision. Pure.
 */
export function revisionsToRecord(
  host: string,
  services: DesiredService[],
  existing: Revision[],
  images: Map<string, ImageFact>,
  meta: { time: string; command: string },
): Revision[] {
  const out: Revision[] = [];
  for (const svc of services) {
    if (!svc.containers.length) continue;
    const mine = existing.filter((r) => r.service === svc.name);
    const last = mine.reduce<Revision | undefined>((a, r) => (!a || r.rev > a.rev ? r : a), undefined);
    const next = revisionFromDesired(svc, images, { rev: (last?.rev ?? 0) + 1, time: meta.time, command: meta.command, host });
    if (last && revisionFingerprint(last) === revisionFingerprint(next)) continue;
    out.push(next);
  }
  return out;
}

/**
 * Hook for every applying command: records, on each host, a revision of each given service that changed.
 * One exec per host (revisions and image ids), then one putFile per new revision. Returns what it recorded.
 */
export async function recordRevisions(
  transports: Map<string, Transport>,
  hosts: Iterable<{ name: string; stateFile: string; services: DesiredService[] }>,
  command: string,
  now: Date = new Date(),
): Promise<Revision[]> {
  const recorded: Revision[] = [];
  await Promise.all(
    [...hosts].map(async (h) => {
      const t = transports.get(h.name);
      if (!t || !h.services.length) return;
      const images = [...new Set(h.services.flatMap((s) => s.containers.map((c) => c.image)))];
      const { revisions, images: found } = await readRevisions(t, h.stateFile, h.services.map((s) => s.name), images);
      for (const rev of revisionsToRecord(h.name, h.services, revisions, found, { time: now.toISOString(), command })) {
        await writeRevision(t, h.stateFile, rev);
        recorded.push(rev);
      }
    }),
  );
  return recorded;
}

/**
 * A revision of what runs now, from the facts alone: container parameters from their lading.spec labels,
 * image ids, and the service's config files as they are on the host (owner as numeric ids). For a service
 * deployed before revisions were recorded, so that the first upgrade still has something to roll back to.
 * Undefined when a container has no readable label or a file's content is unknown. Pure.
 */
export function revisionFromRunning(svc: DesiredService, facts: HostFacts, meta: { rev: number; time: string; command: string; host: string }): Revision | undefined {
  const images: Record<string, RevisionImage> = {};
  const containers: DesiredContainer[] = [];
  for (const c of svc.containers) {
    const cf = facts.containers.get(c.name);
    const label = cf?.labels[LABEL.spec];
    if (!cf || !label) return undefined;
    try {
      containers.push({ ...(JSON.parse(label) as DesiredContainer), service: svc.name });
    } catch {
      return undefined;
    }
    images[c.name] = { ref: cf.imageRef, id: cf.imageId, digests: [] };
  }
  const files: RevisionFile[] = [];
  for (const f of svc.files) {
    const ff = facts.files.get(f.path);
    if (!ff?.exists) continue;
    if (!ff.content) return undefined;
    files.push({ path: f.path, mode: ff.mode, owner: ff.ownerIds, content: ff.content.toString("utf8") });
  }
  return { rev: meta.rev, time: meta.time, command: meta.command, service: svc.name, host: meta.host, images, containers, files };
}

/** What lading's state file keeps of the newest revision of each service on a host. */
export type RecordedRevisions = Record<string, { rev: number; fingerprint: string }>;

/**
 * The revisions to record after a run, per service of a host, from what the state file says was recorded last
 * (no read of the revision files): a new one only where the service differs from it. Returns the revisions
 * and the state file's updated record. Pure.
 */
export function nextRevisions(
  host: string,
  services: DesiredService[],
  recorded: RecordedRevisions | undefined,
  images: Map<string, ImageFact>,
  meta: { time: string; command: string },
): { revisions: Revision[]; recorded: RecordedRevisions } {
  const out: Revision[] = [];
  const next: RecordedRevisions = { ...(recorded ?? {}) };
  for (const svc of services) {
    if (!svc.containers.length) continue;
    const last = next[svc.name];
    const rev = revisionFromDesired(svc, images, { rev: (last?.rev ?? 0) + 1, time: meta.time, command: meta.command, host });
    const fingerprint = revisionFingerprint(rev);
    if (last?.fingerprint === fingerprint) continue;
    out.push(rev);
    next[svc.name] = { rev: rev.rev, fingerprint };
  }
  return { revisions: out, recorded: next };
}

/** The file a revision is kept in on its host, as the run's final exec writes it (0600: it holds secrets). */
export function revisionFileContent(rev: Revision): string {
  return `${JSON.stringify(rev, null, 2)}\n`;
}
