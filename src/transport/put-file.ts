// Atomic file writes in one round trip, through any transport's exec: the content travels over stdin
// (never argv: it may be a secret) into a temporary file beside the destination, is checked for length
// (a dropped connection ends stdin early and must not replace the old file with half of the new one),
// given its mode and owner, synced, then renamed over the destination.
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { HostError } from "../errors.js";
import type { ExecOptions, ExecResult, FileToPut, PutFileOptions } from "./transport.js";
import { hostScript } from "../host-scripts/index.js";

type Exec = (argv: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** What names a temporary file of a write (.<name>.lading-tmp.<tag>); put-files.sh and cleanup-temp-files.sh use it. */
export const TEMP_MARKER = ".lading-tmp.";

/**
 * One or more files in one round trip (src/host-scripts/put-files.sh): their contents arrive one after the other
 * on stdin, and each is written to a temporary file, checked for length, given its mode and owner, synced and
 * renamed, so every file is atomic on its own. `head -c N` reads exactly N bytes (GNU head never reads past them,
 * even from a pipe), which leaves the next file's bytes for the next head. Parameters: the number of files, seven
 * per file (fileParameters), then optionally a command to run once every file is in place (a restart the writes
 * call for: one round trip for both). Each file written is named on stdout, so a failure tells which were; then "@@then" and the
 * command's own output, and the script exits with the command's exit code.
 */
const PUT_FILES_SCRIPT = hostScript("put-files.sh");

/**
 * How the script gets the mode right with the fewest processes: a file created under umask `mask` has the bits
 * 0666 & ~mask, which is the whole mode when the mode has no execute bit; otherwise the file is created private
 * (umask 077) and chmod sets the mode.
 */
export function permissionPlan(mode: string): { mask: string; chmod: string } {
  const bits = parseInt(mode, 8);
  if ((bits & 0o111) === 0 && bits <= 0o777) return { mask: (0o777 & ~bits).toString(8).padStart(3, "0"), chmod: "" };
  return { mask: "077", chmod: mode };
}

/** Removes every lading temporary file directly in `dir`; prints how many. */
const CLEANUP_SCRIPT = hostScript("cleanup-temp-files.sh");

function checkPath(path: string): void {
  // Control characters would survive quoting, but $(dirname)-style handling and humans reading logs would not.
  if (!posix.isAbsolute(path) || path.endsWith("/") || /[\0-\x1f]/.test(path)) {
    throw new Error(`putFile needs an absolute file path without control characters, got ${JSON.stringify(path)}`);
  }
}

/** The script's seven parameters for one file (src/host-scripts/put-files.sh), checked, and its bytes. */
function fileParameters(file: FileToPut, asRoot: boolean): { params: string[]; bytes: Buffer } {
  const { path, content, opts } = file;
  checkPath(path);
  if (!/^[0-7]{3,4}$/.test(opts.mode)) throw new Error(`putFile mode must be octal like "0644", got "${opts.mode}"`);
  if (opts.owner !== undefined && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$/.test(opts.owner)) {
    throw new Error(`putFile owner must be "user" or "user:group", got "${opts.owner}"`);
  }
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const { mask, chmod } = permissionPlan(opts.mode);
  const chown = opts.owner === undefined || (asRoot && opts.owner === "root") ? "" : opts.owner;
  const params = [posix.dirname(path), posix.basename(path), mask, chmod, chown, String(bytes.length), randomBytes(6).toString("hex")];
  return { params, bytes };
}

/**
 * Writes `content` to `path` atomically through `exec` (one round trip). `asRoot`: the command runs as root,
 * so a file it creates belongs to root already and `owner: "root"` needs no chown.
 */
export async function writeFileAtomically(
  exec: Exec,
  host: string,
  path: string,
  content: Buffer | string,
  opts: PutFileOptions,
  asRoot = false,
): Promise<void> {
  try {
    await writeFilesAtomically(exec, host, [{ path, content, opts }], asRoot);
  } catch (err) {
    // One file: PutFilesError's list of files written before it is empty; the message is the same.
    if (err instanceof PutFilesError) throw new HostError(host, err.message);
    throw err;
  }
}

/** Why writeFilesAtomically stopped: the files written before, and the one that failed. */
export class PutFilesError extends HostError {
  constructor(
    host: string,
    message: string,
    readonly written: string[],
    readonly failed: string,
  ) {
    super(host, message);
  }
}

/**
 * Writes every file atomically in ONE round trip (each file as writeFileAtomically writes it), in order; stops at
 * the first that fails, with a PutFilesError naming the files written before it. All must share `become`.
 * With `then`, that command runs in the same round trip once every file is in place (never when one failed), and
 * its result is returned: its exit code, stdout and stderr, for the caller to judge.
 */
export async function writeFilesAtomically(exec: Exec, host: string, files: FileToPut[], asRoot = false, then?: readonly string[]): Promise<ExecResult | undefined> {
  if (!files.length) return then ? exec(then, {}) : undefined;
  const become = files[0]!.opts.become;
  if (files.some((f) => f.opts.become !== become)) throw new Error("putFiles: every file must have the same become");
  const parts = files.map((f) => fileParameters(f, asRoot));
  const argv = ["sh", "-c", PUT_FILES_SCRIPT, "sh", String(files.length), ...parts.flatMap((p) => p.params), ...(then ?? [])];
  const result = await exec(argv, { stdin: Buffer.concat(parts.map((p) => p.bytes)), become });
  const marker = result.stdout.indexOf(THEN_MARKER);
  const writtenPart = marker >= 0 ? result.stdout.slice(0, marker) : result.stdout;
  if (marker < 0 && (result.code !== 0 || then)) {
    const written = writtenPart.split("\n").filter(Boolean);
    const failed = files[written.length]?.path ?? files[files.length - 1]!.path;
    throw new PutFilesError(host, `cannot write ${failed}: ${result.stderr.trim() || `exit code ${result.code ?? result.signal}`}`, written, failed);
  }
  if (!then) return undefined;
  return { ...result, stdout: result.stdout.slice(marker + THEN_MARKER.length) };
}

const THEN_MARKER = "@@then\n";

/** Removes temporary files left in `dir` by writes that were cut off; returns how many were removed. */
export async function cleanupTempFilesWith(exec: Exec, host: string, dir: string, become?: boolean): Promise<number> {
  checkPath(dir);
  const result = await exec(["sh", "-c", CLEANUP_SCRIPT, "sh", dir], { become });
  if (result.code !== 0) throw new HostError(host, `cannot clean temporary files in ${dir}: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}
