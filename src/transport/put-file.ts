// Atomic file writes in one round trip, through any transport's exec: the content travels over stdin
// (never argv: it may be a secret) into a temporary file beside the destination, is checked for length
// (a dropped connection ends stdin early and must not replace the old file with half of the new one),
// given its mode and owner, synced, then renamed over the destination.
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { HostError } from "../errors.js";
import type { ExecOptions, ExecResult, PutFileOptions } from "./transport.js";

type Exec = (argv: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

const TEMP_MARKER = ".lading-tmp.";

/** Positional parameters: $1 dir, $2 name, $3 mode, $4 owner ("" = unchanged), $5 byte count, $6 random tag. */
const PUT_FILE_SCRIPT = `set -eu
dir=$1 name=$2 mode=$3 owner=$4 size=$5 tag=$6
dest=$dir/$name
tmp=$dir/.$name${TEMP_MARKER}$tag
mkdir -p -- "$dir"
for stale in "$dir"/."$name"${TEMP_MARKER}*; do
  if [ -e "$stale" ]; then rm -f -- "$stale"; fi
done
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
umask 077
set -C
cat > "$tmp"
set +C
got=$(wc -c < "$tmp" | tr -d ' ')
if [ "$got" != "$size" ]; then
  echo "received $got of $size bytes; $dest left unchanged" >&2
  exit 3
fi
chmod -- "$mode" "$tmp"
if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
sync -- "$tmp" 2>/dev/null || :
mv -f -- "$tmp" "$dest"
sync -- "$dir" 2>/dev/null || :
`;

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

/** Writes `content` to `path` atomically through `exec` (one round trip). */
export async function writeFileAtomically(
  exec: Exec,
  host: string,
  path: string,
  content: Buffer | string,
  opts: PutFileOptions,
): Promise<void> {
  checkPath(path);
  if (!/^[0-7]{3,4}$/.test(opts.mode)) throw new Error(`putFile mode must be octal like "0644", got "${opts.mode}"`);
  if (opts.owner !== undefined && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$/.test(opts.owner)) {
    throw new Error(`putFile owner must be "user" or "user:group", got "${opts.owner}"`);
  }
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const argv = [
    "sh", "-c", PUT_FILE_SCRIPT, "sh",
    posix.dirname(path), posix.basename(path), opts.mode, opts.owner ?? "", String(bytes.length), randomBytes(6).toString("hex"),
  ];
  const result = await exec(argv, { stdin: bytes, become: opts.become });
  if (result.code !== 0) {
    throw new HostError(host, `cannot write ${path}: ${result.stderr.trim() || `exit code ${result.code ?? result.signal}`}`);
  }
}

/** Removes temporary files left in `dir` by writes that were cut off; returns how many were removed. */
export async function cleanupTempFilesWith(exec: Exec, host: string, dir: string, become?: boolean): Promise<number> {
  checkPath(dir);
  const result = await exec(["sh", "-c", CLEANUP_SCRIPT, "sh", dir], { become });
  if (result.code !== 0) throw new HostError(host, `cannot clean temporary files in ${dir}: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}
