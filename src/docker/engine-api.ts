// The engine's API asked on its unix socket from the host's shell, instead of starting the docker CLI: a docker
// CLI start costs about 30 ms of CPU, which a no-op run paid twice per host for its facts and a rollout once per
// gate check, on hosts busy restarting containers. The client is a Perl program with Perl's builtins only (no
// module: `use Socket` alone costs more than the requests), since perl-base is on every Debian and Ubuntu host.
// Scripts fall back to the docker CLI wherever it cannot answer; both print the same objects. The client is
// src/host-scripts/engine-api.pl; engine-api-lib.sh holds the shell side's check whether it may answer.
import { hostScript } from "../host-scripts/index.js";

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
export const ENGINE_API_PERL = hostScript("engine-api.pl");

/** The process name of the inspect script ($0), which tests and logs recognise it by. */
export const INSPECT_NAME = "lading-inspect";

/** Inspects containers by name: one JSON object per line for each that exists, in any order. */
export function inspectContainersArgv(names: readonly string[], socket = ENGINE_SOCKET): string[] {
  return ["sh", "-c", hostScript("inspect.sh"), INSPECT_NAME, socket, ENGINE_API_PERL, ...names];
}
