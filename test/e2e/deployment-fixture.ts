// The shared end-to-end deployment: examples/lab copied to a temp folder, secrets generated, and deployed
// once per test process onto the shared lab. Every e2e file that needs a running cluster reuses it.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labExec, type LabState } from "../../src/lab/index.js";
import { packageRoot } from "../../src/paths.js";
import { ensureLab, sshRun } from "./lab-fixture.js";

export const VIP = "10.98.0.100";
export const LAB_HOSTS = ["lab1", "lab2", "lab3"];
export const LAB_ADDRESSES: Record<string, string> = { lab1: "10.98.0.11", lab2: "10.98.0.12", lab3: "10.98.0.13" };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A --json event line of lading's output. */
export type LiveEvent = Record<string, unknown> & { type: string };

/**
 * Runs the real CLI (bin/lading.js) as a child process, as a user would. `onEvent` sees every JSON event line
 * as it arrives (with --json), with the child, to act mid-run (stop it, kill it).
 */
export function lading(args: string[], opts: { cwd?: string; env?: Record<string, string>; onEvent?: (e: LiveEvent, child: ChildProcess) => void } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot, "bin", "lading.js"), ...args], {
      cwd: opts.cwd ?? packageRoot,
      env: { ...process.env, CI: "true", NO_COLOR: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (process.env.LADING_E2E_VERBOSE) process.stderr.write(`    | ${d}`);
      if (!opts.onEvent) return;
      const lines = (partial + d).split("\n");
      partial = lines.pop()!;
      for (const l of lines.filter((x) => x.startsWith("{"))) {
        let e: LiveEvent;
        try {
          e = JSON.parse(l) as LiveEvent;
        } catch {
          continue; // not an event line
        }
        opts.onEvent(e, child);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 255, stdout, stderr }));
  });
}

export interface Deployment {
  dir: string;
  lab: LabState;
  /** `plan --json` on the empty hosts, just before the first deploy. */
  firstPlan: CliResult;
  /** The first deploy, with --json. */
  firstDeploy: CliResult;
}

let pending: Promise<Deployment> | undefined;

/**
 * The lab, with examples/lab deployed on it (once per process), and its clusters settled: a test file that
 * follows one which stopped or cut hosts starts from a whole cluster, not from one still rejoining.
 */
export async function ensureDeployed(): Promise<Deployment> {
  const d = await deployOnce();
  // A test that destroyed the deployment (destroy --all) leaves hosts without lading's containers: deploy again.
  const counts = await Promise.all(LAB_HOSTS.map((h) => onHost(d, h, "docker ps -aq --filter label=lading.managed=true | wc -l")));
  if (counts.some((c) => c.trim() === "0")) {
    const again = await lading(["deploy", "-d", d.dir]);
    if (again.code !== 0) throw new Error(`deploy after a destroy failed (exit ${again.code}):\n${again.stdout}\n${again.stderr}`);
  }
  // Once the clusters failed to settle, the files after it wait one minute, not five each: a cluster that
  // stays broken fails every later file quickly instead of holding CI for an hour.
  try {
    await clustersSettled(d, unsettled ? 60_000 : 300_000);
  } catch (err) {
    unsettled = true;
    throw err;
  }
  unsettled = false;
  return d;
}

let unsettled = false;

function deployOnce(): Promise<Deployment> {
  pending ??= (async () => {
    const lab = await ensureLab();
    await resetLabHosts();
    const dir = mkdtempSync(join(tmpdir(), "lading-e2e-"));
    cpSync(join(packageRoot, "examples", "lab"), dir, { recursive: true });
    const gen = await lading(["genpwd", "-d", dir]);
    if (gen.code !== 0) throw new Error(`genpwd failed: ${gen.stderr}`);
    // The plan of empty hosts, then the deploy's events: a test compares the schedule with what the run did.
    const firstPlan = await lading(["plan", "-d", dir, "--json"]);
    if (firstPlan.code !== 2) throw new Error(`plan on empty hosts: exit ${firstPlan.code}, not 2:\n${firstPlan.stdout}\n${firstPlan.stderr}`);
    const firstDeploy = await lading(["deploy", "-d", dir, "--json"]);
    if (firstDeploy.code !== 0) throw new Error(`deploy failed (exit ${firstDeploy.code}):\n${firstDeploy.stdout}\n${firstDeploy.stderr}`);
    return { dir, lab, firstPlan, firstDeploy };
  })();
  return pending;
}

/**
 * Removes what an earlier test process deployed (lading's containers, volumes and config), through the lab
 * engine, so that every test process deploys onto empty hosts. Lab hosts keep their image stores.
 */
export async function resetLabHosts(): Promise<void> {
  const script = [
    "docker ps -aq --filter label=lading.managed=true | xargs -r docker rm -f >/dev/null",
    "docker volume ls -q | xargs -r docker volume rm -f >/dev/null",
    "rm -rf /etc/lading",
  ].join("; ");
  await Promise.all(LAB_HOSTS.map(async (h) => {
    const r = await labExec(h, ["sh", "-c", script]);
    if (r.code !== 0) throw new Error(`cleaning ${h}: ${r.stderr}`);
  }));
}

