// Parses the output of the facts script into typed facts.
import { createHash } from "node:crypto";
import type { FactsRequest } from "./gather.js";
import { auditFileOf } from "../lifecycle/audit.js";
import { lockFileOf } from "../lifecycle/lock.js";

export type FileFact =
  | { exists: false }
  | { exists: true; mode: string; owner: string; ownerIds: string; size: number; sha256: string; content?: Buffer };

export interface ImageFact {
  id: string;
  repoTags: string[];
  repoDigests: string[];
}

export interface ContainerFact {
  name: string;
  id: string;
  /** Image id the container runs. */
  imageId: string;
  /** Image reference it was created from. */
  imageRef: string;
  labels: Record<string, string>;
  status: string;
  running: boolean;
  health?: string;
  startedAt: string;
  restartCount: number;
  /** Last health check output, for reports. */
  healthLog?: string;
  /**
   * Since when the health status holds, as far as the engine's log of the last probes tells: the start of the
   * oldest probe in the newest run of probes agreeing with it. When every kept probe agrees (the engine keeps
   * five), the status may be older: `healthSinceAtLeast` is then true.
   */
  healthSince?: string;
  healthSinceAtLeast?: boolean;
  /** When the engine ran the newest health probe it kept: an old one means the checks stopped running. */
  lastProbeAt?: string;
}

/** What lading recorded on the host: registrations done, and (later) revisions. */
export interface HostStateFile {
  registrations?: Record<string, string>;
  /** The newest revision recorded per service (src/lifecycle/revisions.ts), to number and skip the next. */
  revisions?: Record<string, { rev: number; fingerprint: string }>;
  /** Config hash each container last (re)started with, tied to its container id. */
  containers?: Record<string, { id: string; configHash: string }>;
  [k: string]: unknown;
}

export interface HostFacts {
  /** Whether the docker CLI reached an engine (`docker ps` answered). */
  engineReachable: boolean;
  files: Map<string, FileFact>;
  /** By requested image reference; absent when the host does not have it. */
  images: Map<string, ImageFact>;
  containers: Map<string, ContainerFact>;
  /** The engine's volumes; empty unless the request asked for them (FactsRequest.volumes). */
  volumes: Set<string>;
  state: HostStateFile;
  /** The deploy lock file's content when another run holds (or left) it; undefined when free. */
  lock?: string;
  /** Size of the audit log in bytes: it grows with every run that changes the host. */
  auditBytes?: number;
}

/** `repo` and `repo:tag` and `repo@digest` forms, so a requested reference finds its image. */
export function normalizeRef(ref: string): string {
  if (ref.includes("@")) return ref;
  const lastSlash = ref.lastIndexOf("/");
  return ref.slice(lastSlash + 1).includes(":") ? ref : `${ref}:latest`;
}

function sections(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      current = [];
      map.set(m[1]!, current);
    } else if (current) current.push(line);
  }
  return map;
}

/** One line of @@files: "F|H|S mode user:group uid:gid size path" (the path may hold spaces). */
const FILE_LINE = /^([FHS]) (\d+) (\S+) (\d+:\d+) (\d+) (.*)$/;

interface ListedFile {
  /** F: content in @@content; H: too big, a sha256 follows; S: only its size was asked for. */
  kind: "F" | "H" | "S";
  mode: string;
  owner: string;
  ownerIds: string;
  size: number;
  sha256?: string;
  content?: Buffer;
}

/** The regular files the host listed, by path, with their contents cut out of the @@content blob. */
function listedFiles(lines: string[], contentBase64: string): Map<string, ListedFile> {
  const listed = new Map<string, ListedFile>();
  const inContent: [string, ListedFile][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const m = FILE_LINE.exec(line);
    if (!m) throw new Error(`unexpected facts line: ${line.slice(0, 80)}`);
    const f: ListedFile = { kind: m[1] as ListedFile["kind"], mode: m[2]!.padStart(4, "0"), owner: m[3]!, ownerIds: m[4]!, size: Number(m[5]) };
    if (f.kind === "H") f.sha256 = (lines[++i] ?? "").trim().split(/\s+/)[0];
    else if (f.kind === "F") inContent.push([m[6]!, f]);
    listed.set(m[6]!, f);
  }
  const content = Buffer.from(contentBase64, "base64");
  const expected = inContent.reduce((n, [, f]) => n + f.size, 0);
  if (content.length !== expected) throw new Error(`files changed while they were read (${content.length} bytes of content for ${expected} listed): run again`);
  let at = 0;
  for (const [, f] of inContent) {
    f.content = content.subarray(at, at + f.size);
    at += f.size;
  }
  return listed;
}

/** The parts of a `docker inspect` object (a container's or an image's) that lading reads. */
export interface InspectedObject {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Name?: string;
  Image?: string;
  RestartCount?: number;
  Config?: { Image: string; Labels?: Record<string, string> | null };
  State?: { Status: string; Running: boolean; StartedAt: string; Health?: { Status: string; Log?: HealthProbe[] } };
}

