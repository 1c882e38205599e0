// The rollout timeline of a run, as data: one lane per service and host, each with the batch it ran in, the steps
// it took (writes, restarts, recreates...), the gates it waited on and for how long, and its state. Built from the
// run's events (the objects `--json` prints, each with its time) in order; pure, so that the console's picture
// (timeline.ts) and the tests read the same model.

/** A run event as the API streams it: its type, its time, and the fields of its kind (src/apply/events.ts). */
export interface TimelineEvent {
  type: string;
  time: string;
  [field: string]: unknown;
}

export type LaneState = "waiting" | "active" | "ok" | "failed";

export interface Segment {
  kind: "step" | "gate";
  /** The step's kind (write, restart, recreate...) or the gate's name (galera, container, http...). */
  what: string;
  label: string;
  start: number;
  /** undefined while it runs. */
  end?: number;
  state: "active" | "ok" | "failed";
}

export interface Batch {
  index: number;
  total: number;
  start: number;
}

export interface Lane {
  service: string;
  host: string;
  batch?: Batch;
  segments: Segment[];
  /** Gates waited on, with how long each took (ms). */
  gates: { gate: string; ms: number; passed: boolean }[];
  restarts: number;
  failures: string[];
  state: LaneState;
}

export interface Timeline {
  command: string;
  hosts: string[];
  /** Services in the order they first appear. */
  services: string[];
  lanes: Lane[];
  start: number;
  /** The last event's time (the recap's when the run is over). */
  end: number;
  done: boolean;
  ok?: boolean;
  /** Messages of halts and warnings, in order. */
  notes: string[];
}

const RESTARTS = new Set(["restart", "recreate", "create", "start", "reload", "stop"]);

export function buildTimeline(events: readonly TimelineEvent[]): Timeline {
  const t = (e: TimelineEvent): number => Date.parse(e.time);
  const first = events[0];
  const tl: Timeline = { command: "", hosts: [], services: [], lanes: [], start: first ? t(first) : 0, end: first ? t(first) : 0, done: false, notes: [] };
  const lanes = new Map<string, Lane>();
  const lane = (service: string, host: string): Lane => {
    const key = `${service}\u0000${host}`;
    let l = lanes.get(key);
    if (!l) {
      l = { service, host, segments: [], gates: [], restarts: 0, failures: [], state: "waiting" };
      lanes.set(key, l);
      if (!tl.services.includes(service)) tl.services.push(service);
    }
    return l;
  };
  const open = (l: Lane, kind: Segment["kind"], what: string): Segment | undefined => [...l.segments].reverse().find((s) => s.kind === kind && s.what === what && s.end === undefined);
  for (const e of events) {
    const at = t(e);
    if (Number.isFinite(at)) tl.end = Math.max(tl.end, at);
    const host = typeof e.host === "string" ? e.host : undefined;
    const service = typeof e.service === "string" ? e.service : undefined;
    switch (e.type) {
      case "run-start":
        tl.command = String(e.command ?? "");
        tl.hosts = Array.isArray(e.hosts) ? e.hosts.map(String) : [];
        tl.start = at;
        break;
      case "batch":
        for (const h of Array.isArray(e.hosts) ? e.hosts.map(String) : []) {
          const l = lane(String(service), h);
          l.batch = { index: Number(e.index), total: Number(e.total), start: at };
          if (l.state === "waiting" || l.state === "ok") l.state = "active";
        }
        break;
      case "step": {
        if (!host) break;
        const kind = String(e.kind ?? "step");
        // A revision recorded at the end of the run is bookkeeping, not a rollout step.
        if (kind === "revision") break;
        // A host's pulls belong to no service: they get the host's own lane.
        const l = lane(service ?? "(images)", host);
        const status = String(e.status);
        const label = `${kind} ${String(e.target ?? "")}`.trim();
        if (status === "start") {
          l.segments.push({ kind: "step", what: kind, label, start: at, state: "active" });
          l.state = l.state === "failed" ? "failed" : "active";
          break;
        }
        const s = open(l, "step", kind) ?? { kind: "step" as const, what: kind, label, start: at - Number(e.ms ?? 0), state: "active" as const };
        if (!l.segments.includes(s)) l.segments.push(s);
        s.end = at;
        s.state = status === "ok" ? "ok" : "failed";
        if (status === "ok" && RESTARTS.has(kind)) l.restarts++;
        if (status !== "ok") {
          l.failures.push(`${label}: ${String(e.error ?? "failed")}`);
          l.state = "failed";
        } else if (l.state !== "failed") l.state = l.segments.some((x) => x.end === undefined) ? "active" : "ok";
        break;
      }
      case "gate": {
        if (!host || !service) break;
        const l = lane(service, host);
        const gate = String(e.gate ?? "gate");
        const elapsed = Number(e.elapsedMs ?? 0);
        let s = open(l, "gate", gate);
        if (!s) {
          s = { kind: "gate", what: gate, label: `gate ${gate}`, start: at - elapsed, state: "active" };
          l.segments.push(s);
        }
        if (e.status === "waiting") {
          s.label = `waiting on ${gate} ${(elapsed / 1000).toFixed(0)}s`;
          if (l.state !== "failed") l.state = "active";
          break;
        }
        s.end = at;
        const passed = e.status === "passed";
        s.state = passed ? "ok" : "failed";
        s.label = `${gate} ${(elapsed / 1000).toFixed(1)}s`;
        l.gates.push({ gate, ms: elapsed, passed });
        if (!passed) {
          l.failures.push(`gate ${gate}: ${String(e.detail ?? "failed")}`);
          l.state = "failed";
        } else if (l.state !== "failed") l.state = l.segments.some((x) => x.end === undefined) ? "active" : "ok";
        break;
      }
      case "halt":
        if (host && service) {
          const l = lane(service, host);
          l.failures.push(`halted: ${String(e.reason ?? "")}`);
          l.state = "failed";
        }
        tl.notes.push(`halted at ${String(service)} on ${String(host)}: ${String(e.reason ?? "")}`);
        break;
      case "revert":
        if (host && service) lane(service, host).failures.push(`reverted (${String(e.status)})`);
        break;
      case "warning":
        tl.notes.push(String(e.message ?? ""));
        break;
      case "recap": {
        tl.done = true;
        tl.ok = e.ok === true;
        const failedHosts = new Set((Array.isArray(e.hosts) ? e.hosts : []).filter((h: { failed?: number; unreachable?: boolean }) => (h.failed ?? 0) > 0 || h.unreachable).map((h: { host?: string }) => String(h.host)));
        for (const l of lanes.values()) {
          for (const s of l.segments) if (s.end === undefined) (s.end = at), (s.state = tl.ok ? "ok" : "failed");
          if (l.state !== "failed") l.state = failedHosts.has(l.host) && !tl.ok ? "failed" : "ok";
        }
        break;
      }
    }
  }
  // Lanes by service (in the order they ran), then by host as the inventory lists them.
  const hostOrder = (h: string): number => (tl.hosts.indexOf(h) + 1 || 1e6);
  tl.lanes = [...lanes.values()].sort((a, b) => tl.services.indexOf(a.service) - tl.services.indexOf(b.service) || hostOrder(a.host) - hostOrder(b.host));
  return tl;
}
