// bootstrap-servers: prepares new Debian/Ubuntu hosts: the container engine from the distribution's packages,
// its daemon.json, /etc/hosts entries for every host, the deploy user with sudo, sysctls and the config
// directory. The file contents and the decisions are pure; a changed daemon.json restarts the engine one host
// at a time, each waiting for its services' health gates.
import { HostError } from "../errors.js";
import type { Transport } from "../transport/index.js";

export const HOSTS_BEGIN = "# BEGIN lading hosts (managed by lading bootstrap-servers)";
export const HOSTS_END = "# END lading hosts";
export const DAEMON_JSON = "/etc/docker/daemon.json";
export const SYSCTL_FILE = "/etc/sysctl.d/99-lading.conf";

/** Kolla-Ansible's host settings: VIPs bind on hosts that do not hold them; bigger unix datagram queues. */
export const DEFAULT_SYSCTLS: Record<string, string> = {
  "net.ipv4.ip_nonlocal_bind": "1",
  "net.ipv6.ip_nonlocal_bind": "1",
  "net.unix.max_dgram_qlen": "128",
};

/** The operator's choices for daemon.json, from the global parameters docker_log_max_size, docker_log_max_files, docker_live_restore. */
export interface DaemonSettings {
  logMaxSize: string;
  logMaxFiles: number;
  liveRestore: boolean;
  /** Every service uses host networking: no default bridge, no iptables rules. */
  hostNetworkingOnly: boolean;
}

export const DEFAULT_DAEMON_SETTINGS: DaemonSettings = { logMaxSize: "50m", logMaxFiles: 5, liveRestore: true, hostNetworkingOnly: true };

/**
 * The daemon settings of one host from its resolved parameters (already checked against roles/global.yaml:
 * types, pattern and range). A parameter that is absent (a role set without global.yaml) keeps lading's default.
 */
export function daemonSettingsOf(params: Record<string, unknown>): DaemonSettings {
  const d = DEFAULT_DAEMON_SETTINGS;
  return {
    logMaxSize: typeof params.docker_log_max_size === "string" ? params.docker_log_max_size : d.logMaxSize,
    logMaxFiles: typeof params.docker_log_max_files === "number" ? params.docker_log_max_files : d.logMaxFiles,
    liveRestore: typeof params.docker_live_restore === "boolean" ? params.docker_live_restore : d.liveRestore,
    hostNetworkingOnly: d.hostNetworkingOnly,
  };
}

/**
 * The engine's daemon.json: live-restore (containers keep running while the engine restarts), bounded
 * json-file logs, and, since every service uses host networking, no bridge and no iptables rules. Pure.
 */
export function daemonJson(opts: Partial<DaemonSettings> = {}): string {
  const s = { ...DEFAULT_DAEMON_SETTINGS, ...opts };
  const conf: Record<string, unknown> = {
    "live-restore": s.liveRestore,
    "log-driver": "json-file",
    "log-opts": { "max-size": s.logMaxSize, "max-file": String(s.logMaxFiles) },
  };
  if (s.hostNetworkingOnly) {
    conf.bridge = "none";
    conf.iptables = false;
  }
  return `${JSON.stringify(conf, null, 2)}\n`;
}

/** /etc/hosts with lading's block (every inventory host) put in, replacing an earlier block; the rest kept. Pure. */
export function hostsFileWithBlock(current: string, hosts: { name: string; address: string }[]): string {
  const lines = current.split("\n");
  const begin = lines.indexOf(HOSTS_BEGIN);
  const end = lines.indexOf(HOSTS_END);
  const kept = begin >= 0 && end > begin ? [...lines.slice(0, begin), ...lines.slice(end + 1)] : lines;
  while (kept.length && kept[kept.length - 1] === "") kept.pop();
  const block = [HOSTS_BEGIN, ...hosts.map((h) => `${h.address}\t${h.name}`), HOSTS_END];
  return `${[...kept, ...block].join("\n")}\n`;
}

