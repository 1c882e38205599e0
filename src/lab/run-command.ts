// Runs one argv array as a child process (no shell) and collects its output.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { LabError } from "../errors.js";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * Every child dies with lading (SIGKILL on parent death, via util-linux setpriv): a killed `lab up` must not
 * leave a build or debootstrap running on while the next `lab up` redoes the step.
 */
function diesWithParent(argv: string[]): string[] {
  return SETPRIV ? [SETPRIV, "--pdeathsig", "KILL", "--", ...argv] : argv;
}

/** Resolves with the exit code and output; never rejects on a non-zero exit (the caller judges). */
export function runCommand(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = diesWithParent(argv);
  if (!file) throw new Error("runCommand: empty argv");
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
    child.on("error", (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(err.message) });
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    if (opts.input !== undefined && child.stdin) child.stdin.end(opts.input);
  });
}

/** Runs argv and returns stdout; a non-zero exit becomes a LabError saying what failed. */
export async function runOrThrow(argv: string[], what: string, opts: RunOptions = {}): Promise<string> {
  const r = await runCommand(argv, opts);
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-15).join("\n");
    throw new LabError(`${what} failed (exit ${r.code}: ${argv.join(" ")})${tail ? `:\n${tail}` : ""}`);
  }
  return r.stdout;
}
