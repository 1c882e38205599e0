// Benchmark: the first deploy of examples/lab onto empty lab hosts (issue 13's targets), side by side with a
// floor in one run. Each run: wipe the hosts, `lading plan --json` then `lading deploy --json` (timed); wipe
// again, then the floor (timed): plain ssh and docker commands, no lading engine, starting the same containers
// with the same `docker run` argv (lading's renderer and command builders print them) and forming the same
// clusters, everything independent in parallel, every wait a tight poll on the host (0.2 s).
// From lading's --json events it also computes the run's critical path (see criticalPath below).
// Usage (lab lock held): flock /tmp/lading-lab.lock node dist/bench/first-deploy.js [--runs 2]
// Writes bench/results/first-deploy-<date>.json and prints a table.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { run as dockerRun, sha256, canonicalJson } from "../src/docker/commands.js";
import { databaseRegistrationSql, MYSQL_STDIN_ARGV } from "../src/apply/registrations.js";
import { labLayout } from "../src/lab/index.js";
import { loadProject, renderProject } from "../src/model/project.js";
import { packageRoot } from "../src/paths.js";
import { quoteArgv } from "../src/transport/quote.js";
import type { DesiredContainer, DesiredService, DesiredState } from "../src/render/desired.js";
import { criticalPath, type Analysis, type Event, type ScheduleEntry } from "./first-deploy/critical-path.js";

const { values: opt } = parseArgs({ options: { runs: { type: "string", default: "2" } } });
const runs = Number(opt.runs);
const HOSTS = ["lab1", "lab2", "lab3"];
const layout = labLayout();
const say = (s: string): void => void process.stderr.write(`${s}\n`);

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnIt(cmd: string, args: string[], stdin?: string | Buffer): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, CI: "true", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 255, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

const lading = (args: string[]): Promise<Exec> => spawnIt(process.execPath, [join(packageRoot, "bin", "lading.js"), ...args]);

