// bootstrap-servers: prepares new Debian/Ubuntu hosts: the container engine from the distribution's packages,
// its daemon.json, /etc/hosts entries for every host, the deploy user with sudo, sysctls and the config
// directory. The file contents and the decisions are pure; a changed daemon.json restarts the engine one host
// at a time, each waiting for its services' health gates.
import { HostError } from "../errors.js";
import type { Transport } from "../transport/index.js";
import { hostScript, shScriptArgv } from "../host-scripts/index.js";

export const HOSTS_BEGIN = "# BEGIN lading hosts (managed by lading bootstrap-servers)";
export const HOSTS_END = "# END lading hosts";
export const DAEMON_JSON = "/etc/docker/daemon.json";
export const SYSCTL_FILE = "/etc/sysctl.d/99-lading.conf";
/**
 * Written with daemon.json when its change needs an engine restart, removed once the engine restarted: a run
 * that stops in between (a halt on an earlier host, a kill) leaves it, and the next run restarts that engine
 * though daemon.json no longer differs. It holds the restart's reason, for whoever reads it on the host.
 */
export const RESTART_PENDING = "/etc/docker/.lading-restart-pending";

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
// running (and with live-restore on), how its engine reloads (systemd, or an init script with a reload action), and the current daemon.json, /etc/hosts, sysctl file and sudoers file (base64), and whether the user exists.
export const PROBE_SCRIPT = hostScript("bootstrap-probe.sh");

export function probeArgv(user: string, configDir: string): string[] {
  return ["sh", "-c", PROBE_SCRIPT, "lading-probe", user, configDir, DAEMON_JSON, RESTART_PENDING, "/etc/hosts", SYSCTL_FILE];
}

export interface Probe {
  os: string;
  docker: boolean;
  running: boolean;
  /** The running engine's LiveRestoreEnabled (false when it does not run). */
  liveRestore: boolean;
  /** systemd runs the host (systemctl reload docker). */
  systemd: boolean;
  /** /etc/init.d/docker has a reload action (Debian's has none). */
  initScriptReloads: boolean;
  files: Map<string, string | undefined>;
  userExists: boolean;
  configDirExists: boolean;
}

