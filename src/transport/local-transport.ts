// The local connector for hosts with `connection: local` (all-in-one on the deploy host): the same
// interface, running argv directly with spawn (no shell), and the same atomic file write.
import { spawn } from "node:child_process";
import { userInfo } from "node:os";
import { HostError } from "../errors.js";
import { sudoRefusal, wrapWithSudo } from "./become.js";
import { writeFileAtomically, writeFilesAtomically } from "./put-file.js";
import type { ExecOptions, ExecResult, ExecStream, FileToPut, PutFileOptions, StreamOptions, Transport, TransportStats } from "./transport.js";

export interface LocalTransportOptions {
  host: string;
  become: boolean;
  commandTimeoutMs?: number;
}

export class LocalTransport implements Transport {
  readonly host: string;
  /** No network connection is opened for a local host. */
  readonly stats: TransportStats = { connections: 0, execs: 0 };
  private readonly options: LocalTransportOptions;
  private readonly isRoot = process.getuid?.() === 0;
  private closed = false;

  constructor(options: LocalTransportOptions) {
    this.options = options;
    this.host = options.host;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error("cannot run an empty command");
    if (argv.some((arg) => arg.includes("\0"))) throw new Error("an argument contains a NUL byte");
    if (this.closed) throw new HostError(this.host, "the local transport is closed");
    const become = (opts.become ?? this.options.become) && !this.isRoot;
    const finalArgv = become ? wrapWithSudo(argv) : [...argv];
    const result = await this.run(finalArgv, opts);
    const refused = become ? sudoRefusal(this.host, userInfo().username, result) : undefined;
    if (refused) throw refused;
    return result;
  }

  private run(argv: string[], opts: ExecOptions): Promise<ExecResult> {
    this.stats.execs += 1;
    const started = performance.now();
    const timeoutMs = opts.timeoutMs ?? this.options.commandTimeoutMs;
    const [command, ...args] = argv as [string, ...string[]];
    return new Promise<ExecResult>((resolve, reject) => {
      // Its own process group, so that a timeout kills the command's children too.
      const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      // A command that does not read its stdin closes the pipe early; that is not a failure.
      child.stdin.on("error", () => undefined);
      child.on("error", (err: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        // Mirror a shell: a missing program is exit code 127, so remote and local results read alike.
        if (err.code === "ENOENT") {
          resolve({ code: 127, stdout: "", stderr: `${command}: not found\n`, durationMs: performance.now() - started });
        } else {
          reject(new HostError(this.host, `cannot run ${command}: ${err.message}`, { cause: err }));
        }
      });
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        if (timedOut) return;
        const result: ExecResult = {
          code,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          durationMs: performance.now() - started,
        };
        if (signal) result.signal = signal;
        resolve(result);
      });
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          } catch {
            child.kill("SIGKILL");
          }
          reject(new HostError(this.host, `command timed out after ${Math.round(timeoutMs / 100) / 10}s: ${argv.join(" ").slice(0, 160)}`));
        }, timeoutMs);
      }
      child.stdin.end(opts.stdin ?? undefined);
    });
  }

  async stream(argv: readonly string[], opts: StreamOptions): Promise<ExecStream> {
    if (argv.length === 0) throw new Error("cannot run an empty command");
    if (this.closed) throw new HostError(this.host, "the local transport is closed");
    const become = (opts.become ?? this.options.become) && !this.isRoot;
    const [command, ...args] = (become ? wrapWithSudo(argv) : [...argv]) as [string, ...string[]];
    this.stats.execs += 1;
    // A local PTY needs a native module; the local host's command inherits lading's own terminal instead.
    const child = spawn(command, args, { stdio: opts.pty ? "inherit" : ["pipe", "pipe", "pipe"], detached: !opts.pty });
    child.stdout?.on("data", (chunk: Buffer) => opts.onStdout(chunk));
    child.stderr?.on("data", (chunk: Buffer) => opts.onStderr?.(chunk));
    child.stdin?.on("error", () => undefined);
    const done = new Promise<{ code: number | null; signal?: string }>((resolve, reject) => {
      child.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") resolve({ code: 127 });
        else reject(new HostError(this.host, `cannot run ${command}: ${err.message}`, { cause: err }));
      });
      child.on("close", (code, signal) => resolve(signal ? { code, signal } : { code }));
    });
    return {
      done,
      write: (data) => void child.stdin?.write(data),
      end: () => void child.stdin?.end(),
      resize: () => undefined,
      stop: () => {
        try {
          if (child.pid !== undefined && !opts.pty) process.kill(-child.pid, "SIGTERM");
          else child.kill("SIGTERM");
        } catch {
          // ended already
        }
      },
    };
  }

  putFile(path: string, content: Buffer | string, opts: PutFileOptions): Promise<void> {
    const asRoot = this.isRoot || (opts.become ?? this.options.become);
    return writeFileAtomically((argv, o) => this.exec(argv, o), this.host, path, content, opts, asRoot);
  }

  putFiles(files: FileToPut[], opts: { then?: readonly string[] } = {}): Promise<ExecResult | undefined> {
    const become = files[0]?.opts.become;
    const asRoot = this.isRoot || (become ?? this.options.become);
    return writeFilesAtomically((argv, o) => this.exec(argv, o), this.host, files, asRoot, opts.then);
  }


  async close(): Promise<void> {
    this.closed = true;
  }
}
