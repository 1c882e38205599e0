// A service's container logs from every host: `docker logs --timestamps` per host, lines merged in time order,
// and with `follow` kept attached across container restarts and lost connections. The transport runs the
// commands; this module decides what to run, in which order lines go out, and what to say when a host drops.
import * as docker from "../docker/commands.js";
import { HostError, InputError } from "../errors.js";
import type { ExecStream, Transport } from "../transport/index.js";

export interface LogsQuery {
  /** Only lines newer than this many milliseconds. */
  sinceMs?: number;
  /** The last N lines of each container ("all" when undefined). */
  tail?: number;
  grep?: RegExp;
  follow: boolean;
}

/**
 * The query of a logs run from its options (--since and --tail arrive checked by their option parsers);
 * --grep is checked here, before any connection: InputError (exit 3) naming it.
 */
export function parseLogsQuery(opts: { since?: number; tail?: number; grep?: string; follow?: boolean }): LogsQuery {
  const q: LogsQuery = { follow: !!opts.follow };
  if (opts.since !== undefined) q.sinceMs = opts.since;
  if (opts.tail !== undefined) q.tail = opts.tail;
  if (opts.grep !== undefined) {
    try {
      q.grep = new RegExp(opts.grep);
    } catch (err) {
      throw new InputError([{ file: "--grep", message: `not a regular expression: ${(err as Error).message}` }]);
    }
  }
  return q;
}

/** `docker logs --timestamps` for one container; `sinceIso` (a resumed follow) wins over the query's since. */
export function logsArgv(container: string, q: LogsQuery, resume?: { sinceIso: string }): string[] {
  if (resume) return docker.logsTimestamped(container, { since: resume.sinceIso, follow: q.follow });
  return docker.logsTimestamped(container, { since: q.sinceMs === undefined ? undefined : `${Math.ceil(q.sinceMs / 1000)}s`, tail: q.tail, follow: q.follow });
}

export interface LogLine {
  host: string;
  /** Sort key: nanoseconds since the epoch as a bigint; undefined when the line has no timestamp. */
  at?: bigint;
  /** The timestamp as docker printed it (RFC 3339, nanoseconds). */
  stamp?: string;
  text: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) ?/;

/** Splits a line of `docker logs --timestamps` into its time and text. */
export function parseLogLine(host: string, raw: string): LogLine {
  const m = STAMP.exec(raw);
  if (!m) return { host, text: raw };
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) return { host, text: raw };
  const nanos = BigInt((m[2] ?? "").padEnd(9, "0"));
  return { host, at: BigInt(ms) * 1_000_000n + nanos, stamp: m[0].trim(), text: raw.slice(m[0].length) };
}

/**
 * Lines of several hosts in time order; a line without a timestamp keeps its place after the line before it
 * on its host (stable). Pure.
 */
export function mergeLogLines(perHost: LogLine[][]): LogLine[] {
  const keyed: { line: LogLine; key: bigint; host: number; index: number }[] = [];
  perHost.forEach((lines, h) => {
    let last = 0n;
    lines.forEach((line, index) => {
      if (line.at !== undefined) last = line.at;
      keyed.push({ line, key: last, host: h, index });
    });
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.host - b.host || a.index - b.index));
  return keyed.map((k) => k.line);
}

/** Cuts a byte stream into lines; the last partial line waits for the next chunk (or flush). */
export class LineSplitter {
  private rest = "";
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const parts = text.split("\n");
    this.rest = parts.pop() ?? "";
    for (const p of parts) this.onLine(p.replace(/\r$/, ""));
  }
  flush(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = "";
  }
}

/** What a follow says about a host besides its lines (each printed as one notice line). */
export type LogsNotice =
  | { kind: "stopped"; host: string; container: string }
  | { kind: "back"; host: string; container: string; startedAt: string }
  | { kind: "dropped"; host: string; error: string; retryInMs: number }
  | { kind: "reconnected"; host: string }
  | { kind: "failed"; host: string; error: string };

