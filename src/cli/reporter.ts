// Turns run events into output: a live per-host display on a terminal, plain lines in CI, or one JSON
// object per line with --json. Every line passes the redactor. Only the CLI prints.
import type logUpdateModule from "log-update";
import type { HostRecap, RunEvent } from "../apply/events.js";

type LogUpdate = typeof logUpdateModule;

export interface Reporter {
  emit(e: RunEvent): void;
  /** Prints the recap and stops any live display. */
  finish(): void;
}

export interface ReporterOptions {
  json: boolean;
  tty: boolean;
  redact: (s: string) => string;
  out?: NodeJS.WritableStream;
}

export async function createReporter(opts: ReporterOptions): Promise<Reporter> {
  const out = opts.out ?? process.stdout;
  if (opts.json) {
    return {
      emit: (e) => out.write(`${opts.redact(JSON.stringify({ ...e, time: new Date().toISOString() }))}\n`),
      finish: () => undefined,
    };
  }
  if (!opts.tty) return new PlainReporter(opts.redact, out);
  // Only a terminal needs the live display (and its tens of milliseconds of module loading).
  const { default: logUpdate } = await import("log-update");
  return new LiveReporter(opts.redact, logUpdate);
}

function line(e: RunEvent): string | undefined {
  switch (e.type) {
    case "run-start":
      return `${e.command}: ${e.hosts.length} host${e.hosts.length === 1 ? "" : "s"}`;
    case "connect":
      return e.ok ? undefined : `UNREACHABLE ${e.host}: ${e.error}`;
    case "facts":
      return undefined;
    case "plan":
      return `plan: ${e.changes} change${e.changes === 1 ? "" : "s"}`;
    case "phase":
      return `== ${e.name}`;
    case "batch":
      return `-- ${e.service}: batch ${e.index}/${e.total} [${e.hosts.join(", ")}]`;
    case "step":
      if (e.status === "start") return undefined;
      return `${e.status === "ok" ? "changed" : "FAILED "} ${e.host}: ${e.kind} ${e.target}  # ${e.reason}${e.error ? `\n        ${e.error}` : ""}`;
    case "gate":
      if (e.status === "waiting") return undefined;
      return `${e.status === "passed" ? "healthy" : "UNHEALTHY"} ${e.host}: ${e.service} gate ${e.gate} (${(e.elapsedMs / 1000).toFixed(1)}s) ${e.detail ?? ""}`;
    case "revert":
      return e.status === "ok" ? `reverted ${e.host}: ${e.service} runs its previous config and image again, and passed its gate` : `REVERT FAILED ${e.host}: ${e.service}: ${e.error ?? ""}`;
    case "halt":
      return `HALTED at ${e.service} on ${e.host}: ${e.reason}${e.untouched.length ? `\n  untouched: ${e.untouched.join(", ")}` : ""}`;
    case "warning":
      return `warning${e.host ? ` ${e.host}` : ""}: ${e.message}`;
    case "certificate-expiring":
    case "backup":
      // check and mariadb-backup print their own lines for these; the events are for --json.
      return undefined;
    case "keys-rotated":
      return `rotated ${e.secret} in ${e.file}: its staged key is the primary now (${e.keys} keys), written to every host next`;
    case "operator-file":
      return `wrote ${e.path} (0600, for the operator: ${e.service})`;
    case "recap":
      return formatRecap(e.hosts, e.ms, e.ok);
    case "stats":
      return undefined;
  }
}

export function formatRecap(hosts: HostRecap[], ms: number, ok: boolean): string {
  const w = Math.max(4, ...hosts.map((h) => h.host.length));
  const rows = hosts.map((h) => {
    const status = h.unreachable ? "unreachable" : h.failed ? "failed" : h.skipped ? "skipped" : h.changed ? "changed" : "ok";
    return `  ${h.host.padEnd(w)}  ${status.padEnd(11)}  changed=${h.changed} failed=${h.failed}`;
  });
  return [`RECAP (${(ms / 1000).toFixed(1)}s): ${ok ? "success" : "FAILED"}`, ...rows].join("\n");
}

/** In CI a long gate wait still shows: one line per host every this many milliseconds of waiting. */
export const PLAIN_WAIT_EVERY_MS = 10_000;

class PlainReporter implements Reporter {
  /** Per host, how many wait lines were printed for its current gate. */
  private readonly waits = new Map<string, number>();
  constructor(
    private readonly redact: (s: string) => string,
    private readonly out: NodeJS.WritableStream,
  ) {}
  emit(e: RunEvent): void {
    let l = line(e);
    if (e.type === "gate") {
      if (e.status !== "waiting") this.waits.delete(e.host);
      else {
        const due = Math.floor(e.elapsedMs / PLAIN_WAIT_EVERY_MS);
        if (due > (this.waits.get(e.host) ?? 0)) {
          this.waits.set(e.host, due);
          l = `waiting ${e.host}: ${e.service} gate ${e.gate} for ${(e.elapsedMs / 1000).toFixed(0)}s: ${e.detail ?? ""}`;
        }
      }
    }
    if (l) this.out.write(`${this.redact(l)}\n`);
  }
  finish(): void {}
}

/** A live block per host (what it is doing, which gate it waits on and for how long) above the log. */
class LiveReporter implements Reporter {
  private readonly status = new Map<string, string | (() => string)>();
  private batch = "";
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly redact: (s: string) => string,
    private readonly logUpdate: LogUpdate,
  ) {}

  emit(e: RunEvent): void {
    const l = line(e);
    if (l) {
      this.logUpdate.clear();
      process.stdout.write(`${this.redact(l)}\n`);
    }
    if (e.type === "batch") this.batch = `${e.service} batch ${e.index}/${e.total}`;
    if (e.type === "step" && e.status === "start") this.status.set(e.host, `${e.kind} ${e.target}`);
    if (e.type === "gate" && e.status === "waiting") {
      // The time keeps counting between checks: the display redraws every half second.
      const since = Date.now() - e.elapsedMs;
      const detail = e.detail ?? "";
      this.status.set(e.host, () => `waiting on ${e.service} gate ${e.gate} for ${((Date.now() - since) / 1000).toFixed(0)}s: ${detail}`);
    }
    if ((e.type === "gate" && e.status !== "waiting") || (e.type === "step" && e.status !== "start")) this.status.delete(e.host);
    if (e.type === "recap") this.status.clear();
    this.render();
    this.timer ??= setInterval(() => this.render(), 500).unref();
  }

  private render(): void {
    if (!this.status.size) {
      this.logUpdate.clear();
      return;
    }
    const rows = [...this.status].map(([h, s]) => `  ${h}: ${typeof s === "function" ? s() : s}`);
    this.logUpdate(this.redact([this.batch ? `[${this.batch}]` : "", ...rows].filter(Boolean).join("\n")));
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.logUpdate.clear();
  }
}