export function parseProbe(out: string): Probe {
  const p: Probe = { os: "unknown", docker: false, running: false, liveRestore: false, systemd: false, initScriptReloads: false, files: new Map(), userExists: false, configDirExists: false };
  for (const line of out.split("\n")) {
    const [key, a, b] = line.trim().split(" ");
    if (key === "os") p.os = a ?? "unknown";
    else if (key === "docker") p.docker = a === "yes";
    else if (key === "running") p.running = a === "yes";
    else if (key === "liverestore") p.liveRestore = a === "true";
    else if (key === "systemd") p.systemd = a === "yes";
    else if (key === "initreload") p.initScriptReloads = a === "yes";
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
  | { kind: "reload-engine"; argv: string[]; reason: string; expectLiveRestore: boolean }
  | { kind: "restart-engine"; argv: string[]; reason: string; expectLiveRestore: boolean; stopsContainers: boolean };

export interface BootstrapInput {
  hosts: { name: string; address: string }[];
  configDir: string;
  /** The deploy user to create with passwordless sudo; none when empty. */
  user?: string;
  sysctls?: Record<string, string>;
  daemon?: string;
}

/**
 * The steps one host needs, each only where the host differs, with a reason. A running engine whose daemon.json
 * changes is reloaded or restarted as engineChangeSteps decides; a stopped one is started. Throws on a
 * distribution it does not know. Pure.
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
    // Only lading's file (not --system, which would also re-apply every other file in sysctl.d); -e: a key
    // the kernel does not have (net.ipv6.* where IPv6 is off) is no reason to fail the host.
    steps.push({ kind: "run", argv: ["sysctl", "-e", "-p", SYSCTL_FILE], reason: "sysctls: load" });
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
      argv: shScriptArgv("install-engine.sh", []),
      reason: "docker: not installed (docker.io from the distribution)",
    });
    steps.push({ kind: "run", argv: START_ENGINE_ARGV, reason: "docker: start" });
  } else if (!probe.running) {
    steps.push({ kind: "run", argv: START_ENGINE_ARGV, reason: "docker: installed but not running: start" });
    if (probe.files.get(RESTART_PENDING) !== undefined) steps.push({ kind: "run", argv: ["rm", "-f", "--", RESTART_PENDING], reason: "the engine starts with the current daemon.json: its pending restart is not needed" });
  } else {
    const change = engineChangeSteps(host, probe, daemon);
    const restart = change.find((x) => x.kind === "restart-engine");
    // The marker goes in before daemon.json: never a moment where the file changed and nothing says a restart is due.
    const at = steps.findIndex((x) => x.kind === "write" && x.path === DAEMON_JSON);
    if (restart && at >= 0) steps.splice(at, 0, { kind: "write", path: RESTART_PENDING, content: `${restart.reason}\n`, mode: "0644", reason: "daemon.json: its engine restart is due until done" });
    steps.push(...change);
  }
  return steps;
}

const START_ENGINE_ARGV = shScriptArgv("engine-start.sh", []);
const RESTART_ENGINE_ARGV = shScriptArgv("engine-restart.sh", []);
/**
 * Run after an engine restart that kept the containers (live-restore): Docker before 23 stops the health checks
 * of restored containers (moby#41871), and a container's health would stay what it was at the restart. The
 * script pauses and unpauses each running container that has a healthcheck, which starts its monitor again.
 */
export const RESUME_HEALTH_ARGV = shScriptArgv("engine-resume-health.sh", []);

/**
 * daemon.json options a running dockerd takes on reload (SIGHUP) without a restart (dockerd's documented
 * reloadable options, those lading may meet). Only when set in the new file: a removed option keeps its old
 * value until the engine restarts.
 */
export const RELOADABLE_DAEMON_OPTIONS: readonly string[] = [
  "debug", "labels", "live-restore", "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts",
  "insecure-registries", "registry-mirrors", "shutdown-timeout",
];

/** The daemon.json options that differ between two files; undefined when `current` is missing or not a JSON object. Pure. */
export function changedDaemonOptions(current: string | undefined, wanted: string): { changed: string[]; removed: string[] } | undefined {
  const parse = (text: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(text);
      return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const before = current === undefined ? undefined : parse(current);
  const after = parse(wanted);
  if (!before || !after) return undefined;
  const changed = Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  const removed = Object.keys(before).filter((k) => !(k in after));
  return { changed, removed };
}

/**
 * How the host's engine reloads its configuration: systemd's unit, an init script that has a reload action,
 * else SIGHUP to the pid dockerd writes (Debian's sysvinit script has no reload). The pid is read when the
 * step runs, never from the probe: a stale pid would signal another process. Pure.
 */
export function reloadEngineArgv(probe: Pick<Probe, "systemd" | "initScriptReloads">): string[] {
  if (probe.systemd) return ["systemctl", "reload", "docker"];
  if (probe.initScriptReloads) return ["service", "docker", "reload"];
  return shScriptArgv("engine-reload.sh", [ENGINE_PID_FILE]);
}

export const ENGINE_PID_FILE = "/var/run/docker.pid";

/**
 * What a running engine needs for `wanted` (its new daemon.json), each step with its reason. Pure.
 * - Only reloadable options differ: a reload, no restart.
 * - A restart is needed and live-restore is wanted but the engine runs without it: a reload first turns it on
 *   (the run checks the engine reports it), so that the restart keeps the containers running. A restart
 *   without live-restore stops every container: an engine that ran without it would lose its services once.
 * - live-restore stays off: the restart stops and restarts the host's containers, and the plan says so (the
 *   command still restarts one host at a time behind the services' gates).
 * - daemon.json unchanged but the engine's live-restore is not the file's (the file was written, the engine
 *   never reloaded): a reload.
 * - daemon.json unchanged but RESTART_PENDING left by a run that stopped before this engine's restart: the
 *   restart it was due, as above.
 */
export function engineChangeSteps(host: string, probe: Probe, wanted: string): BootstrapStep[] {
  const wantLiveRestore = liveRestoreOf(wanted);
  const running = probe.liveRestore;
  const current = probe.files.get(DAEMON_JSON);
  const reload = (reason: string): BootstrapStep => ({ kind: "reload-engine", argv: reloadEngineArgv(probe), reason, expectLiveRestore: wantLiveRestore });
  const pending = probe.files.get(RESTART_PENDING);
  let why: string;
  if (current === wanted) {
    if (pending === undefined) return running === wantLiveRestore ? [] : [reload(`the engine runs with live-restore ${running ? "on" : "off"}, daemon.json says ${wantLiveRestore ? "on" : "off"}: reload`)];
    why = `daemon.json was written by a run that stopped before this engine's restart (${RESTART_PENDING} is left)`;
  } else {
    const diff = changedDaemonOptions(current, wanted);
    const needsRestart = !diff || diff.removed.length > 0 || diff.changed.some((k) => !RELOADABLE_DAEMON_OPTIONS.includes(k));
    const what = diff ? [...diff.changed, ...diff.removed].join(", ") : current === undefined ? "no daemon.json before" : "daemon.json was not a JSON object";
    // A pending restart stays due whatever this change is.
    if (!needsRestart && pending === undefined) return [reload(`daemon.json changed (${what}): all reloadable, no restart`)];
    why = `daemon.json changed (${what})`;
  }
  const restart = (reason: string, stopsContainers: boolean): BootstrapStep => ({ kind: "restart-engine", argv: RESTART_ENGINE_ARGV, reason, expectLiveRestore: wantLiveRestore, stopsContainers });
  if (!wantLiveRestore) return [restart(`${why}: restart the engine; live-restore is off, so the restart STOPS AND RESTARTS every container on ${host}`, true)];
  const keeps = `${why}: restart the engine (live-restore keeps containers up)`;
  if (running) return [restart(keeps, false)];
  return [reload(`the engine runs without live-restore: turn it on before the restart, which would otherwise stop every container on ${host}`), restart(keeps, false)];
}

/** daemon.json's live-restore (lading's files always set it; dockerd's default is off). */
function liveRestoreOf(daemon: string): boolean {
  try {
    return (JSON.parse(daemon) as Record<string, unknown>)["live-restore"] === true;
  } catch {
    return false;
  }
}

/** The argv that copies a staged file's bytes into `path` (keeping its inode) and removes the staged copy. */
export function copyInPlaceArgv(staged: string, path: string): string[] {
  return shScriptArgv("copy-in-place.sh", [staged, path]);
}

export async function runBootstrapStep(t: Transport, step: BootstrapStep, opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<void> {
  if (step.kind === "write" && !step.inPlace) return t.putFile(step.path, step.content, { mode: step.mode, owner: "root:root" });
  const argv = step.kind === "write" ? copyInPlaceArgv(`${step.path}.lading-new`, step.path) : step.argv;
  // Staged whole first, so a cut connection never leaves half a file in place.
  if (step.kind === "write") await t.putFile(`${step.path}.lading-new`, step.content, { mode: step.mode, owner: "root:root" });
  const r = await t.exec(argv, { become: true, timeoutMs: 900_000 });
  if (r.code !== 0) throw new HostError(t.host, `${step.kind === "write" ? `writing ${step.path}` : argv.slice(0, 3).join(" ")} failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-1)[0]}`);
  if (step.kind === "reload-engine" || step.kind === "restart-engine") await waitForLiveRestore(t, step.expectLiveRestore, step.kind, opts);
  if (step.kind === "restart-engine") {
    if (step.expectLiveRestore && !step.stopsContainers) {
      const resumed = await t.exec(RESUME_HEALTH_ARGV, { become: true, timeoutMs: 120_000 });
      if (resumed.code !== 0) throw new HostError(t.host, `the engine restarted, but resuming its containers' health checks failed (exit ${resumed.code}): ${resumed.stderr.trim().split("\n").slice(-1)[0]}`);
    }
    const rm = await t.exec(["rm", "-f", "--", RESTART_PENDING], { become: true });
    if (rm.code !== 0) throw new HostError(t.host, `the engine restarted, but removing ${RESTART_PENDING} failed (exit ${rm.code}): the next run restarts it again`);
  }
}

export const LIVE_RESTORE_ARGV = ["docker", "info", "--format", "{{.LiveRestoreEnabled}}"];

/**
 * Waits until the engine answers with the live-restore it should have. After a reload this is what makes the
 * next restart safe: if the engine does not report it on, the run stops before the restart would stop the containers.
 */
async function waitForLiveRestore(t: Transport, expected: boolean, after: "reload-engine" | "restart-engine", opts: { pollMs?: number; timeoutMs?: number }): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last = "no answer";
  for (;;) {
    const r = await t.exec(LIVE_RESTORE_ARGV, { become: true, timeoutMs: 15_000 });
    const answer = r.stdout.trim();
    if (r.code === 0 && answer === String(expected)) return;
    last = r.code === 0 ? `LiveRestoreEnabled=${answer}` : `docker info failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-1)[0]}`;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 500));
  }
  const what = after === "reload-engine" ? "after the reload" : "after the restart";
  throw new HostError(t.host, `${what}, the engine does not report live-restore ${expected ? "on" : "off"} (${last})${after === "reload-engine" && expected ? ": not restarting it, the restart would stop every container" : ""}`);
}

export async function probeHost(t: Transport, user: string, configDir: string): Promise<Probe> {
  const r = await t.exec(probeArgv(user, configDir), { become: true });
  if (r.code !== 0) throw new HostError(t.host, `probing the host failed (exit ${r.code})`);
  return parseProbe(r.stdout);
}