export function sysctlConf(sysctls: Record<string, string>): string {
  return `# Managed by lading bootstrap-servers\n${Object.entries(sysctls).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`;
}

export function sudoersOf(user: string): string {
  return `# Managed by lading bootstrap-servers\n${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
}

// Prints what bootstrap needs to decide, in one round trip: the distribution, whether docker is installed and
// running, and the current daemon.json, /etc/hosts, sysctl file and sudoers file (base64), and whether the user exists.
export const PROBE_SCRIPT = `
user=$1; config=$2
. /etc/os-release 2>/dev/null; printf 'os %s\\n' "\${ID:-unknown}"
if command -v docker >/dev/null 2>&1; then printf 'docker yes\\n'; else printf 'docker no\\n'; fi
if docker info >/dev/null 2>&1; then printf 'running yes\\n'; else printf 'running no\\n'; fi
for f in ${DAEMON_JSON} /etc/hosts ${SYSCTL_FILE} "/etc/sudoers.d/lading-$user"; do
  if [ -f "$f" ]; then printf 'file %s %s\\n' "$f" "$(base64 -w0 -- "$f")"; else printf 'file %s -\\n' "$f"; fi
done
if [ -n "$user" ] && id -u "$user" >/dev/null 2>&1; then printf 'user yes\\n'; else printf 'user no\\n'; fi
if [ -d "$config" ]; then printf 'config yes\\n'; else printf 'config no\\n'; fi
`;

export function probeArgv(user: string, configDir: string): string[] {
  return ["sh", "-c", PROBE_SCRIPT, "lading-probe", user, configDir];
}

export interface Probe {
  os: string;
  docker: boolean;
  running: boolean;
  files: Map<string, string | undefined>;
  userExists: boolean;
  configDirExists: boolean;
}

export function parseProbe(out: string): Probe {
  const p: Probe = { os: "unknown", docker: false, running: false, files: new Map(), userExists: false, configDirExists: false };
  for (const line of out.split("\n")) {
    const [key, a, b] = line.trim().split(" ");
    if (key === "os") p.os = a ?? "unknown";
    else if (key === "docker") p.docker = a === "yes";
    else if (key === "running") p.running = a === "yes";
    else if (key === "user") p.userExists = a === "yes";
    else if (key === "config") p.configDirExists = a === "yes";
    else if (key === "file" && a) p.files.set(a, b === "-" || b === undefined ? undefined : Buffer.from(b, "base64").toString("utf8"));
  }
  return p;
}

export type BootstrapStep =
  | { kind: "install-engine"; argv: string[]; reason: string }
  | { kind: "write"; path: string; content: string; mode: string; reason: string; inPlace?: boolean }
  | { kind: "run"; argv: string[]; reason: string }
  | { kind: "restart-engine"; argv: string[]; reason: string };

export interface BootstrapInput {
  hosts: { name: string; address: string }[];
  configDir: string;
  /** The deploy user to create with passwordless sudo; none when empty. */
  user?: string;
  sysctls?: Record<string, string>;
  daemon?: string;
}

/**
 * The steps one host needs, each only where the host differs, with a reason. An engine restart is planned
 * only when daemon.json changes on a host whose engine already runs. Throws on a distribution it does not know. Pure.
 */
export function bootstrapSteps(host: string, probe: Probe, input: BootstrapInput): BootstrapStep[] {
  if (!["debian", "ubuntu"].includes(probe.os)) throw new HostError(host, `bootstrap-servers supports Debian and Ubuntu, not ${probe.os}`);
  const steps: BootstrapStep[] = [];
  const daemon = input.daemon ?? daemonJson();
  const daemonChanged = probe.files.get(DAEMON_JSON) !== daemon;
  // daemon.json goes in before the package: the engine's first start already uses it.
  if (daemonChanged) steps.push({ kind: "run", argv: ["install", "-d", "-m", "0755", "--", "/etc/docker"], reason: "daemon.json: its directory" });
  if (daemonChanged) steps.push({ kind: "write", path: DAEMON_JSON, content: daemon, mode: "0644", reason: `daemon.json: ${probe.files.get(DAEMON_JSON) === undefined ? "missing" : "content differs"}` });
  const hosts = hostsFileWithBlock(probe.files.get("/etc/hosts") ?? "", input.hosts);
  // In place: /etc/hosts is often a mount point (a container's, some cloud images'), which a rename cannot replace.
  if (hosts !== probe.files.get("/etc/hosts")) steps.push({ kind: "write", path: "/etc/hosts", content: hosts, mode: "0644", reason: "/etc/hosts: lading's host entries differ", inPlace: true });
  const sysctl = sysctlConf(input.sysctls ?? DEFAULT_SYSCTLS);
  if (sysctl !== probe.files.get(SYSCTL_FILE)) {
    steps.push({ kind: "write", path: SYSCTL_FILE, content: sysctl, mode: "0644", reason: "sysctls: differ" });
    // -e: a key the kernel does not have (net.ipv6.* where IPv6 is off) is no reason to fail the host.
    steps.push({ kind: "run", argv: ["sysctl", "-e", "--system"], reason: "sysctls: load" });
  }
  if (input.user) {
    if (!probe.userExists) steps.push({ kind: "run", argv: ["useradd", "--create-home", "--shell", "/bin/bash", "--", input.user], reason: `user ${input.user}: missing` });
    const sudoers = sudoersOf(input.user);
    const sudoersFile = `/etc/sudoers.d/lading-${input.user}`;
    if (sudoers !== probe.files.get(sudoersFile)) steps.push({ kind: "write", path: sudoersFile, content: sudoers, mode: "0440", reason: `sudo for ${input.user}: missing or differs` });
  }
  if (!probe.configDirExists) steps.push({ kind: "run", argv: ["install", "-d", "-m", "0755", "--", input.configDir], reason: `config directory ${input.configDir}: missing` });
  if (!probe.docker) {
    steps.push({
      kind: "install-engine",
      argv: ["sh", "-c", "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends docker.io"],
      reason: "docker: not installed (docker.io from the distribution)",
    });
    steps.push({ kind: "run", argv: ["sh", "-c", "systemctl enable --now docker 2>/dev/null || service docker start"], reason: "docker: start" });
  }
  else if (daemonChanged && probe.running) steps.push({ kind: "restart-engine", argv: ["sh", "-c", "systemctl restart docker 2>/dev/null || service docker restart"], reason: "daemon.json changed: restart the engine (live-restore keeps containers up)" });
  return steps;
}

/** The argv that copies a staged file's bytes into `path` (keeping its inode) and removes the staged copy. */
export function copyInPlaceArgv(staged: string, path: string): string[] {
  return ["sh", "-c", 'cat -- "$1" > "$2" && rm -f -- "$1"', "lading-copy", staged, path];
}

export async function runBootstrapStep(t: Transport, step: BootstrapStep): Promise<void> {
  if (step.kind === "write" && !step.inPlace) return t.putFile(step.path, step.content, { mode: step.mode, owner: "root:root" });
  const argv = step.kind === "write" ? copyInPlaceArgv(`${step.path}.lading-new`, step.path) : step.argv;
  // Staged whole first, so a cut connection never leaves half a file in place.
  if (step.kind === "write") await t.putFile(`${step.path}.lading-new`, step.content, { mode: step.mode, owner: "root:root" });
  const r = await t.exec(argv, { become: true, timeoutMs: 900_000 });
  if (r.code !== 0) throw new HostError(t.host, `${step.kind === "write" ? `writing ${step.path}` : argv.slice(0, 3).join(" ")} failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-1)[0]}`);
}

export async function probeHost(t: Transport, user: string, configDir: string): Promise<Probe> {
  const r = await t.exec(probeArgv(user, configDir), { become: true });
  if (r.code !== 0) throw new HostError(t.host, `probing the host failed (exit ${r.code})`);
  return parseProbe(r.stdout);
}
