// Facts: everything a plan needs from a host, gathered in ONE command (one round trip per host).
// The script is src/host-scripts/facts.sh; the paths and image references arrive as positional parameters.
import type { Transport } from "../transport/index.js";
import { HostError } from "../errors.js";
import { auditFileOf } from "../lifecycle/audit.js";
import { lockFileOf } from "../lifecycle/lock.js";
import { normalizeRef, parseFacts, type HostFacts } from "./parse.js";
import { ENGINE_API_PERL, ENGINE_SOCKET } from "../docker/engine-api.js";
import { hostScript } from "../host-scripts/index.js";

/** Files larger than this are compared by hash only (config files are far smaller). */
export const MAX_CONTENT_BYTES = 1024 * 1024;

// Sections are marked @@name. Every process the script starts costs (a fork and exec take milliseconds on a
// busy host, a docker CLI start about 30 ms of CPU: on a no-op run this script is most of the host's work), so it
// starts few and runs the slow ones side by side, in lanes joined by pipes; each lane prints whole sections,
// and the one downstream copies the upstream output after its own, so no two sections interleave:
//  - the managed containers and the wanted images: asked of the engine's API on its socket
//    (src/docker/engine-api.ts: one Perl start costs a tenth of one docker CLI start). Where that cannot answer
//    (no perl, no socket at the default place, the CLI pointed elsewhere by DOCKER_HOST or a context, no answer
//    to the list), the docker CLI does: `docker ps` for the ids (whether it
//    answered says whether an engine runs), then ONE docker inspect for them and the images (the image
//    references arrive normalized, each holding ':' or '@', which no container name can hold, so none is taken
//    for a container). Both print the same objects, as `docker inspect` prints them;
//  - the files: one stat for every path, then the content of every small one through one cat | base64;
//  - the volumes, only when asked (destroy needs them; a plan does not).
// @@files lists the regular files that exist: "F mode user:group uid:gid size path", whose contents follow in
// @@content, concatenated in that order and base64-encoded, or "H ..." then "<sha256>  -" for a file above the
// size limit, or "S ..." (size only) for the audit log. A path that is not listed is missing.
// Last come the state file and the deploy lock, always with their content (the lock is read, never taken: a run
// that turns out to change nothing then costs no second round trip), and the audit log, whose size a run that
// changes something later checks has not moved while it takes the lock (src/lifecycle/run-lock.ts).
export const FACTS_SCRIPT = hostScript("facts.sh");

export interface FactsRequest {
  /** Absolute paths of every managed file on the host. */
  paths: string[];
  /** Image references the host should have. */
  images: string[];
  /** lading's state file on the host (registrations, revisions). */
  stateFile: string;
  /** List the engine's volumes (one more docker call; only destroy needs them). Default true. */
  volumes?: boolean;
  /** The engine's socket (ENGINE_SOCKET unless a test serves its own). */
  engineSocket?: string;
}

export function factsArgv(req: FactsRequest): string[] {
  const refs = [...new Set(req.images.map(normalizeRef))];
  const lock = lockFileOf(req.stateFile);
  const audit = auditFileOf(req.stateFile);
  return ["sh", "-c", FACTS_SCRIPT, "lading-facts", String(MAX_CONTENT_BYTES), req.stateFile, lock, audit, req.volumes === false ? "0" : "1", req.engineSocket ?? ENGINE_SOCKET, ENGINE_API_PERL, String(refs.length), ...refs, ...req.paths, req.stateFile, lock, audit];
}

export async function gatherFacts(t: Transport, req: FactsRequest): Promise<HostFacts> {
  const res = await t.exec(factsArgv(req), { become: true });
  if (res.code !== 0) throw new HostError(t.host, `gathering facts failed (exit ${res.code}): ${res.stderr.trim().slice(0, 500)}`);
  try {
    return parseFacts(res.stdout, req);
  } catch (err) {
    throw new HostError(t.host, `gathering facts failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