/** Runs a fixed command on a lab host over real SSH (host key verified). */
export async function onHost(d: Deployment, host: string, command: string): Promise<string> {
  const r = await sshRun(d.lab, LAB_ADDRESSES[host]!, command);
  if (r.code !== 0) throw new Error(`${host}: ${command}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Watches every stop of `container` on the lab hosts from now on: `stop()` gives the exit code of each, per host
 * (0 for a process that stopped on SIGTERM, 137 for one `docker stop` killed after its timeout). A streaming
 * `docker events` on each host: asking for past events later would miss some, since the engine keeps only its
 * last 256 events and the healthchecks' execs fill them within minutes.
 */
export async function watchExitCodes(d: Deployment, container: string): Promise<{ stop: () => Promise<Record<string, number[]>> }> {
  const file = `/tmp/lading-e2e-exits-${container}`;
  for (const h of LAB_HOSTS) {
    await onHost(d, h, `rm -f ${file}; setsid docker events --filter container=${container} --filter event=die --format '{{.Actor.Attributes.exitCode}}' > ${file} 2>&1 < /dev/null & echo $! > ${file}.pid`);
  }
  return {
    stop: async () => {
      const out: Record<string, number[]> = {};
      for (const h of LAB_HOSTS) {
        const text = await onHost(d, h, `kill "$(cat ${file}.pid)"; cat ${file}; rm -f ${file} ${file}.pid`);
        out[h] = text.trim().split("\n").filter(Boolean).map(Number);
      }
      return out;
    },
  };
}

/** StartedAt of every lading container on every lab host, to tell whether anything restarted. */
export async function startTimes(d: Deployment, hosts: string[] = LAB_HOSTS): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of hosts) {
    const text = await onHost(d, h, "docker ps -q --filter label=lading.managed=true | xargs -r docker inspect --format '{{.Name}} {{.State.StartedAt}}'");
    for (const line of text.trim().split("\n").filter(Boolean)) {
      const [name, started] = line.split(" ");
      out[`${h}${name}`] = started!;
    }
  }
  return out;
}

/** Polls until fn returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Waits until every Galera node is Synced in a Primary component of 3 and RabbitMQ runs 3 nodes with no
 * partition, on every host. On a timeout the error gives every host's last state and the lines of each
 * RabbitMQ node's log about its peers going down or partitions, so that a CI log says which node left and why.
 */
export async function clustersSettled(d: Deployment, ms = 300_000): Promise<void> {
  const states = new Map<string, string>();
  try {
    await eventually("Galera and RabbitMQ clusters of 3 on every host", ms, async () => {
      const settled = await Promise.all(
        LAB_HOSTS.map(async (h) => {
          const r = await sshRun(d.lab, LAB_ADDRESSES[h]!, `docker exec mariadb mysql -N -B -e "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_status','wsrep_cluster_size')"; docker exec rabbitmq rabbitmqctl --quiet cluster_status --formatter json`);
          const galera = new Map([...r.stdout.matchAll(/^(wsrep_\w+)\t(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
          const running = /"running_nodes":\[([^\]]*)\]/.exec(r.stdout)?.[1]?.split(",").filter(Boolean) ?? [];
          const partitions = /"partitions":(\{[^}]*\}|\[[^\]]*\])/.exec(r.stdout)?.[1] ?? "?";
          const [state, status, size] = ["wsrep_local_state_comment", "wsrep_cluster_status", "wsrep_cluster_size"].map((k) => galera.get(k));
          states.set(h, `galera ${state ?? "?"} ${status ?? "?"} size ${size ?? "?"}, rabbitmq running ${running.join(",") || "none"}, partitions ${partitions}`);
          return size === "3" && status === "Primary" && state === "Synced" && running.length === 3 && (partitions === "{}" || partitions === "[]");
        }),
      );
      return settled.every(Boolean) ? true : undefined;
    });
  } catch (err) {
    const logs = await Promise.all(
      LAB_HOSTS.map(async (h) => {
        const r = await sshRun(d.lab, LAB_ADDRESSES[h]!, "docker logs --since 30m rabbitmq 2>&1 | grep -iE 'partition|inconsistent|down|paus|not responding|autoheal' | tail -n 15");
        return `--- ${h}: rabbitmq log (peers down, partitions)\n${r.stdout}`;
      }),
    );
    throw new Error(`${String(err)} (${[...states].map(([h, s]) => `${h}: ${s}`).join("; ")})\n${logs.join("\n")}`);
  }
}

/**
 * Sets `key: value` in the deployment's globals.yml, replacing an earlier line of the same key (tests of one
 * process share the deployment: a key another test set must not appear twice, which YAML refuses).
 */
export function setGlobal(d: Deployment, key: string, value: string): void {
  const file = join(d.dir, "globals.yml");
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => !l.startsWith(`${key}:`));
  writeFileSync(file, `${lines.join("\n").trimEnd()}\n${key}: ${value}\n`);
}
