// lading exec: a command in a service's container, on one host (optionally on a terminal) or on all of its
// hosts at once with each host's output prefixed and its exit code kept. The command is argv end to end: it is
// quoted once, by the transport (src/transport/quote.ts), so whatever the user typed arrives as data.
import pLimit from "p-limit";
import * as docker from "../docker/commands.js";
import { HostError, InputError } from "../errors.js";
import type { DesiredState } from "../render/desired.js";
import type { PtyOptions, Transport } from "../transport/index.js";
import { LineSplitter } from "./logs.js";

export interface ExecTarget {
  host: string;
  container: string;
}

/**
 * The hosts an exec runs on: `host` (one of the service's hosts), every one with `all`, or the only one. Any
 * other choice is an InputError (exit 3) naming the option. Pure.
 */
export function execTargets(desired: DesiredState, service: string, opts: { host?: string; all?: boolean; tty?: boolean }): ExecTarget[] {
  const targets: ExecTarget[] = [];
  for (const [host, h] of desired.hosts) {
    const s = h.services.find((x) => x.name === service);
    if (s?.containers.length) targets.push({ host, container: s.containers[0]!.name });
  }
  if (!targets.length) throw new InputError([{ file: "SERVICE", message: `service "${service}" runs on no host of the inventory (or of --limit)` }]);
  if (opts.host !== undefined && opts.all) throw new InputError([{ file: "--host", message: "give either --host or --all, not both" }]);
  if (opts.all && opts.tty) throw new InputError([{ file: "--all", message: "-it runs on one host: name it with --host" }]);
  if (opts.host !== undefined) {
    const t = targets.find((x) => x.host === opts.host);
    if (!t) throw new InputError([{ file: "--host", message: `"${opts.host}" does not run ${service} (its hosts: ${targets.map((x) => x.host).join(", ")})` }]);
    return [t];
  }
  if (opts.all || targets.length === 1) return targets;
  throw new InputError([{ file: "--host", message: `${service} runs on ${targets.length} hosts (${targets.map((x) => x.host).join(", ")}): name one with --host, or use --all` }]);
}

/** The argv run on the host: `docker exec [--interactive --tty] CONTAINER CMD ARGS...`. Pure. */
export function execArgv(target: ExecTarget, command: readonly string[], opts: { tty?: boolean } = {}): string[] {
  if (!command.length) throw new InputError([{ file: "CMD", message: "no command given: lading exec SERVICE -- CMD ARGS..." }]);
  return docker.exec(target.container, command, opts.tty ? { interactive: true, tty: true } : {});
}

export interface HostExecResult {
  host: string;
  /** The command's exit code; null when it was killed or the host failed (error says why). */
  code: number | null;
  error?: string;
}

/**
 * Runs the command on every target (at most `forks` at once), each line of its stdout and stderr handed to
 * `onLine` as it comes. Resolves with each host's exit code; never rejects for a host's failure.
 */
export async function execOnHosts(
  targets: ExecTarget[],
  command: readonly string[],
  run: { transportOf: (host: string) => Transport | undefined; forks: number; onLine: (host: string, line: string, stream: "stdout" | "stderr") => void },
): Promise<HostExecResult[]> {
  const limit = pLimit(run.forks);
  return Promise.all(
    targets.map((t) =>
      limit(async (): Promise<HostExecResult> => {
        const transport = run.transportOf(t.host);
        if (!transport) return { host: t.host, code: null, error: "not connected" };
        const out = new LineSplitter((l) => run.onLine(t.host, l, "stdout"));
        const err = new LineSplitter((l) => run.onLine(t.host, l, "stderr"));
        try {
          const s = await transport.stream(execArgv(t, command), { become: true, onStdout: (c) => out.push(c), onStderr: (c) => err.push(c) });
          s.end();
          const done = await s.done;
          out.flush();
          err.flush();
          return done.signal ? { host: t.host, code: done.code, error: `killed by ${done.signal}` } : { host: t.host, code: done.code };
        } catch (e) {
          if (!(e instanceof HostError)) throw e;
          return { host: t.host, code: null, error: e.message };
        }
      }),
    ),
  );
}

/** The local terminal an interactive exec is attached to (process.stdin/stdout in the CLI, a fake in tests). */
export interface LocalTerminal {
  size(): PtyOptions;
  /** Raw mode on; returns the function that puts the terminal back. */
  raw(): () => void;
  onInput(fn: (data: Buffer) => void): () => void;
  onResize(fn: (size: PtyOptions) => void): () => void;
  write(data: Buffer): void;
}

/** Runs the command on one host over a PTY, the local terminal attached; resolves with its exit code. */
export async function execInteractive(target: ExecTarget, command: readonly string[], transport: Transport, term: LocalTerminal): Promise<HostExecResult> {
  const s = await transport.stream(execArgv(target, command, { tty: true }), { become: true, pty: term.size(), onStdout: (c) => term.write(c) });
  const restore = term.raw();
  const offInput = term.onInput((d) => s.write(d));
  const offResize = term.onResize((size) => s.resize(size.rows, size.cols));
  try {
    const done = await s.done;
    return { host: target.host, code: done.code, ...(done.signal ? { error: `killed by ${done.signal}` } : {}) };
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    return { host: target.host, code: null, error: e.message };
  } finally {
    offInput();
    offResize();
    restore();
  }
}

/**
 * The exit code of an exec: on one host its own code (1 when it had none: killed, or the host failed); on
 * several, 0 when every host exited 0, else 1. Pure.
 */
export function execExitCode(results: HostExecResult[]): number {
  if (results.length === 1) {
    const r = results[0]!;
    return r.code !== null && r.code >= 0 && r.code < 256 && !r.error ? r.code : 1;
  }
  return results.every((r) => r.code === 0) ? 0 : 1;
}
