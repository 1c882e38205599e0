// Atomic file writes in one round trip, through any transport's exec: the content travels over stdin
// (never argv: it may be a secret) into a temporary file beside the destination, is checked for length
// (a dropped connection ends stdin early and must not replace the old file with half of the new one),
// given its mode and owner, synced, then renamed over the destination.
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { HostError } from "../errors.js";
import type { ExecOptions, ExecResult, FileToPut, PutFileOptions } from "./transport.js";

type Exec = (argv: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

const TEMP_MARKER = ".lading-tmp.";

/**
 * Positional parameters: $1 dir, $2 name, $3 umask the file is created with, $4 mode to chmod ("" = the umask
 * gave it already), $5 owner to chown ("" = unchanged), $6 byte count, $7 random tag.
 * Every process it starts costs milliseconds on a busy host, and a deploy writes many files at once: the
 * directory is made only when missing, the permission bits come from the umask unless the mode has execute
 * bits, and chown runs only when it changes something (writeFileAtomically decides).
 */
const PUT_FILE_SCRIPT = `set -eu
dir=$1 name=$2 mask=$3 mode=$4 owner=$5 size=$6 tag=$7
dest=$dir/$name
tmp=$dir/.$name${TEMP_MARKER}$tag
[ -d "$dir" ] || mkdir -p -- "$dir"
for stale in "$dir"/."$name"${TEMP_MARKER}*; do
  if [ -e "$stale" ]; then rm -f -- "$stale"; fi
done
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
umask "$mask"
set -C
cat > "$tmp"
set +C
got=$(($(wc -c < "$tmp")))
if [ "$got" != "$size" ]; then
  echo "received $got of $size bytes; $dest left unchanged" >&2
  exit 3
fi
if [ -n "$mode" ]; then chmod -- "$mode" "$tmp"; fi
if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
sync -- "$tmp" 2>/dev/null || :
mv -f -- "$tmp" "$dest"
sync -- "$dir" 2>/dev/null || :
`;

/**
 * Several files in one round trip: their contents arrive one after the other on stdin, and each is written as
 * PUT_FILE_SCRIPT writes one (temporary file, length check, mode, owner, sync, rename), so every file is atomic
 * on its own. `head -c N` reads exactly N bytes (GNU head never reads past them, even from a pipe), which leaves
 * the next file's bytes for the next head. Parameters: the number of files, seven per file in PUT_FILE_SCRIPT's
 * order, then optionally a command to run once every file is in place (a restart the writes call for: one round
 * trip for both). Each file written is named on stdout, so a failure tells which were; then "@@then" and the
 * command's own output, and the script exits with the command's exit code.
 */
const PUT_FILES_SCRIPT = `set -eu
tmp=""
trap 'if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi' EXIT
trap 'exit 1' HUP INT TERM PIPE
n=$1; shift
while [ "$n" -gt 0 ]; do
  dir=$1 name=$2 mask=$3 mode=$4 owner=$5 size=$6 tag=$7
  shift 7; n=$((n - 1))
  dest=$dir/$name
  [ -d "$dir" ] || mkdir -p -- "$dir"
  for stale in "$dir"/."$name"${TEMP_MARKER}*; do
    if [ -e "$stale" ]; then rm -f -- "$stale"; fi
  done
  tmp=$dir/.$name${TEMP_MARKER}$tag
  umask "$mask"
  set -C
  if [ "$size" -gt 0 ]; then head -c "$size" > "$tmp"; else : > "$tmp"; fi
  set +C
  got=$(($(wc -c < "$tmp")))
  if [ "$got" != "$size" ]; then
    echo "received $got of $size bytes; $dest left unchanged" >&2
    exit 3
  fi
  if [ -n "$mode" ]; then chmod -- "$mode" "$tmp"; fi
  if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
  sync -- "$tmp" 2>/dev/null || :
  mv -f -- "$tmp" "$dest"
  tmp=""
  sync -- "$dir" 2>/dev/null || :
  printf '%s\\n' "$dest"
done
if [ "$#" -gt 0 ]; then
  printf '@@then\\n'
  set +e
  "$@" < /dev/null
  exit $?
fi
`;

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
const CLEANUP_SCRIPT = `n=0
for f in "$1"/.*${TEMP_MARKER}*; do
  if [ -e "$f" ]; then rm -f -- "$f" && n=$((n + 1)); fi
done
echo "$n"
`;

function checkPath(path: string): void {
  // Control characters would survive quoting, but $(dirname)-style handling and humans reading logs would not.
  if (!posix.isAbsolute(path) || path.endsWith("/") || /[\0-\x1f]/.test(path)) {
    throw new Error(`putFile needs an absolute file path without control characters, got ${JSON.stringify(path)}`);
  }
}

/** The script's seven parameters for one file ($1..$7 of PUT_FILE_SCRIPT), checked, and its bytes. */
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
  const { params, bytes } = fileParameters({ path, content, opts }, asRoot);
  const argv = ["sh", "-c", PUT_FILE_SCRIPT, "sh", ...params];
  const result = await exec(argv, { stdin: bytes, become: opts.become });
  if (result.code !== 0) {
    throw new HostError(host, `cannot write ${path}: ${result.stderr.trim() || `exit code ${result.code ?? result.signal}`}`);
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
