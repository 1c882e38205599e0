// Facts: everything a plan needs from a host, gathered in ONE command (one round trip per host).
// The script is a constant; the paths and image references arrive as positional parameters.
import type { Transport } from "../transport/index.js";
import { HostError } from "../errors.js";
import { auditFileOf } from "../lifecycle/audit.js";
import { lockFileOf } from "../lifecycle/lock.js";
import { normalizeRef, parseFacts, type HostFacts } from "./parse.js";

/** Files larger than this are compared by hash only (config files are far smaller). */
export const MAX_CONTENT_BYTES = 1024 * 1024;

// Sections are marked @@name. Every process the script starts costs (a fork and exec take milliseconds on a
// busy host, a docker CLI start about 30 ms of CPU: on a no-op run this script is most of the host's work), so it
// starts few and runs the slow ones side by side, in lanes joined by pipes; each lane prints whole sections,
// and the one downstream copies the upstream output after its own, so no two sections interleave:
//  - the managed containers and the wanted images: asked of the engine's API on its socket by ENGINE_API_PERL
//    (Perl's builtins only, no module: perl-base is on every Debian and Ubuntu host, and one Perl start costs a
//    tenth of one docker CLI start). Where that cannot answer (no perl, no socket at the default place, the CLI
//    pointed elsewhere by DOCKER_HOST or a context), the docker CLI does: `docker ps` for the ids (whether it
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
export const FACTS_SCRIPT = `
set -f
max=$1; state=$2; lock=$3; audit=$4; volumes=$5; sock=$6; api=$7; n=$8; shift 8
images=""
while [ "$n" -gt 0 ]; do images="$images $1"; n=$((n - 1)); shift; done
lading_cli_elsewhere() {
  [ -n "\${DOCKER_HOST:-}" ] && return 0
  cfg=\${DOCKER_CONFIG:-\${HOME:-/root}/.docker}/config.json
  [ -f "$cfg" ] || return 1
  while IFS= read -r line; do case $line in *currentContext*) return 0 ;; esac; done < "$cfg"
  return 1
}
lading_objects() {
  if [ -S "$sock" ] && command -v perl >/dev/null 2>&1 && ! lading_cli_elsewhere; then
    perl -e "$api" -- "$sock" $images && return
  fi
  if ids=$(docker ps --all --quiet --filter label=lading.managed=true 2>/dev/null); then printf '@@engine\\nup\\n'; else printf '@@engine\\nNONE\\n'; fi
  printf '@@objects\\n'
  if [ -n "$ids$images" ]; then docker inspect --format '{{json .}}' $ids $images 2>/dev/null; fi
}
lading_files() {
  printf '@@files\\n'
  listing=$(stat -L -c '%f %a %U:%G %u:%g %s %n' -- "$@" 2>/dev/null)
  set --
  while read -r raw mode owner ids size path; do
    case $raw in 8???) ;; *) continue ;; esac
    if [ "$path" = "$audit" ]; then
      printf 'S %s %s %s %s %s\\n' "$mode" "$owner" "$ids" "$size" "$path"
    elif [ "$size" -le "$max" ] || [ "$path" = "$state" ] || [ "$path" = "$lock" ]; then
      printf 'F %s %s %s %s %s\\n' "$mode" "$owner" "$ids" "$size" "$path"
      set -- "$@" "$path"
    else
      printf 'H %s %s %s %s %s\\n' "$mode" "$owner" "$ids" "$size" "$path"
      sha256sum < "$path"
    fi
  done <<LADING_LISTING
$listing
LADING_LISTING
  printf '@@content\\n'
  if [ "$#" -gt 0 ]; then cat -- "$@" | base64 -w0; fi
  printf '\\n'
}
lading_facts() {
  lading_objects | { lading_files "$@"; cat; }
}
if [ "$volumes" = 1 ]; then
  { printf '@@volumes\\n'; docker volume ls --quiet 2>/dev/null; } | { lading_facts "$@"; cat; }
else
  lading_facts "$@"
fi
printf '@@end\\n'
`;

/**
 * The engine's API, asked over its unix socket with Perl's builtins (no module loads: `use Socket` alone costs
 * more than the requests): the managed containers' ids, then each one's inspect, then each wanted image's.
 * Arguments: the socket, then the image references. It prints @@engine and @@objects, one object per line as
 * `docker inspect` prints them (the engine's own JSON), and only once it has them all; it prints nothing and
 * exits 3 when the engine does not answer the list, and the script then asks the docker CLI. HTTP/1.0, so the
 * engine sends the body whole and closes. AF_UNIX and SOCK_STREAM are 1 on Linux; sockaddr_un is the family
 * as an unsigned short, then the path in 108 bytes.
 */
export const ENGINE_API_PERL = `
my ($sock, @images) = @ARGV;
sub get {
  my ($path) = @_;
  socket(my $s, 1, 1, 0) or return (0, "");
  connect($s, pack("S a108", 1, $sock)) or return (0, "");
  my $req = "GET $path HTTP/1.0\\r\\nHost: docker\\r\\n\\r\\n";
  (syswrite($s, $req) // 0) == length($req) or return (0, "");
  my $r = "";
  1 while sysread($s, $r, 65536, length $r);
  close $s;
  $r =~ /\\AHTTP\\/\\d\\.\\d (\\d{3})[^\\n]*\\n.*?\\r\\n\\r\\n(.*)\\z/s or return (0, "");
  my ($code, $body) = ($1, $2);
  $body =~ s/\\s+\\z//;
  return ($code, $body);
}
my ($code, $list) = get("/containers/json?all=1&filters=%7B%22label%22%3A%5B%22lading.managed%3Dtrue%22%5D%7D");
exit 3 unless $code == 200;
my $out = "\\@\\@engine\\nup\\n\\@\\@objects\\n";
for my $id ($list =~ /[{,]"Id":"([0-9a-f]{64})"/g) {
  my ($c, $b) = get("/containers/$id/json");
  $out .= "$b\\n" if $c == 200;
}
for my $ref (@images) {
  (my $path = $ref) =~ s/([^A-Za-z0-9._~\\/:\\@-])/sprintf("%%%02X", ord $1)/ge;
  my ($c, $b) = get("/images/$path/json");
  $out .= "$b\\n" if $c == 200;
}
print $out;
`;

/** Where the facts ask the engine's API (the docker CLI's own default). */
export const ENGINE_SOCKET = "/var/run/docker.sock";

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
