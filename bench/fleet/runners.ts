// One timed run of each tool: wall time, controller CPU (the process and every child it waited for, from
// /usr/bin/time), peak RSS, the changes it reported, and its own count of SSH round trips per host.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { parseTime } from "./fleet-ssh.js";
import type { FleetHost } from "./workload.js";

export interface ToolRun {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  /** Steps (lading) or tasks (Ansible) reported as changed, over all hosts. */
  changed: number;
  /** Round trips per host as the tool counts them (lading's stats event; Ansible's ssh/sftp invocations). */
  roundTrips: Map<string, number>;
  /** Connections per host as the tool counts them, where it can (lading). */
  connections?: Map<string, number>;
}

const MAX_OUTPUT = 256 * 1024 * 1024;

function failure(what: string, r: ReturnType<typeof spawnSync>): Error {
  return new Error(`${what} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ""}):\n${String(r.stdout).slice(-3000)}\n${String(r.stderr).slice(-3000)}`);
}

/** `lading <command> -d DIR --json -f <forks> [extra]`, as a separate process. */
export function runLading(dir: string, command: string, forks: number, extra: string[] = [], nodeArgs: string[] = []): ToolRun {
  const argv = [...nodeArgs, join(packageRoot, "bin", "lading.js"), command, "-d", dir, "--json", "-f", String(forks), ...extra];
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S %M", process.execPath, ...argv], { encoding: "utf8", maxBuffer: MAX_OUTPUT, cwd: dir });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw failure(`lading ${command}`, r);
  const time = parseTime(r.stderr);
  let changed = 0;
  const roundTrips = new Map<string, number>();
  const connections = new Map<string, number>();
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const e = JSON.parse(line) as { type: string; hosts?: unknown };
    if (e.type === "recap") changed = (e.hosts as { changed: number }[]).reduce((a, h) => a + h.changed, 0);
    if (e.type === "stats") {
      for (const [host, s] of Object.entries(e.hosts as Record<string, { connections: number; execs: number }>)) {
        roundTrips.set(host, s.execs);
        connections.set(host, s.connections);
      }
    }
  }
  return { wallS, cpuS: time.cpuS, maxRssMb: time.maxRssMb, changed, roundTrips, connections };
}

export interface AnsibleSetup {
  /** The generated project (inventory.ini, fleet.yml, ansible.cfg, templates, group_vars). */
  dir: string;
  knownHosts: string;
  hosts: FleetHost[];
}

const ansibleDir = join(packageRoot, "bench", "ansible");

/**
 * `ansible-playbook fleet.yml` with a fresh SSH control directory (no master left from an earlier run), the
 * counting wrappers as ssh and sftp, and afterwards the multiplexing masters' CPU added and the masters ended.
 */
export function runAnsible(setup: AnsibleSetup, extraVars: Record<string, string> = {}): ToolRun {
  const controlDir = mkdtempSync(join(tmpdir(), "fleet-ansible-cp-"));
  const log = join(controlDir, "invocations.log");
  writeFileSync(log, "");
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: join(setup.dir, "ansible.cfg"),
    ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${setup.knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -F /dev/null`,
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    ANSIBLE_SSH_EXECUTABLE: join(ansibleDir, "ssh-counted"),
    ANSIBLE_SFTP_EXECUTABLE: join(ansibleDir, "sftp-counted"),
    ANSIBLE_NOCOLOR: "1",
    FLEET_SSH_LOG: log,
  };
  const vars = Object.entries(extraVars).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  try {
    const started = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S %M", "ansible-playbook", "-i", "inventory.ini", "fleet.yml", ...vars], { encoding: "utf8", maxBuffer: MAX_OUTPUT, cwd: setup.dir, env });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const masters = endControlMasters(controlDir);
    if (r.status !== 0) throw failure("ansible-playbook", r);
    const time = parseTime(r.stderr);
    let changed = 0;
    for (const m of r.stdout.matchAll(/^\S+\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
      changed += Number(m[1]);
      if (Number(m[2]) || Number(m[3])) throw failure("ansible-playbook (unreachable or failed hosts)", r);
    }
    return { wallS, cpuS: time.cpuS + masters.cpuS, maxRssMb: time.maxRssMb, changed, roundTrips: countInvocations(readFileSync(log, "utf8"), setup.hosts) };
  } finally {
    rmSync(controlDir, { recursive: true, force: true });
  }
}

/** ssh and sftp invocations per host, from the wrappers' log (the address is one argument, maybe in brackets). */
export function countInvocations(log: string, hosts: FleetHost[]): Map<string, number> {
  const counts = new Map(hosts.map((h) => [h.name, 0]));
  const byAddress = new Map(hosts.map((h) => [h.address, h.name]));
  for (const line of log.split("\n").filter(Boolean)) {
    for (const word of line.split(" ")) {
      const name = byAddress.get(word.replace(/^\[|\]$/g, ""));
      if (name) {
        counts.set(name, counts.get(name)! + 1);
        break;
      }
    }
  }
  return counts;
}

/**
 * The ControlPersist masters (`ssh: <dir>/... [mux]`) outlive ansible-playbook, so /usr/bin/time misses their
 * CPU: read it from /proc, then end them (they are this run's own processes, found by its own control dir).
 */
function endControlMasters(controlDir: string): { cpuS: number; count: number } {
  const ticks = 100; // CLK_TCK on Linux
  let cpuS = 0;
  let count = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline = "";
    let stat = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes(controlDir) || !cmdline.startsWith("ssh:")) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    cpuS += (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime (fields 14 and 15 of stat)
    count++;
    try {
      process.kill(Number(pid), "SIGTERM");
    } catch {
      // Gone already.
    }
  }
  return { cpuS, count };
}
