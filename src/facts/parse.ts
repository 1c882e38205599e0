// Parses the output of the facts script into typed facts.
import { createHash } from "node:crypto";
import type { FactsRequest } from "./gather.js";

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
  engineVersion: string | null;
  files: Map<string, FileFact>;
  /** By requested image reference; absent when the host does not have it. */
  images: Map<string, ImageFact>;
  containers: Map<string, ContainerFact>;
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

export function parseFacts(out: string, req: FactsRequest): HostFacts {
  const s = sections(out);
  if (!s.has("end")) throw new Error("facts output is incomplete (no end marker)");
  const engine = (s.get("engine") ?? [])[0]?.trim() ?? "NONE";

  const files = new Map<string, FileFact>();
  const lines = s.get("files") ?? [];
  let i = 0;
  for (const path of req.paths) {
    const head = lines[i++] ?? "";
    if (head === "M") {
      files.set(path, { exists: false });
      continue;
    }
    const m = /^([FH]) (\d+) (\S+) (\d+:\d+) (\d+)$/.exec(head);
    if (!m) throw new Error(`unexpected facts line for ${path}: ${head.slice(0, 80)}`);
    const body = lines[i++] ?? "";
    const mode = m[2]!.padStart(4, "0");
    if (m[1] === "F") {
      const content = Buffer.from(body, "base64");
      files.set(path, { exists: true, mode, owner: m[3]!, ownerIds: m[4]!, size: Number(m[5]), content, sha256: createHash("sha256").update(content).digest("hex") });
    } else {
      files.set(path, { exists: true, mode, owner: m[3]!, ownerIds: m[4]!, size: Number(m[5]), sha256: body.trim() });
    }
  }

  const found: ImageFact[] = [];
  for (const line of s.get("images") ?? []) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as { Id: string; RepoTags?: string[] | null; RepoDigests?: string[] | null };
    found.push({ id: j.Id, repoTags: j.RepoTags ?? [], repoDigests: j.RepoDigests ?? [] });
  }
  const images = new Map<string, ImageFact>();
  for (const ref of req.images) {
    const n = normalizeRef(ref);
    const img = found.find((f) => f.repoTags.includes(n) || f.repoDigests.includes(n) || f.id === ref);
    if (img) images.set(ref, img);
  }

  const containers = new Map<string, ContainerFact>();
  for (const line of s.get("containers") ?? []) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as {
      Id: string;
      Name: string;
      Image: string;
      RestartCount?: number;
      Config: { Image: string; Labels?: Record<string, string> | null };
      State: { Status: string; Running: boolean; StartedAt: string; Health?: { Status: string; Log?: { Output: string }[] } };
    };
    const name = j.Name.replace(/^\//, "");
    const log = j.State.Health?.Log;
    containers.set(name, {
      name,
      id: j.Id,
      imageId: j.Image,
      imageRef: j.Config.Image,
      labels: j.Config.Labels ?? {},
      status: j.State.Status,
      running: j.State.Running,
      health: j.State.Health?.Status,
      startedAt: j.State.StartedAt,
      restartCount: j.RestartCount ?? 0,
      healthLog: log?.length ? log[log.length - 1]!.Output.trim().slice(0, 500) : undefined,
    });
  }

  const volumes = new Set((s.get("volumes") ?? []).map((x) => x.trim()).filter(Boolean));
  const stateText = (s.get("state") ?? []).join("").trim();
  let state: HostStateFile = {};
  if (stateText) {
    try {
      state = JSON.parse(Buffer.from(stateText, "base64").toString("utf8")) as HostStateFile;
    } catch {
      state = {};
    }
  }
  const lockText = (s.get("lock") ?? []).join("").trim();
  const lock = lockText ? Buffer.from(lockText, "base64").toString("utf8") : undefined;
  const auditBytes = Number((s.get("audit") ?? [])[0]?.trim() ?? "0") || 0;
  return { engineVersion: engine === "NONE" || engine === "" ? null : engine, files, images, containers, volumes, state, lock, auditBytes };
}