export interface LogsTarget {
  host: string;
  container: string;
}

export interface LogsRun {
  targets: LogsTarget[];
  query: LogsQuery;
  transportOf: (host: string) => Transport | undefined;
  /** A new connection to a host that dropped (Session.reconnect). */
  reconnect: (host: string) => Promise<Transport>;
  onLine: (line: LogLine) => void;
  onNotice: (n: LogsNotice) => void;
  /** Resolves when the follow should end (Ctrl-C). */
  stopped?: Promise<void>;
  /** How long lines of a follow wait to be ordered against the other hosts' lines. */
  reorderMs?: number;
  /** How often a stopped container is looked at again, and the first reconnect delay. */
  pollMs?: number;
  /** The longest wait between reconnect attempts. */
  maxBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Outcome per host: whether its logs could be read. */
export type LogsResult = Map<string, { ok: boolean; error?: string }>;

/** The terminal a follow runs on: wide, so that nothing is ever wrapped; TERM=dumb asks for no escape codes. */
const FOLLOW_PTY = { rows: 24, cols: 1000, term: "dumb" };

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Reads (and with `follow`, follows) the logs of every target; resolves when done or stopped. */
export async function runLogs(run: LogsRun): Promise<LogsResult> {
  const result: LogsResult = new Map();
  if (!run.query.follow) {
    const perHost = await Promise.all(
      run.targets.map(async (t) => {
        const transport = run.transportOf(t.host);
        if (!transport) return [];
        const lines: LogLine[] = [];
        const split = new LineSplitter((l) => lines.push(parseLogLine(t.host, l)));
        try {
          const s = await transport.stream(logsArgv(t.container, run.query), { become: true, onStdout: (c) => split.push(c), onStderr: (c) => split.push(c) });
          const done = await s.done;
          split.flush();
          result.set(t.host, done.code === 0 ? { ok: true } : { ok: false, error: `docker logs exited ${done.code}: ${lines.map((l) => l.text).join(" ").slice(0, 300)}` });
          return done.code === 0 ? lines : [];
        } catch (err) {
          result.set(t.host, { ok: false, error: (err as Error).message });
          return [];
        }
      }),
    );
    for (const l of mergeLogLines(perHost)) if (!run.query.grep || run.query.grep.test(l.text)) run.onLine(l);
    return result;
  }
  return followLogs(run, result);
}

async function followLogs(run: LogsRun, result: LogsResult): Promise<LogsResult> {
  const sleep = run.sleep ?? defaultSleep;
  const pollMs = run.pollMs ?? 1000;
  const maxBackoff = run.maxBackoffMs ?? 10_000;
  let stopping = false;
  const live = new Set<ExecStream>();
  void run.stopped?.then(() => {
    stopping = true;
    for (const s of live) s.stop();
  });
  // Lines wait reorderMs in a buffer, so that lines arriving from several hosts at once go out in time order.
  const pending: LogLine[][] = run.targets.map(() => []);
  const flush = (): void => {
    const merged = mergeLogLines(pending.map((p) => p.splice(0)));
    for (const l of merged) if (!run.query.grep || run.query.grep.test(l.text)) run.onLine(l);
  };
  const ticker = setInterval(flush, run.reorderMs ?? 150);
  const wait = async (ms: number): Promise<void> => {
    await Promise.race([sleep(ms), run.stopped ?? new Promise(() => undefined)]);
  };

  await Promise.all(
    run.targets.map(async (t, i) => {
      let last: LogLine | undefined;
      let seenAtLast = new Set<string>();
      let backoff = pollMs;
      let failures = 0;
      while (!stopping) {
        let transport = run.transportOf(t.host);
        try {
          if (!transport) throw new HostError(t.host, "not connected");
          const resume = last?.stamp ? { sinceIso: last.stamp } : undefined;
          const split = new LineSplitter((raw) => {
            const l = parseLogLine(t.host, raw);
            // A resumed follow starts at the last line's second: drop what was printed already.
            if (resume && l.at !== undefined && last?.at !== undefined && (l.at < last.at || (l.at === last.at && seenAtLast.has(l.text)))) return;
            if (l.at !== undefined) {
              if (l.at !== last?.at) seenAtLast = new Set();
              seenAtLast.add(l.text);
              last = l;
            }
            pending[i]!.push(l);
          });
          // On a PTY: when the follow ends and its channel closes, sshd hangs the terminal up and docker logs -f
          // gets SIGHUP at once (on pipes it would live on until its next write). stdout and stderr merge there.
          const s = await transport.stream(logsArgv(t.container, run.query, resume), { become: true, pty: FOLLOW_PTY, onStdout: (c) => split.push(c), onStderr: (c) => split.push(c) });
          live.add(s);
          if (stopping) s.stop();
          const done = await s.done.finally(() => live.delete(s));
          split.flush();
          backoff = pollMs;
          if (stopping) break;
          // A container that does not exist (yet) fails `docker logs`; one that keeps failing is given up.
          failures = done.code === 0 ? 0 : failures + 1;
          if (failures >= 3) {
            result.set(t.host, { ok: false, error: `docker logs ${t.container} keeps failing (exit ${done.code})` });
            run.onNotice({ kind: "failed", host: t.host, error: `docker logs ${t.container} keeps failing (exit ${done.code}); no longer following this host` });
            break;
          }
          result.set(t.host, { ok: true });
          // docker logs --follow ends when the container stops (or is removed): wait for it to run again.
          run.onNotice({ kind: "stopped", host: t.host, container: t.container });
          const back = await waitRunning(run, t, pollMs, wait, () => stopping);
          if (!back) break;
          run.onNotice({ kind: "back", host: t.host, container: t.container, startedAt: back });
        } catch (err) {
          if (stopping) break;
          if (!(err instanceof HostError)) throw err;
          run.onNotice({ kind: "dropped", host: t.host, error: err.message, retryInMs: backoff });
          for (;;) {
            await wait(backoff);
            if (stopping) break;
            try {
              transport = await run.reconnect(t.host);
              run.onNotice({ kind: "reconnected", host: t.host });
              backoff = pollMs;
              break;
            } catch (again) {
              backoff = Math.min(maxBackoff, backoff * 2);
              void again;
            }
          }
        }
      }
    }),
  );
  clearInterval(ticker);
  flush();
  return result;
}

/** Polls until the container runs again; its start time, or undefined when the follow was stopped. */
async function waitRunning(run: LogsRun, t: LogsTarget, pollMs: number, wait: (ms: number) => Promise<void>, stopping: () => boolean): Promise<string | undefined> {
  while (!stopping()) {
    await wait(pollMs);
    if (stopping()) return undefined;
    const transport = run.transportOf(t.host);
    if (!transport) throw new HostError(t.host, "not connected");
    const r = await transport.exec(docker.inspectFormat(t.container, "{{.State.Running}} {{.State.StartedAt}}"), { become: true, timeoutMs: 30_000 });
    const [running, startedAt] = r.stdout.trim().split(" ");
    if (r.code === 0 && running === "true" && startedAt) return startedAt;
  }
  return undefined;
}

/** The line a notice prints as (after the host prefix). */
export function describeNotice(n: LogsNotice): string {
  switch (n.kind) {
    case "stopped":
      return `-- lading: ${n.container} stopped; waiting for it to run again`;
    case "back":
      return `-- lading: ${n.container} runs again (started ${n.startedAt}); following it`;
    case "dropped":
      return `-- lading: connection lost (${n.error}); reconnecting in ${(n.retryInMs / 1000).toFixed(0)}s`;
    case "reconnected":
      return "-- lading: reconnected; following again";
    case "failed":
      return `-- lading: ${n.error}`;
  }
}