export interface HealthProbe {
  Output: string;
  Start?: string;
  ExitCode?: number;
}

/** The health status's start, from the probes the engine kept (oldest first). Undefined with no probe. */
export function healthSinceOf(status: string | undefined, log: HealthProbe[] | undefined): { since: string; atLeast: boolean } | undefined {
  if (!status || !log?.length || status === "starting") return undefined;
  const agrees = (p: HealthProbe): boolean => (status === "healthy" ? p.ExitCode === 0 : p.ExitCode !== 0);
  let i = log.length - 1;
  if (!agrees(log[i]!) || !log[i]!.Start) return undefined;
  while (i > 0 && agrees(log[i - 1]!) && log[i - 1]!.Start) i--;
  return { since: log[i]!.Start!, atLeast: i === 0 };
}

export function containerFact(j: InspectedObject): ContainerFact {
  const name = (j.Name ?? "").replace(/^\//, "");
  const log = j.State!.Health?.Log;
  const fact: ContainerFact = {
    name,
    id: j.Id,
    imageId: j.Image ?? "",
    imageRef: j.Config?.Image ?? "",
    labels: j.Config?.Labels ?? {},
    status: j.State!.Status,
    running: j.State!.Running,
    health: j.State!.Health?.Status,
    startedAt: j.State!.StartedAt,
    restartCount: j.RestartCount ?? 0,
    healthLog: log?.length ? log[log.length - 1]!.Output.trim().slice(0, 500) : undefined,
  };
  const lastProbe = log?.length ? log[log.length - 1]!.Start : undefined;
  if (lastProbe) fact.lastProbeAt = lastProbe;
  const since = healthSinceOf(j.State!.Health?.Status, log);
  if (since) {
    fact.healthSince = since.since;
    fact.healthSinceAtLeast = since.atLeast;
  }
  return fact;
}

export function parseFacts(out: string, req: FactsRequest): HostFacts {
  const s = sections(out);
  if (!s.has("end")) throw new Error("facts output is incomplete (no end marker)");
  const engineReachable = (s.get("engine") ?? [])[0]?.trim() === "up";

  const listed = listedFiles(s.get("files") ?? [], (s.get("content") ?? []).join("").trim());
  const files = new Map<string, FileFact>();
  for (const path of req.paths) {
    const f = listed.get(path);
    if (!f) files.set(path, { exists: false });
    else if (f.content) files.set(path, { exists: true, mode: f.mode, owner: f.owner, ownerIds: f.ownerIds, size: f.size, content: f.content, sha256: createHash("sha256").update(f.content).digest("hex") });
    else files.set(path, { exists: true, mode: f.mode, owner: f.owner, ownerIds: f.ownerIds, size: f.size, sha256: f.sha256 ?? "" });
  }

  // Containers and images come from one docker inspect: a container has a State, an image has none.
  const found: ImageFact[] = [];
  const containers = new Map<string, ContainerFact>();
  for (const line of s.get("objects") ?? []) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as InspectedObject;
    if (j.State && j.Config) {
      const c = containerFact(j);
      containers.set(c.name, c);
    } else if ("RepoTags" in j || "RepoDigests" in j) {
      found.push({ id: j.Id, repoTags: j.RepoTags ?? [], repoDigests: j.RepoDigests ?? [] });
    }
  }
  const images = new Map<string, ImageFact>();
  for (const ref of req.images) {
    const n = normalizeRef(ref);
    const img = found.find((f) => f.repoTags.includes(n) || f.repoDigests.includes(n) || f.id === ref);
    if (img) images.set(ref, img);
  }

  const volumes = new Set((s.get("volumes") ?? []).map((x) => x.trim()).filter(Boolean));
  const stateContent = listed.get(req.stateFile)?.content;
  let state: HostStateFile = {};
  if (stateContent?.length) {
    try {
      state = JSON.parse(stateContent.toString("utf8")) as HostStateFile;
    } catch {
      state = {};
    }
  }
  const lockContent = listed.get(lockFileOf(req.stateFile))?.content;
  const lock = lockContent?.length ? lockContent.toString("utf8") : undefined;
  const auditBytes = listed.get(auditFileOf(req.stateFile))?.size ?? 0;
  return { engineReachable, files, images, containers, volumes, state, lock, auditBytes };
}

/** Containers from `docker inspect --format '{{json .}}'` output (one object per line), by name. */
export function parseInspectedContainers(out: string): Map<string, ContainerFact> {
  const containers = new Map<string, ContainerFact>();
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as InspectedObject;
    if (j.State && j.Config) {
      const c = containerFact(j);
      containers.set(c.name, c);
    }
  }
  return containers;
}
