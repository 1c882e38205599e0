// lading's critical path in a run, from its --json events (each with `time`) and the plan's schedule
// (plan.schedule of `lading plan --json`): each batch lasts from its batch event to the last gate its hosts
// passed before the service's next batch (or their last event, for a service without a gate); a service's
// batches run in series; a service starts after the services its schedule entry waits for (`after`), or at the
// first batch of the run. The critical path is the time before the first batch (connect, facts, pulls) plus
// the longest such chain.
export interface Event {
  type: string;
  time: string;
  service?: string;
  hosts?: string[];
  host?: string;
  status?: string;
  elapsedMs?: number;
  gate?: string;
  kind?: string;
  target?: string;
  ms?: number;
  index?: number;
}
export interface ScheduleEntry {
  service: string;
  after: { service: string; why: string }[];
  batches: { hosts: string[]; kind: string; hold: boolean }[];
}

export interface Analysis {
  runStartToFirstBatchMs: number;
  beforeFirstBatch: Record<string, number>;
  services: { service: string; after: string[]; startMs: number; endMs: number; chainEndMs: number; batches: { kind: string; hosts: string[]; startMs: number; ms: number }[] }[];
  gates: { service: string; host: string; gate: string; elapsedMs: number; atMs: number }[];
  criticalPathMs: number;
  criticalChain: string[];
  runMs: number;
}

export function criticalPath(events: Event[], schedule: ScheduleEntry[]): Analysis {
  const at = (e: Event): number => Date.parse(e.time);
  const t0 = at(events[0]!);
  const rel = (e: Event): number => at(e) - t0;
  const firstBatch = events.find((e) => e.type === "batch")!;
  const beforeFirstBatch: Record<string, number> = {};
  for (const e of events.filter((x) => at(x) <= at(firstBatch))) {
    const key = e.type === "step" ? `step ${e.kind}` : e.type;
    if (e.type === "connect" || e.type === "facts") beforeFirstBatch[`${key} (max ms)`] = Math.max(beforeFirstBatch[`${key} (max ms)`] ?? 0, e.ms ?? 0);
    else if (e.type === "step" && e.status === "ok") beforeFirstBatch[`${key} (sum ms)`] = (beforeFirstBatch[`${key} (sum ms)`] ?? 0) + (e.ms ?? 0);
    else if (e.type === "phase") beforeFirstBatch[`phase ${(e as { name?: string }).name} at`] = rel(e);
  }
  const services: Analysis["services"] = [];
  const chainEnd = new Map<string, { end: number; chain: string[] }>();
  const byName = new Map(schedule.map((s) => [s.service, s]));
  const visit = (name: string): { end: number; chain: string[] } => {
    const done = chainEnd.get(name);
    if (done) return done;
    const s = byName.get(name)!;
    let base = { end: rel(firstBatch), chain: [] as string[] };
    for (const a of s.after) {
      const d = visit(a.service);
      if (d.end > base.end) base = d;
    }
    // By position in the output, not by time: the next batch's event often has the same millisecond as the gate
    // that let it start.
    const batchAt = events.map((e, i) => (e.type === "batch" && e.service === name ? i : -1)).filter((i) => i >= 0);
    const batches = batchAt.map((bi, i) => {
      const b = events[bi]!;
      const window = events.slice(bi + 1, batchAt[i + 1] ?? events.length);
      const inWindow = window.filter((e) => e.service === name && b.hosts!.includes(e.host ?? ""));
      const passed = inWindow.filter((e) => e.type === "gate" && e.status === "passed");
      const last = (passed.length ? passed : inWindow).at(-1) ?? b;
      return { kind: s.batches[i]?.kind ?? "?", hosts: b.hosts!, startMs: rel(b), ms: at(last) - at(b) };
    });
    const sum = batches.reduce((x, b) => x + b.ms, 0);
    const mine = { end: base.end + sum, chain: [...base.chain, name] };
    chainEnd.set(name, mine);
    services.push({ service: name, after: s.after.map((a) => a.service), startMs: batches[0]?.startMs ?? 0, endMs: batches.length ? batches.at(-1)!.startMs + batches.at(-1)!.ms : 0, chainEndMs: mine.end, batches });
    return mine;
  };
  for (const s of schedule) visit(s.service);
  const longest = [...chainEnd.values()].sort((a, b) => b.end - a.end)[0]!;
  const gates = events.filter((e) => e.type === "gate" && e.status === "passed").map((e) => ({ service: e.service!, host: e.host!, gate: e.gate!, elapsedMs: e.elapsedMs!, atMs: rel(e) }));
  return { runStartToFirstBatchMs: rel(firstBatch), beforeFirstBatch, services, gates, criticalPathMs: longest.end, criticalChain: longest.chain, runMs: rel(events.at(-1)!) };
}