// ---- ssh, as a careful human would use it: one multiplexed connection per host (ControlMaster) ----
const controlDir = mkdtempSync(join(tmpdir(), "lading-fd-ssh-"));
const addressOf = (h: string): string => `10.98.0.1${h.slice(3)}`;
function sshArgs(host: string): string[] {
  return [
    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${layout.knownHosts}`,
    "-o", "LogLevel=ERROR", "-o", "ControlMaster=no", "-o", `ControlPath=${controlDir}/%h`,
    "-i", layout.sshKey, `root@${addressOf(host)}`,
  ];
}
/** Opens the master connections (ssh -M -f: it forks once authenticated, its stdio detached from ours). */
async function openMasters(): Promise<void> {
  await Promise.all(HOSTS.map(async (h) => {
    const args = sshArgs(h).map((a) => (a === "ControlMaster=no" ? "ControlMaster=yes" : a));
    const code = await new Promise<number>((resolve) => spawn("ssh", ["-f", "-N", "-o", "ControlPersist=yes", ...args], { stdio: "ignore" }).on("exit", (c) => resolve(c ?? 255)));
    if (code !== 0) throw new Error(`ssh master to ${h}: exit ${code}`);
  }));
}
async function closeMasters(): Promise<void> {
  await Promise.all(HOSTS.map((h) => new Promise<void>((resolve) => spawn("ssh", ["-O", "exit", ...sshArgs(h)], { stdio: "ignore" }).on("exit", () => resolve()))));
}
/** Runs argv on the host (quoted once, by lading's quoting module); stdin optional. Throws on failure. */
async function ssh(host: string, argv: string[], stdin?: string | Buffer): Promise<string> {
  const r = await spawnIt("ssh", [...sshArgs(host), quoteArgv(argv)], stdin);
  if (r.code !== 0) throw new Error(`${host}: ${argv.slice(0, 3).join(" ")}...: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
/** A tight poll on the host itself: `cond` (a sh condition, its values as positional parameters) every 0.2 s. */
const poll = (host: string, cond: string, ...args: string[]): Promise<string> =>
  ssh(host, ["timeout", "600", "sh", "-c", `until ${cond}; do sleep 0.2; done`, "poll", ...args]);

async function wipe(): Promise<void> {
  // As test/e2e/deployment-fixture.ts resetLabHosts does (over ssh instead of the lab engine).
  await openMasters();
  const script = "docker ps -aq --filter label=lading.managed=true | xargs -r docker rm -f >/dev/null; docker volume ls -q | xargs -r docker volume rm -f >/dev/null; rm -rf /etc/lading";
  await Promise.all(HOSTS.map((h) => ssh(h, ["sh", "-c", script])));
  await closeMasters();
}

// ---- the floor ----
function serviceOn(state: DesiredState, host: string, name: string): DesiredService | undefined {
  return state.hosts.get(host)?.services.find((s) => s.name === name);
}
function containerOn(state: DesiredState, host: string, name: string): DesiredContainer {
  const c = serviceOn(state, host, name)?.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} on ${host}`);
  return c;
}
const configHashOf = (s: DesiredService | undefined): string => sha256(canonicalJson((s?.files ?? []).map((f) => [f.path, f.content]))).slice(0, 32);
const runOn = (state: DesiredState, host: string, name: string, bootstrap = false): Promise<string> =>
  ssh(host, dockerRun(containerOn(state, host, name), { configHash: configHashOf(serviceOn(state, host, name)), bootstrap }));

const galeraSynced = (host: string, size: number): Promise<string> =>
  poll(host, `[ "$(echo "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_size','wsrep_cluster_status')" | docker exec -i mariadb mysql -N 2>/dev/null | sort | tr '\\n\\t' '  ')" = "wsrep_cluster_size $1 wsrep_cluster_status Primary wsrep_local_state_comment Synced " ]`, String(size));
const rabbitRunning = (host: string, n: number): Promise<string> =>
  poll(host, `[ "$(docker exec rabbitmq rabbitmqctl --quiet cluster_status --formatter json 2>/dev/null | tr -d ' \\n' | grep -o '"running_nodes":\\[[^]]*\\]' | grep -o 'rabbit@' | wc -l)" -ge "$1" ]`, String(n));
const inContainer = (host: string, container: string, argv: string[]): Promise<string> =>
  poll(host, `docker exec "$1" ${quoteArgv(argv)} >/dev/null 2>&1`, container);

interface FloorTimes {
  wallMs: number;
  phases: Record<string, number>;
}

async function floor(state: DesiredState, configDir: string, secrets: Record<string, unknown>): Promise<FloorTimes> {
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const mark = (name: string): void => void (phases[name] = Date.now() - t0);
  await openMasters(); // connecting is part of the floor, as it is of lading's run
  mark("connected");
  // Config files: one tar over ssh per host, then the owners lading sets (local files are owned by root:root).
  await Promise.all(HOSTS.map(async (h) => {
    const tar = await spawnTar(join(configDir, h));
    const chowns = [...state.hosts.get(h)!.services.flatMap((s) => s.files)].filter((f) => f.owner !== "root").flatMap((f) => ["chown", f.owner, f.path, "&&"]);
    await ssh(h, ["sh", "-c", `tar -x --no-overwrite-dir -C / && ${chowns.join(" ")} true`], tar);
  }));
  mark("config copied");
  const [first, ...others] = HOSTS as [string, ...string[]];
  const galera = (async () => {
    await runOn(state, first, "mariadb", true);
    await galeraSynced(first, 1);
    let size = 1;
    for (const h of others) {
      await runOn(state, h, "mariadb");
      await galeraSynced(h, ++size);
    }
    mark("galera formed");
    // As lading does: the bootstrap node leaves the bootstrap command.
    const c = containerOn(state, first, "mariadb");
    await ssh(first, ["sh", "-c", `docker stop --time "$1" mariadb >/dev/null && docker rm mariadb >/dev/null && ${quoteArgv(dockerRun(c, { configHash: configHashOf(serviceOn(state, first, "mariadb")) }))}`, "sh", String(c.stopTimeout ?? 60)]);
    await galeraSynced(first, HOSTS.length);
    mark("galera bootstrap node re-created");
  })();
  const rabbit = (async () => {
    let n = 0;
    for (const h of HOSTS) {
      await runOn(state, h, "rabbitmq");
      await rabbitRunning(h, ++n);
    }
    mark("rabbitmq formed");
  })();
  const rest = Promise.all(HOSTS.map(async (h) => {
    await Promise.all(["haproxy", "keepalived", "memcached"].map((n) => runOn(state, h, n)));
    const a = addressOf(h);
    await Promise.all([
      inContainer(h, "haproxy", ["lading-haproxy-check"]),
      inContainer(h, "keepalived", ["sh", "-c", 'test "$(cat /proc/1/comm)" = keepalived']),
      inContainer(h, "memcached", ["lading-memcached-check", a, "11211"]),
    ]);
  })).then(() => mark("haproxy, keepalived, memcached up"));
  // Registrations on the first member of each cluster once it has formed, as lading's registrations do.
  const webapp = serviceOn(state, first, "webapp")!;
  const secret = (name: string): string => String(secrets[name] ?? "");
  const db = galera.then(async () => {
    await ssh(first, ["docker", "exec", "--interactive", "mariadb", ...MYSQL_STDIN_ARGV], databaseRegistrationSql(webapp.database!.name, webapp.database!.user, secret(webapp.database!.passwordSecret)));
    mark("database registered");
  });
  const mq = rabbit.then(async () => {
    const m = webapp.messaging!;
    const ctl = ["docker", "exec", "rabbitmq", "rabbitmqctl", "--quiet"];
    await ssh(first, [...ctl, "add_vhost", m.vhost]);
    await ssh(first, ["docker", "exec", "--interactive", "rabbitmq", "rabbitmqctl", "--quiet", "add_user", m.user], `${secret(m.passwordSecret)}\n`);
    await ssh(first, [...ctl, "set_permissions", "-p", m.vhost, m.user, ".*", ".*", ".*"]);
    mark("queue user registered");
  });
  await Promise.all([db, mq, rest]);
  await Promise.all(HOSTS.map(async (h) => {
    await runOn(state, h, "webapp");
    await inContainer(h, "webapp", ["curl", "-fsS", "-o", "/dev/null", `http://${addressOf(h)}:8080/health`]);
  }));
  mark("webapp up");
  return { wallMs: Date.now() - t0, phases };
}

function spawnTar(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", ["-c", "-C", dir, ...readdirSync(dir)], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar exit ${code}`))));
  });
}

// ---- main ----
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lading-fd-"));
  cpSync(join(packageRoot, "examples", "lab"), dir, { recursive: true });
  const gen = await lading(["genpwd", "-d", dir]);
  if (gen.code !== 0) throw new Error(`genpwd: ${gen.stderr}`);
  const configDir = join(dir, ".rendered");
  const gc = await lading(["genconfig", "-d", dir, "--local", configDir]);
  if (gc.code !== 0) throw new Error(`genconfig --local: ${gc.stderr}`);
  const project = loadProject({ dir });
  const state = renderProject(project);
  const ladingRuns: { wallMs: number; analysis: Analysis; events: Event[] }[] = [];
  const floorRuns: FloorTimes[] = [];
  for (let i = 0; i < runs; i++) {
    say(`run ${i + 1}/${runs}: wiping the hosts`);
    await wipe();
    const plan = await lading(["plan", "-d", dir, "--json"]);
    if (plan.code !== 2) throw new Error(`plan: exit ${plan.code}\n${plan.stdout}\n${plan.stderr}`);
    const detail = plan.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; plan?: { schedule?: { services: ScheduleEntry[] } } }).find((e) => e.type === "plan-detail");
    const schedule = detail?.plan?.schedule?.services;
    if (!schedule) throw new Error("plan --json gave no plan-detail with plan.schedule");
    say(`run ${i + 1}/${runs}: lading deploy`);
    const started = Date.now();
    const dep = await lading(["deploy", "-d", dir, "--json"]);
    const wallMs = Date.now() - started;
    if (dep.code !== 0) throw new Error(`deploy: exit ${dep.code}\n${dep.stdout.slice(-3000)}\n${dep.stderr}`);
    const events = dep.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Event);
    const analysis = criticalPath(events, schedule);
    ladingRuns.push({ wallMs, analysis, events });
    say(`  lading ${(wallMs / 1000).toFixed(1)} s, critical path ${(analysis.criticalPathMs / 1000).toFixed(1)} s (${analysis.criticalChain.join(" -> ")})`);
    say(`run ${i + 1}/${runs}: wiping the hosts, then the floor`);
    await wipe();
    const f = await floor(state, configDir, project.secrets as Record<string, unknown>);
    await closeMasters();
    floorRuns.push(f);
    say(`  floor ${(f.wallMs / 1000).toFixed(1)} s ${JSON.stringify(f.phases)}`);
  }
  // Leave empty hosts, not the floor's containers (every e2e process wipes and deploys at its start anyway).
  say("wiping the hosts");
  await wipe();
  const wall = median(ladingRuns.map((r) => r.wallMs));
  const cp = median(ladingRuns.map((r) => r.analysis.criticalPathMs));
  const fl = median(floorRuns.map((r) => r.wallMs));
  const summary = {
    runs,
    ladingWallMs: wall,
    criticalPathMs: cp,
    wallOverCriticalPath: wall / cp,
    floorWallMs: fl,
    deployOverFloor: wall / fl,
    targets: { wallOverCriticalPath: 1.15, deployOverFloor: 1.3 },
  };
  const date = new Date().toISOString().slice(0, 10);
  const resultsDir = join(packageRoot, "bench", "results");
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `first-deploy-${date}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), summary, lading: ladingRuns, floor: floorRuns }, null, 2)}\n`);
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(`first deploy of examples/lab on 3 empty lab hosts, ${runs} runs (median)\n`);
  process.stdout.write(`  lading deploy     ${s(wall)}\n  critical path     ${s(cp)}   wall / critical path ${(wall / cp).toFixed(2)} (target <= 1.15)\n`);
  process.stdout.write(`  floor (ssh+docker) ${s(fl)}   deploy / floor ${(wall / fl).toFixed(2)} (target <= 1.3)\n`);
  const last = ladingRuns.at(-1)!.analysis;
  process.stdout.write(`  last run: before the first batch ${s(last.runStartToFirstBatchMs)}; chain ${last.criticalChain.join(" -> ")}\n`);
  for (const sv of last.services) process.stdout.write(`    ${sv.service.padEnd(11)} ${sv.batches.map((b) => `${b.kind}[${b.hosts.join(",")}] ${s(b.ms)}`).join(", ")}\n`);
  process.stdout.write(`  written ${file}\n`);
  rmSync(controlDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
