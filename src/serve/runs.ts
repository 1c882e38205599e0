// The runs lading serve started: each one's request, status, outcome and every event it emitted (the same objects
// as `--json` prints, each with its time), kept for the timeline and the history, and fanned out live to the
// event streams that follow it. One applying run at a time: the server's own guard, before the deploy lock.
import { randomBytes } from "node:crypto";
import type { RunEvent } from "../apply/events.js";
import type { RunSummary } from "../generated/api.js";

export type TimedEvent = RunEvent & { time: string };

export interface RunRecord {
  id: string;
  command: string;
  request: Record<string, unknown>;
  status: RunSummary["status"];
  outcome?: number;
  started: string;
  ended?: string;
  events: TimedEvent[];
}

type Listener = (e: { event: TimedEvent } | { end: RunSummary }) => void;

/** The most runs kept (the oldest finished ones are forgotten first). */
const KEPT_RUNS = 50;

export class RunRegistry {
  private readonly runs = new Map<string, RunRecord>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private active: string | undefined;

  /** The applying run under way, if any. */
  get activeRun(): RunRecord | undefined {
    return this.active ? this.runs.get(this.active) : undefined;
  }

  /** A new run, made the active one; undefined when another is under way. */
  begin(command: string, request: Record<string, unknown>): RunRecord | undefined {
    if (this.active) return undefined;
    const run: RunRecord = { id: `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`, command, request, status: "running", started: new Date().toISOString(), events: [] };
    this.runs.set(run.id, run);
    this.active = run.id;
    this.forgetOld();
    return run;
  }

  /** Keeps a finished run as it is (a run recorded elsewhere, with its events and their times). */
  keep(run: RunRecord): void {
    if (run.status === "running") throw new Error("only a finished run can be kept as it is");
    this.runs.set(run.id, run);
    this.forgetOld();
  }

  /** Appends an event (already redacted) and hands it to every listener of the run. */
  push(run: RunRecord, event: TimedEvent): void {
    run.events.push(event);
    for (const l of this.listeners.get(run.id) ?? []) l({ event });
  }

  end(run: RunRecord, status: RunSummary["status"], outcome: number): void {
    run.status = status;
    run.outcome = outcome;
    run.ended = new Date().toISOString();
    if (this.active === run.id) this.active = undefined;
    const summary = summaryOf(run);
    for (const l of this.listeners.get(run.id) ?? []) l({ end: summary });
    this.listeners.delete(run.id);
  }

  /** Forgets a run that never started (its request was refused before any host was contacted). */
  drop(run: RunRecord): void {
    if (this.active === run.id) this.active = undefined;
    this.runs.delete(run.id);
    this.listeners.delete(run.id);
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  /** Newest first. */
  list(): RunSummary[] {
    return [...this.runs.values()].reverse().map(summaryOf);
  }

  /**
   * Follows a run: `listener` gets every event from `from` on (the ones already emitted at once), then the end.
   * Returns the function that stops following.
   */
  follow(run: RunRecord, from: number, listener: Listener): () => void {
    for (const event of run.events.slice(from)) listener({ event });
    if (run.status !== "running") {
      listener({ end: summaryOf(run) });
      return () => undefined;
    }
    const set = this.listeners.get(run.id) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(run.id, set);
    return () => set.delete(listener);
  }

  private forgetOld(): void {
    for (const [id, r] of this.runs) {
      if (this.runs.size <= KEPT_RUNS) break;
      if (r.status !== "running") this.runs.delete(id);
    }
  }
}

export function summaryOf(run: RunRecord): RunSummary {
  const s: RunSummary = { id: run.id, command: run.command, request: run.request, status: run.status, started: run.started, events: run.events.length };
  if (run.outcome !== undefined) s.outcome = run.outcome;
  if (run.ended) s.ended = run.ended;
  return s;
}
