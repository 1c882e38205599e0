// What runs where: one row per container lading manages, per service and host, from the facts a plan reads
// (no round trip of its own) and the plan built from them (whether the host differs from the desired state).
// Pure: the CLI's `ps` prints these rows.
import type { HostFacts } from "../facts/parse.js";
import type { Plan, Step } from "../plan/plan.js";
import type { DesiredState } from "../render/desired.js";

export interface PsRow {
  host: string;
  service: string;
  container: string;
  /** The engine's state (running, exited, restarting...), "missing" when the container does not exist. */
  state: string;
  /** healthy, unhealthy, starting; undefined when the container has no health check (or is missing). */
  health?: string;
  /** Since when the health status holds (ISO); `healthSinceAtLeast`: it may be older (src/facts/parse.ts). */
  healthSince?: string;
  healthSinceAtLeast?: boolean;
  /** The image reference the container was created from (the desired one when missing). */
  image: string;
  /** The image id it runs. */
  imageId?: string;
  /** repo@sha256:... of the image it runs, when the host knows it (a pulled image). */
  digest?: string;
  startedAt?: string;
  /** Milliseconds since it started; undefined when not running. */
  uptimeMs?: number;
  restarts?: number;
  /** The newest revision lading recorded for the service on the host (lading history lists them). */
  revision?: number;
  /** Why the host differs from the desired state for this service (the plan's reasons); empty when in sync. */
  drift: string[];
}

export interface PsInput {
  desired: DesiredState;
  facts: Map<string, HostFacts>;
  /** The deploy plan built from the same facts. */
  plan: Plan;
  unreachable: Map<string, string>;
  now: number;
}

/** Rows for every desired container of every host, in host then service order; unreachable hosts give none. */
export function psRows(input: PsInput): PsRow[] {
  const rows: PsRow[] = [];
  for (const [host, h] of input.desired.hosts) {
    const f = input.facts.get(host);
    if (!f) continue;
    const hostPlan = input.plan.hosts.get(host);
    for (const s of h.services) {
      const sp = hostPlan?.services.find((x) => x.service === s.name);
      const pulls = (hostPlan?.pulls ?? []).filter((p) => p.kind === "pull" && s.containers.some((c) => c.image === p.image));
      const drift = [...pulls, ...(sp?.steps ?? [])].map(describeStep);
      for (const c of s.containers) {
        const cf = f.containers.get(c.name);
        const row: PsRow = { host, service: s.name, container: c.name, state: cf ? cf.status : "missing", image: cf?.imageRef || c.image, drift };
        if (cf) {
          row.imageId = cf.imageId;
          const img = [...f.images.values()].find((i) => i.id === cf.imageId);
          const repo = row.image.replace(/[:@][^/]*$/, "");
          const digest = img?.repoDigests.find((d) => d.startsWith(`${repo}@`)) ?? img?.repoDigests[0];
          if (digest) row.digest = digest;
          if (cf.health) row.health = cf.health;
          if (cf.healthSince) {
            row.healthSince = cf.healthSince;
            row.healthSinceAtLeast = !!cf.healthSinceAtLeast;
          }
          row.startedAt = cf.startedAt;
          row.restarts = cf.restartCount;
          const started = Date.parse(cf.startedAt);
          if (cf.running && Number.isFinite(started)) row.uptimeMs = Math.max(0, input.now - started);
        }
        const rev = f.state.revisions?.[s.name]?.rev;
        if (rev !== undefined) row.revision = rev;
        rows.push(row);
      }
    }
  }
  return rows;
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case "pull":
      return `pull ${step.image}: ${step.reason}`;
    case "write":
      return `${step.file.path}: ${step.reason}`;
    case "create":
    case "recreate":
      return `${step.kind} ${step.container.name}: ${step.reason}`;
    case "restart":
    case "start":
    case "reload":
      return `${step.kind} ${step.container}: ${step.reason}`;
    default:
      return `${step.kind}: ${step.reason}`;
  }
}

/** "3d4h", "5h12m", "4m10s", "12s": the two largest units. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  const units: [string, number][] = [
    ["d", Math.floor(s / 86400)],
    ["h", Math.floor(s / 3600) % 24],
    ["m", Math.floor(s / 60) % 60],
    ["s", s % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  if (first < 0) return "0s";
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([u, n]) => `${n}${u}`)
    .join("");
}

/** The table `lading ps` prints: one line per row, columns aligned. */
export function formatPsTable(rows: PsRow[], now: number): string {
  const head = ["HOST", "SERVICE", "CONTAINER", "STATE", "HEALTH", "UPTIME", "IMAGE", "DIGEST", "REV", "DESIRED"];
  const cells = rows.map((r) => [
    r.host,
    r.service,
    r.container,
    r.state,
    r.health ? `${r.health}${r.healthSince ? ` (${r.healthSinceAtLeast ? ">" : ""}${formatAge(now - Date.parse(r.healthSince))})` : ""}` : "-",
    r.uptimeMs !== undefined ? formatAge(r.uptimeMs) : "-",
    r.image,
    r.digest ? r.digest.replace(/^.*@sha256:/, "sha256:").slice(0, 19) : r.imageId ? r.imageId.replace(/^sha256:/, "id:").slice(0, 15) : "-",
    r.revision !== undefined ? String(r.revision) : "-",
    r.drift.length ? `DIFFERS: ${r.drift[0]}${r.drift.length > 1 ? ` (+${r.drift.length - 1} more)` : ""}` : "in sync",
  ]);
  const widths = head.map((x, i) => Math.max(x.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => `${c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join("  ").trimEnd()}\n`).join("");
}
