// Scale benchmark (issue 20): how the controller's cost grows with the number of hosts, from one machine.
// N inventory hosts on distinct 127.10.x.y addresses, all served by ONE OpenSSH sshd that this bench starts
// with its own config, host key and authorized key in a temp dir (MaxStartups left at its default 10:30:100,
// so that lading's handshake bound, not a raised limit, is what keeps connections from being dropped).
// Every host is backed by the same Docker engine (the lab's, /run/lading-lab/docker.sock) and the same files:
// sshd runs in a private mount namespace (unshare --mount) where a tmpfs over /run holds /run/sshd and the lab
// engine's socket bind-mounted at /run/docker.sock (= /var/run/docker.sock, where the facts script asks),
// so nothing outside the bench sees a socket there, and no second engine is needed. The containers are named
// scalebench-* (no clash with lab1..lab3) and removed at the end; the lab hosts are never touched.
//
// Per N: loading+validating+rendering N x 10 services (in-process child), `plan`, a no-op `reconfigure`, and
// the floor next to it (ssh2: connect + `true` per host, with lading's concurrency), and at the sizes given by
// --change-at a config change of one service on every host (see README: the hosts share one state file).
// Usage: node dist/bench/scale.js [--hosts 100,1000] [--forks 10] [--out FILE] [--lading-node-args "..."]
// Root; hold the lab lock for 1000 hosts and more (flock /tmp/lading-lab.lock node dist/bench/scale.js ...).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadProject, renderProject } from "../src/model/project.js";
import { packageRoot } from "../src/paths.js";
import { DEFAULT_FORKS, DEFAULT_MAX_HANDSHAKES } from "../src/transport/index.js";
import { CONTAINER_PREFIX, scaleHost, SERVICE_IMAGE, writeRenderWorkload, writeSshGlobals, writeSshWorkload, type ScaleHost } from "./scale/workload.js";

const LAB_ENGINE = "/run/lading-lab/docker.sock";
const say = (s: string): void => void process.stderr.write(`[scale] ${s}\n`);

if (process.argv[2] === "--render-child") {
  // Loading, validating and rendering alone, in this process: prints the time, CPU and peak RSS.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const project = loadProject({ dir: process.argv[3]! });
  const desired = renderProject(project, {});
  const cpu = process.cpuUsage(cpu0);
  const files = [...desired.hosts.values()].reduce((a, h) => a + h.services.reduce((b, s) => b + s.files.length, 0), 0);
  process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, hosts: desired.hosts.size, files })}\n`);
  process.exit(0);
}

const { values: opt } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    // Sizes that are only loaded, validated and rendered (no SSH).
    "render-only": { type: "string", default: "" },
    // Sizes at which only the no-op reconfigure runs over SSH (no plan, no floor): for the largest fleets.
    "noop-only": { type: "string", default: "" },
    forks: { type: "string", default: String(DEFAULT_FORKS) },
    "change-at": { type: "string", default: "" },
    "lading-node-args": { type: "string", default: "" },
    // Extra options of every lading run, e.g. --lading-args="--max-handshakes 100" to see what sshd drops without the bound.
    "lading-args": { type: "string", default: "" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
    // openssh (default): one sshd; ssh2: bench/scale/ssh2-server.ts (for 5000 hosts: sshd needs ~4 MB per open connection).
    server: { type: "string", default: "openssh" },
  },
});
const renderOnly = new Set(opt["render-only"]!.split(",").filter(Boolean).map(Number));
const noopOnly = new Set(opt["noop-only"]!.split(",").filter(Boolean).map(Number));
const sizes = [...new Set([...opt.hosts!.split(",").map(Number), ...renderOnly, ...noopOnly])].sort((a, b) => a - b);
const forks = Number(opt.forks);
const changeAt = new Set(opt["change-at"]!.split(",").filter(Boolean).map(Number));
const nodeArgs = opt["lading-node-args"]!.split(" ").filter(Boolean);
const ladingArgs = opt["lading-args"]!.split(" ").filter(Boolean);

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}
const docker = (...args: string[]): string => run("docker", ["-H", `unix://${LAB_ENGINE}`, ...args]);

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Sshd {
  port: number;
  key: string;
  hostPublic: string;
  process: ChildProcess;
  log: string;
}

