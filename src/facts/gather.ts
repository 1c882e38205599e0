// Facts: everything a plan needs from a host, gathered in ONE command (one round trip per host).
// The script is a constant; the paths and image references arrive as positional parameters.
import type { Transport } from "../transport/index.js";
import { HostError } from "../errors.js";
import { parseFacts, type HostFacts } from "./parse.js";

/** Files larger than this are compared by hash only (config files are far smaller). */
export const MAX_CONTENT_BYTES = 1024 * 1024;

// Sections are marked @@name. Beside the state file: the deploy lock's content (read, never taken: a run that
// turns out to change nothing then costs no second round trip) and the audit log's size, which a run that
// changes something later checks has not moved while it takes the lock (src/lifecycle/run-lock.ts).
// Files: "F mode user:group uid:gid size" then the base64 content, "H ..." then a sha256
// for big files, "M" when missing, in the order of the paths given.
export const FACTS_SCRIPT = `
max=$1; state=$2; shift 2
printf '@@engine\\n'
docker version --format '{{.Server.Version}}' 2>/dev/null || printf 'NONE\\n'
printf '@@files\\n'
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  if [ -f "$1" ]; then
    info=$(stat -c '%a %U:%G %u:%g %s' -- "$1")
    size=\${info##* }
    if [ "$size" -le "$max" ]; then printf 'F %s\\n' "$info"; base64 -w0 -- "$1"; printf '\\n'
    else printf 'H %s\\n' "$info"; sha256sum -- "$1" | cut -d' ' -f1; fi
  else
    printf 'M\\n'
  fi
  shift
done
[ "$#" -gt 0 ] && shift
printf '@@images\\n'
if [ "$#" -gt 0 ]; then docker image inspect --format '{{json .}}' "$@" 2>/dev/null; fi
printf '@@containers\\n'
ids=$(docker ps --all --quiet --filter label=lading.managed=true 2>/dev/null)
if [ -n "$ids" ]; then docker inspect --format '{{json .}}' $ids 2>/dev/null; fi
printf '@@volumes\\n'
docker volume ls --quiet 2>/dev/null
printf '@@state\\n'
if [ -f "$state" ]; then base64 -w0 -- "$state"; fi
d=\${state%/*}
printf '\\n@@lock\\n'
if [ -f "$d/lock" ]; then base64 -w0 -- "$d/lock"; fi
printf '\\n@@audit\\n'
if [ -f "$d/audit.log" ]; then stat -c %s -- "$d/audit.log"; else printf '0\\n'; fi
printf '@@end\\n'
`;

export interface FactsRequest {
  /** Absolute paths of every managed file on the host. */
  paths: string[];
  /** Image references the host should have. */
  images: string[];
  /** lading's state file on the host (registrations, revisions). */
  stateFile: string;
}

export function factsArgv(req: FactsRequest): string[] {
  return ["sh", "-c", FACTS_SCRIPT, "lading-facts", String(MAX_CONTENT_BYTES), req.stateFile, ...req.paths, "--", ...req.images];
}

export async function gatherFacts(t: Transport, req: FactsRequest): Promise<HostFacts> {
  const res = await t.exec(factsArgv(req), { become: true });
  if (res.code !== 0) throw new HostError(t.host, `gathering facts failed (exit ${res.code}): ${res.stderr.trim().slice(0, 500)}`);
  return parseFacts(res.stdout, req);
}
