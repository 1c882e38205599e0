// The engine's API asked on its unix socket from the host's shell, instead of starting the docker CLI: a docker
// CLI start costs about 30 ms of CPU, which a no-op run paid twice per host for its facts and a rollout once per
// gate check, on hosts busy restarting containers. The client is a Perl program with Perl's builtins only (no
// module: `use Socket` alone costs more than the requests), since perl-base is on every Debian and Ubuntu host.
// Scripts fall back to the docker CLI wherever it cannot answer; both print the same objects.

/** Where the engine listens (the docker CLI's own default). */
export const ENGINE_SOCKET = "/var/run/docker.sock";

/**
 * Arguments: the socket, an operation, its arguments.
 *  - `managed REF...`: @@engine and @@objects sections: the inspect of every container labelled lading.managed,
 *    then of every image reference the engine has;
 *  - `inspect NAME...`: the inspect of every named container that exists.
 * Objects are printed one per line as `docker inspect --format '{{json .}}'` prints them (the engine's own
 * JSON), and only once all are in; it prints nothing and exits 3 when the engine does not answer (then the
 * script asks the docker CLI). HTTP/1.0, so the engine sends each body whole and closes. AF_UNIX and
 * SOCK_STREAM are 1 on Linux; sockaddr_un is the family as an unsigned short, then the path in 108 bytes.
 */
export const ENGINE_API_PERL = `
my ($sock, $op, @args) = @ARGV;
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
sub enc { my ($x) = @_; $x =~ s/([^A-Za-z0-9._~\\/:\\@-])/sprintf("%%%02X", ord $1)/ge; return $x; }
my $out = "";
if ($op eq "managed") {
  my ($code, $list) = get("/containers/json?all=1&filters=%7B%22label%22%3A%5B%22lading.managed%3Dtrue%22%5D%7D");
  exit 3 unless $code == 200;
  $out = "\\@\\@engine\\nup\\n\\@\\@objects\\n";
  for my $id ($list =~ /[{,]"Id":"([0-9a-f]{64})"/g) {
    my ($c, $b) = get("/containers/$id/json");
    $out .= "$b\\n" if $c == 200;
  }
  for my $ref (@args) {
    my ($c, $b) = get("/images/" . enc($ref) . "/json");
    $out .= "$b\\n" if $c == 200;
  }
} elsif ($op eq "inspect") {
  for my $name (@args) {
    my ($c, $b) = get("/containers/" . enc($name) . "/json");
    exit 3 unless $c;
    $out .= "$b\\n" if $c == 200;
  }
} else {
  exit 2;
}
print $out;
`;

/**
 * Shell functions for scripts that ask the API, with $sock set: whether the API client may answer for the
 * docker CLI (perl is there, the socket is, and neither DOCKER_HOST nor a docker context sends the CLI
 * elsewhere; registry logins in config.json change nothing).
 */
export const ENGINE_API_SH = `
lading_cli_elsewhere() {
  [ -n "\${DOCKER_HOST:-}" ] && return 0
  cfg=\${DOCKER_CONFIG:-\${HOME:-/root}/.docker}/config.json
  [ -f "$cfg" ] || return 1
  while IFS= read -r line; do case $line in *currentContext*) return 0 ;; esac; done < "$cfg"
  return 1
}
lading_api_usable() {
  [ -S "$sock" ] && command -v perl >/dev/null 2>&1 && ! lading_cli_elsewhere
}
`;

// $1 the socket, $2 the API client, then the container names. Exit 0 even when some are missing (as the API
// client does); the docker CLI's own exit code otherwise.
const INSPECT_SCRIPT = `
sock=$1; api=$2; shift 2
${ENGINE_API_SH}
if lading_api_usable; then
  perl -e "$api" -- "$sock" inspect "$@" && exit 0
fi
docker inspect --format '{{json .}}' "$@" 2>/dev/null
exit 0
`;

/** The process name of the inspect script ($0), which tests and logs recognise it by. */
export const INSPECT_NAME = "lading-inspect";

/** Inspects containers by name: one JSON object per line for each that exists, in any order. */
export function inspectContainersArgv(names: readonly string[], socket = ENGINE_SOCKET): string[] {
  return ["sh", "-c", INSPECT_SCRIPT, INSPECT_NAME, socket, ENGINE_API_PERL, ...names];
}
