// The fleet benchmark's own access to the lab hosts, with the system ssh client: the floor (one command per
// host, all hosts at once), resetting hosts between tools, and counting the SSH connections each host's sshd
// accepted (read from its log through the lab engine's view of the host's file system, so counting opens none).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { labDocker } from "../../src/lab/docker.js";
import { CONFIG_ROOT, SERVICES, type FleetHost } from "./workload.js";

export interface SshAccess {
  key: string;
  knownHosts: string;
}

/** ssh options: the lab's key and known_hosts, no user config, no multiplexing (one command, one connection). */
export function sshOptions(access: SshAccess): string[] {
  return [
    "-F", "/dev/null",
    "-i", access.key,
    "-o", "BatchMode=yes",
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${access.knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "ControlMaster=no",
    "-o", "ControlPath=none",
    "-l", "root",
  ];
}

// Runs one remote command on every address at once: a constant script; the command, the addresses (IPv4
// only, checked, so splitting them on spaces is safe) and the ssh options are positional parameters. Each
// host's output lands in its own file under $1.
// With serial=1 the hosts go one after the other (the floor of a rolling restart).
const FAN_OUT_SCRIPT = `
out=$1; cmd=$2; addresses=$3; serial=$4; shift 4
for a in $addresses; do
  if [ "$serial" = 1 ]; then ssh "$@" "$a" "$cmd" >"$out/$a" 2>&1; else ssh "$@" "$a" "$cmd" >"$out/$a" 2>&1 & fi
done
wait
`;

export interface FanOutResult {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  outputs: Map<string, string>;
}

/**
 * One ssh command per host, all hosts in parallel (or one host after the other with `serial`), under
 * /usr/bin/time (the CPU of every ssh client counts).
 */
export function fanOut(access: SshAccess, hosts: FleetHost[], remoteCommand: string, serial = false): FanOutResult {
  const out = mkdtempSync(join(tmpdir(), "fleet-fanout-"));
  try {
    const started = process.hrtime.bigint();
    const addresses = hosts.map((h) => h.address);
    if (!addresses.every((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a))) throw new Error(`not IPv4 addresses: ${addresses.join(" ")}`);
    const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S %M", "sh", "-c", FAN_OUT_SCRIPT, "fan-out", out, remoteCommand, addresses.join(" "), serial ? "1" : "0", ...sshOptions(access)], { encoding: "utf8" });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const time = parseTime(r.stderr);
    const outputs = new Map(readdirSync(out).map((a) => [a, readFileSync(join(out, a), "utf8")]));
    return { wallS, cpuS: time.cpuS, maxRssMb: time.maxRssMb, outputs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The same fan-out through ssh2 in one Node.js process (bench/fleet/floor-ssh2.ts), under /usr/bin/time: the
 * floor for a deployer written in Node.js, with no OpenSSH client process per host.
 */
export function fanOutSsh2(access: SshAccess, hosts: FleetHost[], remoteCommand: string): FanOutResult {
  const script = join(dirname(fileURLToPath(import.meta.url)), "floor-ssh2.js");
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S %M", process.execPath, script, access.key, access.knownHosts, remoteCommand, ...hosts.map((h) => h.address)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`floor-ssh2 failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const time = parseTime(r.stderr);
  const { outputs } = JSON.parse(r.stdout) as { outputs: Record<string, string> };
  return { wallS, cpuS: time.cpuS, maxRssMb: time.maxRssMb, outputs: new Map(Object.entries(outputs)) };
}

/** Reads the last `TIME user sys maxrss` line /usr/bin/time wrote. */
export function parseTime(stderr: string): { cpuS: number; maxRssMb: number } {
  const line = stderr.split("\n").reverse().find((l) => l.startsWith("TIME "));
  if (!line) throw new Error(`no /usr/bin/time line in:\n${stderr.slice(-2000)}`);
  const [user, sys, rssKb] = line.slice(5).split(" ").map(Number);
  return { cpuS: (user ?? 0) + (sys ?? 0), maxRssMb: (rssKb ?? 0) / 1024 };
}

/** The floor's remote command: every file hash and every container's state and image, in one command. */
export function floorCommand(): string {
  const files = SERVICES.flatMap((s) => [`${CONFIG_ROOT}/${s}/main.conf`, `${CONFIG_ROOT}/${s}/peers.conf`]);
  return `sha256sum ${files.join(" ")}; docker inspect --format '{{.Name}} {{.State.Status}} {{.Image}}' ${SERVICES.join(" ")}`;
}

/**
 * The floor of a config change: one command per host that writes the changed service's two files (the
 * generation the last lading run wrote: the same bytes, so nothing drifts) and restarts its container, then
 * reads its state. Its wall time less the no-op floor's is the containers' own restart time.
 */
export function restartFloorCommand(service: string): string {
  const dir = `${CONFIG_ROOT}/${service}`;
  return `for f in ${dir}/main.conf ${dir}/peers.conf; do cat "$f" > "$f.floor" && mv "$f.floor" "$f"; done; docker restart ${service} >/dev/null && docker inspect --format '{{.Name}} {{.State.Status}} {{.Image}}' ${service}`;
}

/** True when a restart floor's output shows the container running again. */
export function restartFloorOutputComplete(text: string, service: string): boolean {
  return new RegExp(`^/${service} running sha256:`, "m").test(text);
}

/** True when a floor output holds all 10 hashes and 5 running containers. */
export function floorOutputComplete(text: string): boolean {
  const lines = text.trim().split("\n");
  return lines.filter((l) => /^[0-9a-f]{64} /.test(l)).length === SERVICES.length * 2 && lines.filter((l) => / running sha256:/.test(l)).length === SERVICES.length;
}

/** Removes both tools' containers and config files from every host. */
export function resetHosts(access: SshAccess, hosts: FleetHost[]): void {
  const r = fanOut(access, hosts, `docker rm -f ${SERVICES.join(" ")} >/dev/null 2>&1; rm -rf ${CONFIG_ROOT}; echo reset-done`);
  const failed = hosts.filter((h) => !(r.outputs.get(h.address) ?? "").includes("reset-done"));
  if (failed.length) throw new Error(`reset failed on ${failed.map((h) => h.name).join(", ")}`);
}

/**
 * Stops the containers the hosts run from another deployment (their stores outlive the lab hosts), so that
 * they take no CPU during the benchmark. Returns them per host, to start again at the end.
 */
export function stopForeignContainers(access: SshAccess, hosts: FleetHost[]): Map<string, string[]> {
  const r = fanOut(access, hosts, `ids=$(docker ps -q); if [ -n "$ids" ]; then docker stop -t 20 $ids >/dev/null; fi; echo "stopped $ids"`);
  const stopped = new Map<string, string[]>();
  for (const h of hosts) {
    const line = (r.outputs.get(h.address) ?? "").split("\n").find((l) => l.startsWith("stopped"));
    const ids = (line ?? "").replace(/^stopped ?/, "").split(/\s+/).filter(Boolean);
    if (ids.length) stopped.set(h.address, ids);
  }
  return stopped;
}

export function startContainers(access: SshAccess, hosts: FleetHost[], stopped: Map<string, string[]>): void {
  for (const h of hosts) {
    const ids = stopped.get(h.address);
    if (!ids?.length) continue;
    fanOut(access, [h], `docker start ${ids.join(" ")} >/dev/null`);
  }
}

/** Where the lab engine shows each host's file system, to read its sshd log without connecting. */
export function hostRootDirs(hosts: FleetHost[]): Map<string, string> {
  const [cmd, ...args] = [...labDocker(), "inspect", "--format", "{{.Name}} {{.GraphDriver.Data.MergedDir}}", ...hosts.map((h) => h.name)];
  const r = spawnSync(cmd!, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`docker inspect of the lab hosts failed: ${r.stderr}`);
  return new Map(r.stdout.trim().split("\n").map((l) => {
    const [name, dir] = l.split(" ");
    return [name!.replace(/^\//, ""), dir!];
  }));
}

/** Connections each host's sshd accepted so far. */
export function acceptedConnections(roots: Map<string, string>): Map<string, number> {
  return new Map([...roots].map(([name, root]) => {
    let log = "";
    try {
      log = readFileSync(join(root, "var", "log", "sshd.log"), "utf8");
    } catch {
      // No log yet: no connection yet.
    }
    return [name, log.split("\n").filter((l) => l.includes("Accepted publickey")).length];
  }));
}