async function startSshd(work: string): Promise<Sshd> {
  const port = await freePort();
  const hostKey = join(work, "ssh_host_ed25519_key");
  const key = join(work, "id_ed25519");
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  writeFileSync(join(work, "authorized_keys"), readFileSync(`${key}.pub`));
  const config = join(work, "sshd_config");
  // 0.0.0.0: sshd takes at most 16 ListenAddress lines, and a connection to any 127.x arrives on lo; only
  // loopback clients are let in (AllowUsers), with the bench's key only.
  writeFileSync(config, [
    "ListenAddress 0.0.0.0", `Port ${port}`, `HostKey ${hostKey}`, `PidFile ${join(work, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(work, "authorized_keys")}`, "AllowUsers root@127.0.0.0/8", "StrictModes no",
    "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
    "UseDNS no", "LogLevel INFO", "MaxSessions 16", "",
  ].join("\n"));
  const labRun = join(work, "lab-run");
  mkdirSync(labRun);
  const log = join(work, "sshd.log");
  const script = [
    "set -e",
    `mount --bind /run/lading-lab "${labRun}"`,
    "mount -t tmpfs -o mode=0755 tmpfs /run",
    "mkdir -p /run/sshd && touch /run/docker.sock",
    `mount --bind "${labRun}/docker.sock" /run/docker.sock`,
    opt.server === "ssh2"
      ? `exec "${process.execPath}" "${join(packageRoot, "dist", "bench", "scale", "ssh2-server.js")}" "${hostKey}" "${key}.pub" ${port} 2>>"${log}"`
      : `exec /usr/sbin/sshd -D -e -f "${config}" 2>>"${log}"`,
  ].join("\n");
  const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const r = spawnSync("ssh", ["-q", "-p", String(port), "-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "root@127.10.0.1", "test -S /var/run/docker.sock"], { encoding: "utf8" });
    if (r.status === 0) return { port, key, hostPublic: readFileSync(`${hostKey}.pub`, "utf8").trim(), process: child, log };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`sshd did not come up on port ${port}: ${readFileSync(log, "utf8").slice(-2000)}`);
}

/** Connections sshd dropped past MaxStartups so far (it logs each one at LogLevel INFO). */
function sshdDrops(sshd: Sshd): number {
  try {
    return (readFileSync(sshd.log, "utf8").match(/past MaxStartups/g) ?? []).length;
  } catch {
    return 0;
  }
}

function writeKnownHosts(file: string, hosts: readonly ScaleHost[], sshd: Sshd): void {
  const [type, base64] = sshd.hostPublic.split(" ");
  writeFileSync(file, hosts.map((h) => `[${h.address}]:${sshd.port} ${type} ${base64}\n`).join(""));
}

interface Phases {
  /** Process start to the run-start event: Node.js start, loading, validating, rendering. */
  renderMs: number;
  /** To the last connect event: the SSH handshakes. */
  connectMs: number;
  /** To the last facts event: the facts round trips. */
  factsMs: number;
  /** To the recap: planning, applying, output. */
  planMs: number;
  /** Recap to exit: closing the connections. */
  closeMs: number;
}

interface LadingRun {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  changed: number;
  exit: number;
  phases: Phases;
  connections: number;
  execsPerHost: number;
  lost: number;
  handshakesPerS: number;
}

/** `lading <command> --json` under /usr/bin/time; every event line stamped when it arrives. */
async function runLading(dir: string, command: string, hosts: number, extra: string[] = []): Promise<LadingRun> {
  const argv = ["-f", "TIME %U %S %M", process.execPath, ...nodeArgs, join(packageRoot, "bin", "lading.js"), command, "-d", dir, "--json", "-f", String(forks), ...ladingArgs, ...extra];
  const t0 = performance.now();
  const child = spawn("/usr/bin/time", argv, { stdio: ["ignore", "pipe", "pipe"] });
  const stamps = { runStart: 0, lastConnect: 0, lastFacts: 0, recap: 0, last: 0 };
  let changed = 0;
  let lost = 0;
  let connections = 0;
  let execs = 0;
  let buffer = "";
  let stderr = "";
  const lastLines: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      lastLines.push(line);
      if (lastLines.length > 5) lastLines.shift();
      const now = performance.now() - t0;
      const e = JSON.parse(line) as { type: string; ok?: boolean; hosts?: unknown };
      if (e.type !== "stats") stamps.last = now;
      if (e.type === "run-start") stamps.runStart = now;
      if (e.type === "connect") {
        stamps.lastConnect = now;
        if (e.ok === false) lost += 1;
      }
      if (e.type === "facts") stamps.lastFacts = now;
      if (e.type === "recap") {
        stamps.recap = now;
        changed = (e.hosts as { changed: number }[]).reduce((a, h) => a + h.changed, 0);
      }
      if (e.type === "stats") {
        for (const s of Object.values(e.hosts as Record<string, { connections: number; execs: number }>)) {
          connections += s.connections;
          execs += s.execs;
        }
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
  const exit = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  const wallMs = performance.now() - t0;
  const time = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (!time) throw new Error(`lading ${command}: no timing (exit ${exit}): ${stderr.slice(-3000)}`);
  // A failed run is reported (exit code, hosts lost), not thrown: the other sizes still run.
  if (exit !== 0 && exit !== 2) say(`lading ${command} failed (exit ${exit}): ${stderr.slice(-1500)} ${lastLines.join(" | ").slice(-1500)}`);
  const lastFacts = stamps.lastFacts || stamps.lastConnect;
  stamps.recap ||= stamps.last; // plan ends with its plan, not a recap
  const phases: Phases = {
    renderMs: stamps.runStart,
    connectMs: stamps.lastConnect - stamps.runStart,
    factsMs: lastFacts - stamps.lastConnect,
    planMs: stamps.recap - lastFacts,
    closeMs: wallMs - stamps.recap,
  };
  return {
    wallS: wallMs / 1000,
    cpuS: Number(time[1]) + Number(time[2]),
    maxRssMb: Number(time[3]) / 1024,
    changed,
    exit,
    phases,
    connections,
    execsPerHost: execs / hosts,
    lost,
    handshakesPerS: hosts / Math.max(0.001, (stamps.lastConnect - stamps.runStart) / 1000),
  };
}

interface FloorRun {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  failed: number;
  handshakesPerS: number;
}

function runFloor(sshd: Sshd, knownHosts: string, hosts: readonly ScaleHost[]): FloorRun {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S %M", process.execPath, join(packageRoot, "dist", "bench", "scale", "floor.js"), sshd.key, knownHosts, String(sshd.port), String(forks), String(DEFAULT_MAX_HANDSHAKES), ...hosts.map((h) => h.address)], { encoding: "utf8", maxBuffer: 1 << 26 });
  const wallS = (performance.now() - t0) / 1000;
  const time = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !time) throw new Error(`floor failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const answer = JSON.parse(r.stdout) as { ok: number; failed: number; firstError?: string; handshakeMs: number };
  if (answer.failed) say(`floor: ${answer.failed} host(s) failed, first: ${answer.firstError}`);
  return { wallS, cpuS: Number(time[1]) + Number(time[2]), maxRssMb: Number(time[3]) / 1024, failed: answer.failed, handshakesPerS: hosts.length / Math.max(0.001, answer.handshakeMs / 1000) };
}

function runRender(dir: string): { wallMs: number; cpuMs: number; maxRssMb: number; hosts: number; files: number } {
  const r = spawnSync(process.execPath, [join(packageRoot, "dist", "bench", "scale.js"), "--render-child", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`render failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as { wallMs: number; cpuMs: number; maxRssMb: number; hosts: number; files: number };
}

function removeContainers(): void {
  const names = docker("ps", "-a", "--filter", `name=^${CONTAINER_PREFIX}`, "--format", "{{.Names}}").split("\n").filter((n) => n.startsWith(CONTAINER_PREFIX));
  if (names.length) docker("rm", "-f", ...names);
}

function ensureImage(): void {
  const have = spawnSync("docker", ["-H", `unix://${LAB_ENGINE}`, "image", "inspect", SERVICE_IMAGE], { stdio: "ignore" });
  if (have.status === 0) return;
  say(`building ${SERVICE_IMAGE} on the lab engine (from lading-lab/debian:bookworm, which the lab has)`);
  docker("build", "-q", "-t", SERVICE_IMAGE, join(packageRoot, "lab", "bench-images", "fleetsvc"));
}

type SizeResult = Record<string, unknown>;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root (sshd, unshare, mount)");
  ensureImage();
  const work = mkdtempSync(join(tmpdir(), "scale-bench-"));
  const configDir = join(work, "etc");
  const sshd = await startSshd(work);
  say(`sshd on port ${sshd.port} (work dir ${work})`);
  const results: SizeResult[] = [];
  try {
    removeContainers();
    // The state every host shares: deployed once through the first host.
    const seedDir = join(work, "seed");
    const seedHosts = [scaleHost(0)];
    writeKnownHosts(join(work, "known_hosts.seed"), seedHosts, sshd);
    writeSshWorkload(seedDir, seedHosts, { port: sshd.port, key: sshd.key, knownHosts: join(work, "known_hosts.seed") }, configDir);
    const seed = await runLading(seedDir, "deploy", 1);
    say(`seeded the shared state through h00001: ${seed.changed} step(s) in ${seed.wallS.toFixed(1)} s`);

    for (const n of sizes) {
      const hosts = Array.from({ length: n }, (_, i) => scaleHost(i));
      const dir = join(work, `n${n}`);
      const knownHosts = join(work, `known_hosts.${n}`);
      writeKnownHosts(knownHosts, hosts, sshd);
      writeSshWorkload(dir, hosts, { port: sshd.port, key: sshd.key, knownHosts }, configDir);
      const renderDir = join(work, `render${n}`);
      writeRenderWorkload(renderDir, hosts);

      const render = runRender(renderDir);
      say(`N=${n} render ${render.hosts} hosts x 10 services (${render.files} files): ${render.wallMs.toFixed(0)} ms, ${render.cpuMs.toFixed(0)} ms CPU, ${render.maxRssMb.toFixed(0)} MB`);
      if (renderOnly.has(n)) {
        results.push({ hosts: n, render, plan: "not run at this size", noop: "not run at this size", floor: undefined, change: "not run at this size" });
        continue;
      }
      const drops0 = sshdDrops(sshd);
      const plan = noopOnly.has(n) ? "not run at this size" : await runLading(dir, "plan", n);
      say(`N=${n} plan: ${JSON.stringify(plan)}`);
      const noop = await runLading(dir, "reconfigure", n);
      say(`N=${n} no-op reconfigure: ${JSON.stringify(noop)}`);
      const drops1 = sshdDrops(sshd);
      const floor = noopOnly.has(n) ? undefined : runFloor(sshd, knownHosts, hosts);
      say(`N=${n} floor: ${JSON.stringify(floor)}`);
      const drops2 = sshdDrops(sshd);
      say(`N=${n} sshd dropped ${drops1 - drops0} connection(s) past MaxStartups during lading's runs, ${drops2 - drops1} during the floor's`);
      let change: LadingRun | string = "not run at this size";
      if (changeAt.has(n)) {
        writeSshGlobals(dir, configDir, { scale1: 2 });
        change = await runLading(dir, "reconfigure", n, ["-s", "scale1"]);
        say(`N=${n} change: ${JSON.stringify(change)}`);
        writeSshGlobals(dir, configDir, {});
        await runLading(seedDir, "reconfigure", 1); // back to generation 1 for the next size
      }
      results.push({ hosts: n, forks, maxHandshakes: DEFAULT_MAX_HANDSHAKES, render, plan, noop, floor, change, sshdDropsLading: drops1 - drops0, sshdDropsFloor: drops2 - drops1 });
    }
  } finally {
    if (!opt.keep) {
      sshd.process.kill("SIGTERM");
      removeContainers();
      rmSync(work, { recursive: true, force: true });
    } else {
      sshd.process.unref();
      say(`kept ${work}, the containers, and sshd (unshare pid ${sshd.process.pid}, port ${sshd.port})`);
    }
  }
  report(results);
}

function report(results: SizeResult[]): void {
  const rows = [
    `lading on N hosts (distinct inventory entries, one ${opt.server === "ssh2" ? "ssh2.Server process" : "OpenSSH sshd"} on loopback, one engine), --forks ${forks}, --max-handshakes ${DEFAULT_MAX_HANDSHAKES}; floor: ssh2 connect + \`true\` per host with the same bounds.`,
    "",
    "| N | run | wall s | CPU s | peak RSS MB | CPU ms/host | RSS KB/host | handshakes/s | render/connect/facts/plan/close s | lost |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const r of results) {
    const n = r.hosts as number;
    const render = r.render as { wallMs: number; cpuMs: number; maxRssMb: number };
    rows.push(`| ${n} | load+validate+render, 10 services | ${(render.wallMs / 1000).toFixed(2)} | ${(render.cpuMs / 1000).toFixed(2)} | ${render.maxRssMb.toFixed(0)} | ${(render.cpuMs / n).toFixed(2)} | ${((render.maxRssMb * 1024) / n).toFixed(0)} | | | |`);
    for (const key of ["plan", "noop", "change"] as const) {
      const x = r[key] as LadingRun | string;
      if (typeof x === "string") {
        if (key === "change" && !renderOnly.has(n)) rows.push(`| ${n} | config change (parallel) | ${x.split("\n")[0]!.slice(0, 200)} | | | | | | | |`);
        continue;
      }
      const p = x.phases;
      const phases = [p.renderMs, p.connectMs, p.factsMs, p.planMs, p.closeMs].map((ms) => (ms / 1000).toFixed(2)).join(" / ");
      const label = (key === "plan" ? "plan" : key === "noop" ? "no-op reconfigure" : `config change (parallel), ${x.changed} steps`) + (x.exit !== 0 && x.exit !== 2 ? ` (FAILED, exit ${x.exit})` : "");
      rows.push(`| ${n} | ${label} | ${x.wallS.toFixed(2)} | ${x.cpuS.toFixed(2)} | ${x.maxRssMb.toFixed(0)} | ${((x.cpuS * 1000) / n).toFixed(2)} | ${((x.maxRssMb * 1024) / n).toFixed(0)} | ${x.handshakesPerS.toFixed(0)} | ${phases} | ${x.lost} |`);
    }
    const f = r.floor as FloorRun | undefined;
    if (r.sshdDropsLading !== undefined) rows.push(`| ${n} | sshd: connections dropped past MaxStartups (lading / floor) | ${String(r.sshdDropsLading)} / ${String(r.sshdDropsFloor)} | | | | | | | |`);
    if (f) rows.push(`| ${n} | floor (ssh2 connect + true) | ${f.wallS.toFixed(2)} | ${f.cpuS.toFixed(2)} | ${f.maxRssMb.toFixed(0)} | ${((f.cpuS * 1000) / n).toFixed(2)} | ${((f.maxRssMb * 1024) / n).toFixed(0)} | ${f.handshakesPerS.toFixed(0)} | | ${f.failed} |`);
  }
  const table = `${rows.join("\n")}\n`;
  process.stdout.write(table);
  const date = new Date().toISOString().slice(0, 10);
  const out = opt.out ?? join(packageRoot, "bench", "results", `scale-${date}.json`);
  mkdirSync(join(out, ".."), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, server: opt.server, forks, results, table }, null, 2)}\n`);
  say(`results in ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
