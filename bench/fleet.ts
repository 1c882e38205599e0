// Benchmark: lading against Ansible and against the floor, on a fleet of light lab hosts (issue 8).
// Brings up the fleet (lab/host-light hosts, the tiny lab/bench-images/fleetsvc image), writes the same
// workload for both tools (5 services x 2 templates of about 2 KB + one container each), and measures, side by
// side: cold deploy, no-op re-run, one service's config changed on all hosts (parallel restart), and the same
// as a rolling restart one host at a time. The floor: one ssh command per host, all hosts at once, reading
// every file hash and container state. Prints a markdown table; writes bench/results/fleet-<date>.json.
//
// Usage: node dist/bench/fleet.js [--hosts 20] [--noop-runs 3] [--runs 1] [--keep-lab] [--skip-ansible]
//        [--lading-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--out FILE] [--workdir DIR] [--keep]
// Root, and the lab lock held: it reshapes the lab, and (unless --keep-lab) restores the standard 3 hosts and
// puts back their /etc/lading (a lab deployment's config files), so that the user's deployment stays whole.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { labDocker } from "../src/lab/docker.js";
import { labDown, labUp, labLayout, labHostAddress, labHostName } from "../src/lab/index.js";
import { packageRoot } from "../src/paths.js";
import {
  acceptedConnections,
  fanOut,
  fanOutSsh2,
  floorCommand,
  floorOutputComplete,
  restartFloorCommand,
  restartFloorOutputComplete,
  hostRootDirs,
  resetHosts,
  startContainers,
  stopForeignContainers,
  type SshAccess,
} from "./fleet/fleet-ssh.js";
import { runAnsible, runLading, type ToolRun } from "./fleet/runners.js";
import { SERVICES, writeAnsibleProject, writeAnsibleVars, writeLadingDeployment, writeLadingGlobals, type FleetHost } from "./fleet/workload.js";

const { values: opt } = parseArgs({
  options: {
    hosts: { type: "string", default: "20" },
    "noop-runs": { type: "string", default: "3" },
    runs: { type: "string", default: "1" },
    "keep-lab": { type: "boolean", default: false },
    // For profiling by hand afterwards: leave the lab, the deployed workload and its folder as they are.
    keep: { type: "boolean", default: false },
    workdir: { type: "string" },
    "skip-ansible": { type: "boolean", default: false },
    "lading-node-args": { type: "string", default: "" },
    out: { type: "string" },
  },
});
const hostCount = Number(opt.hosts);
const noopRuns = Number(opt["noop-runs"]);
const runs = Number(opt.runs);
const ladingNodeArgs = opt["lading-node-args"]!.split(" ").filter(Boolean);
const forks = hostCount;

const say = (s: string): void => void process.stderr.write(`[fleet] ${s}\n`);

type Scenario = "cold" | "noop" | "changed" | "rolling";
type Tool = "lading" | "ansible" | "floor" | "floor-ssh2";

/** One measured run, with the connections every host's sshd accepted meanwhile. */
interface Measured {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  changed: number;
  connectionsPerHost: number;
  roundTripsPerHost: number;
}

const results: Record<Tool, Partial<Record<Scenario, Measured[]>>> = { lading: {}, ansible: {}, floor: {}, "floor-ssh2": {} };
const TOOLS: Tool[] = ["lading", "ansible", "floor", "floor-ssh2"];

function ensureAnsible(): void {
  const collection = "/usr/lib/python3/dist-packages/ansible_collections/community/docker";
  if (existsSync("/usr/bin/ansible-playbook") && existsSync(collection)) return;
  say("installing Debian's ansible package (ansible-core with the community collections)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "ansible"], { stdio: "inherit", env });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update"], { stdio: "inherit", env });
    r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "ansible"], { stdio: "inherit", env });
  }
  if (r.status !== 0 || !existsSync(collection)) throw new Error("could not install ansible with community.docker");
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function record(tool: Tool, scenario: Scenario, m: Measured): void {
  (results[tool][scenario] ??= []).push(m);
  say(`${tool} ${scenario}: ${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU, ${m.maxRssMb.toFixed(0)} MB, ${m.changed} changed, ${m.connectionsPerHost.toFixed(1)} conn/host, ${m.roundTripsPerHost.toFixed(1)} round trips/host`);
}

/** Runs `fn` and counts the connections each host accepted meanwhile (per-host mean). */
function withConnections<T extends { wallS: number }>(roots: Map<string, string>, fn: () => T): { run: T; connectionsPerHost: number } {
  const before = acceptedConnections(roots);
  const run = fn();
  const after = acceptedConnections(roots);
  return { run, connectionsPerHost: mean([...after].map(([h, n]) => n - (before.get(h) ?? 0))) };
}

function measuredOf(run: ToolRun, connectionsPerHost: number): Measured {
  return { wallS: run.wallS, cpuS: run.cpuS, maxRssMb: run.maxRssMb, changed: run.changed, connectionsPerHost, roundTripsPerHost: mean([...run.roundTrips.values()]) };
}

async function main(): Promise<void> {
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > 89) throw new Error("--hosts must be 1..89");
  if (!opt["skip-ansible"]) ensureAnsible();

  // Replacing the lab's hosts with light ones loses what lives in their own file system (the containers and
  // volumes live in their engines' stores, which outlive them): keep the user's lab deployment's config files
  // (/etc/lading) to put them back once the standard lab is restored.
  const savedConfig = saveLabConfig(["lab1", "lab2", "lab3"]);
  if (savedConfig.size) say(`saved /etc/lading of ${[...savedConfig.keys()].join(", ")} (put back after the run)`);
  say(`bringing up ${hostCount} light lab hosts`);
  const t0 = Date.now();
  await labUp({
    hosts: hostCount,
    hostImage: join(packageRoot, "lab", "host-light"),
    imageDirs: [join(packageRoot, "lab", "bench-images")],
    onEvent: (e) => {
      if (e.status !== "skip" && (e.step !== "load" || e.status === "done")) say(`  lab ${e.step} ${e.status}: ${e.message}`);
    },
  });
  say(`lab up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const layout = labLayout();
  const access: SshAccess = { key: layout.sshKey, knownHosts: layout.knownHosts };
  const hosts: FleetHost[] = Array.from({ length: hostCount }, (_, i) => ({ name: labHostName(i + 1), address: labHostAddress(i + 1) }));
  const roots = hostRootDirs(hosts);
  const foreign = stopForeignContainers(access, hosts);
  if (foreign.size) say(`stopped the containers of another deployment on ${foreign.size} host(s) for the run`);

  const work = opt.workdir ?? mkdtempSync(join(tmpdir(), "fleet-bench-"));
  const ladingDir = join(work, "lading");
  const ansibleDir = join(work, "ansible");
  const generations: Record<string, number> = Object.fromEntries(SERVICES.map((s) => [s, 1]));
  const workload = { hosts, sshKey: access.key, knownHosts: access.knownHosts, generations };
  writeLadingDeployment(ladingDir, workload);
  writeAnsibleProject(ansibleDir, join(packageRoot, "bench", "ansible"), workload);
  say(`workload in ${work}`);

  try {
    // lading
    const lading = (scenario: Scenario, command: string, extra: string[] = []): void => {
      const { run, connectionsPerHost } = withConnections(roots, () => runLading(ladingDir, command, forks, extra, ladingNodeArgs));
      record("lading", scenario, measuredOf(run, connectionsPerHost));
    };
    const floor = (tool: "floor" | "floor-ssh2"): void => {
      const { run, connectionsPerHost } = withConnections(roots, () => (tool === "floor" ? fanOut : fanOutSsh2)(access, hosts, floorCommand()));
      const incomplete = hosts.filter((h) => !floorOutputComplete(run.outputs.get(h.address) ?? ""));
      if (incomplete.length) throw new Error(`${tool}: incomplete answer from ${incomplete.map((h) => h.name).join(", ")}: ${run.outputs.get(incomplete[0]!.address)}`);
      record(tool, "noop", { wallS: run.wallS, cpuS: run.cpuS, maxRssMb: run.maxRssMb, changed: 0, connectionsPerHost, roundTripsPerHost: 1 });
    };
    // The floor of a config change: svc1's files written and its container restarted, by one command per host.
    const restartFloor = (tool: "floor" | "floor-ssh2", scenario: "changed" | "rolling"): void => {
      const command = restartFloorCommand("svc1");
      const { run, connectionsPerHost } = withConnections(roots, () => (tool === "floor" ? fanOut(access, hosts, command, scenario === "rolling") : fanOutSsh2(access, hosts, command)));
      const incomplete = hosts.filter((h) => !restartFloorOutputComplete(run.outputs.get(h.address) ?? "", "svc1"));
      if (incomplete.length) throw new Error(`${tool} ${scenario}: no running svc1 on ${incomplete.map((h) => h.name).join(", ")}: ${run.outputs.get(incomplete[0]!.address)}`);
      record(tool, scenario, { wallS: run.wallS, cpuS: run.cpuS, maxRssMb: run.maxRssMb, changed: hosts.length, connectionsPerHost, roundTripsPerHost: 1 });
    };
    const bump = (write: (g: Record<string, number>) => void): void => {
      generations.svc1 = generations.svc1! + 1;
      write(generations);
    };

    resetHosts(access, hosts);
    for (let i = 0; i < runs; i++) {
      if (i > 0) resetHosts(access, hosts);
      lading("cold", "deploy");
    }
    // The floor right next to lading's no-op runs, alternating, so that both see the same machine load.
    for (let i = 0; i < noopRuns; i++) {
      lading("noop", "reconfigure");
      floor("floor");
      try {
        floor("floor-ssh2");
      } catch (err) {
        say(`floor-ssh2 failed, going on without it: ${String(err)}`);
      }
    }
    for (let i = 0; i < runs; i++) {
      bump((g) => writeLadingGlobals(ladingDir, g));
      lading("changed", "reconfigure");
      restartFloor("floor", "changed");
      restartFloor("floor-ssh2", "changed");
    }
    for (let i = 0; i < runs; i++) {
      bump((g) => writeLadingGlobals(ladingDir, g));
      lading("rolling", "reconfigure", ["--serial", "1"]);
      restartFloor("floor", "rolling");
    }

    if (!opt["skip-ansible"]) {
      const setup = { dir: ansibleDir, knownHosts: access.knownHosts, hosts };
      const ansible = (scenario: Scenario, vars: Record<string, string> = {}): void => {
        const { run, connectionsPerHost } = withConnections(roots, () => runAnsible(setup, vars));
        record("ansible", scenario, measuredOf(run, connectionsPerHost));
      };
      generations.svc1 = 1;
      writeAnsibleVars(ansibleDir, generations);
      for (let i = 0; i < runs; i++) {
        resetHosts(access, hosts);
        ansible("cold");
      }
      for (let i = 0; i < noopRuns; i++) ansible("noop");
      for (let i = 0; i < runs; i++) {
        bump((g) => writeAnsibleVars(ansibleDir, g));
        ansible("changed");
      }
      for (let i = 0; i < runs; i++) {
        bump((g) => writeAnsibleVars(ansibleDir, g));
        ansible("rolling", { fleet_serial: "1" });
      }
    }
  } finally {
    if (opt.keep) {
      say(`kept the lab, the deployed workload and ${work}`);
    } else {
      say("cleaning the hosts");
      try {
        resetHosts(access, hosts);
        startContainers(access, hosts, foreign);
      } catch (err) {
        say(`cleaning failed: ${String(err)}`);
      }
      rmSync(work, { recursive: true, force: true });
      if (!opt["keep-lab"]) {
        await restoreStandardLab();
        restoreLabConfig(savedConfig);
      } else if (savedConfig.size) say(`--keep-lab: /etc/lading of ${[...savedConfig.keys()].join(", ")} is not put back (the hosts are the light ones)`);
    }
  }
  report();
}

/** The tar of /etc/lading of each named lab host that runs and has one (read through the lab's engine). */
function saveLabConfig(names: string[]): Map<string, Buffer> {
  const saved = new Map<string, Buffer>();
  for (const name of names) {
    const [cmd, ...args] = [...labDocker(), "exec", name, "sh", "-c", "[ -d /etc/lading ] && tar -C / -cf - etc/lading"];
    const r = spawnSync(cmd!, args, { maxBuffer: 256 * 1024 * 1024 });
    if (r.status === 0 && r.stdout.length) saved.set(name, r.stdout);
  }
  return saved;
}

/** Puts back what saveLabConfig kept, as it was (owners and modes: tar runs as root). */
function restoreLabConfig(saved: Map<string, Buffer>): void {
  for (const [name, tar] of saved) {
    const [cmd, ...args] = [...labDocker(), "exec", "-i", name, "tar", "-C", "/", "-xpf", "-"];
    const r = spawnSync(cmd!, args, { input: tar, encoding: "utf8" });
    say(r.status === 0 ? `put back /etc/lading on ${name}` : `could not put back /etc/lading on ${name}: ${r.stderr}`);
  }
}

async function restoreStandardLab(): Promise<void> {
  say("restoring the standard lab (lab down, lab up)");
  // In this process: the lab engine is this process's child (labUp started it), and only a running event loop
  // reaps it when it exits; a blocking spawn of `lading lab down` here would wait forever for a zombie.
  await labDown();
  const r = spawnSync(process.execPath, [join(packageRoot, "bin", "lading.js"), "lab", "up"], { encoding: "utf8" });
  if (r.status !== 0) say(`lading lab up failed: ${r.stdout}\n${r.stderr}`);
}

const SCENARIOS: { key: Scenario; label: string }[] = [
  { key: "cold", label: "cold deploy" },
  { key: "noop", label: "no-op re-run" },
  { key: "changed", label: "config change, parallel restart" },
  { key: "rolling", label: "config change, rolling (1 host at a time)" },
];

function summary(ms: Measured[] | undefined): Measured | undefined {
  if (!ms?.length) return undefined;
  return {
    wallS: median(ms.map((m) => m.wallS)),
    cpuS: median(ms.map((m) => m.cpuS)),
    maxRssMb: Math.max(...ms.map((m) => m.maxRssMb)),
    changed: median(ms.map((m) => m.changed)),
    connectionsPerHost: median(ms.map((m) => m.connectionsPerHost)),
    roundTripsPerHost: median(ms.map((m) => m.roundTripsPerHost)),
  };
}

/**
 * The issue's targets in seconds, from a floor: a no-op within 1.2 times the no-op floor; a config change
 * within 1.5 times the no-op floor plus the containers' own restart time (the restart floor less the no-op
 * floor: what writing and restarting cost beyond connecting and reading).
 */
function targetS(key: Scenario, floor: "floor" | "floor-ssh2"): number | undefined {
  const noop = summary(results[floor].noop)?.wallS;
  if (noop === undefined) return undefined;
  if (key === "noop") return 1.2 * noop;
  const restart = summary(results[floor][key])?.wallS;
  if ((key === "changed" || key === "rolling") && restart !== undefined) return 1.5 * noop + (restart - noop);
  return undefined;
}

function report(): void {
  const rows: string[] = [
    `Fleet of ${hostCount} lab hosts, 5 services x (2 templates of ~2 KB + 1 container) per host; forks ${forks}; medians of ${noopRuns} no-op run(s), ${runs} run(s) otherwise.`,
    "floor: one OpenSSH client per host; floor-ssh2: one Node.js process with ssh2 connections. In the change rows the floor writes svc1's files and restarts svc1 with its one command (rolling: one host after the other).",
    "x floor: lading's wall time to the same row's floor / floor-ssh2. target: 1.2 x the no-op floor; a change: 1.5 x the no-op floor + the restart floor less the no-op floor (floor / floor-ssh2).",
    "",
    "| scenario | tool | wall s | controller CPU s | max RSS MB | SSH conn/host | round trips/host | changed | x Ansible (wall) | x floor (wall) | target s | met |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? "-" : x.toFixed(digits));
  for (const { key, label } of SCENARIOS) {
    const ans = summary(results.ansible[key]);
    const floors = { floor: summary(results.floor[key])?.wallS, ssh2: summary(results["floor-ssh2"][key])?.wallS };
    const targets = { floor: targetS(key, "floor"), ssh2: targetS(key, "floor-ssh2") };
    for (const tool of TOOLS) {
      const s = summary(results[tool][key]);
      if (!s) continue;
      const vsAnsible = ans && tool !== "ansible" ? `${(s.wallS / ans.wallS).toFixed(3)}` : "";
      const lading = tool === "lading";
      const vsFloor = lading && (floors.floor || floors.ssh2) ? `${fmt(floors.floor && s.wallS / floors.floor)} / ${fmt(floors.ssh2 && s.wallS / floors.ssh2)}` : "";
      const target = lading && (targets.floor || targets.ssh2) ? `${fmt(targets.floor)} / ${fmt(targets.ssh2)}` : "";
      const met = lading && (targets.floor || targets.ssh2) ? `${targets.floor === undefined ? "-" : s.wallS <= targets.floor ? "yes" : "no"} / ${targets.ssh2 === undefined ? "-" : s.wallS <= targets.ssh2 ? "yes" : "no"}` : "";
      rows.push(`| ${label} | ${tool} | ${s.wallS.toFixed(2)} | ${s.cpuS.toFixed(2)} | ${s.maxRssMb.toFixed(0)} | ${s.connectionsPerHost.toFixed(1)} | ${s.roundTripsPerHost.toFixed(1)} | ${s.changed} | ${vsAnsible} | ${vsFloor} | ${target} | ${met} |`);
    }
  }
  const table = `${rows.join("\n")}\n`;
  process.stdout.write(table);
  const date = new Date().toISOString().slice(0, 10);
  const out = opt.out ?? join(packageRoot, "bench", "results", `fleet-${date}.json`);
  mkdirSync(join(out, ".."), { recursive: true });
  const summaries = Object.fromEntries(TOOLS.map((t) => [t, Object.fromEntries(SCENARIOS.map(({ key }) => [key, summary(results[t][key])]).filter(([, v]) => v))]));
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), hosts: hostCount, forks, noopRuns, runs, node: process.version, summaries, runsDetail: results, table }, null, 2)}\n`);
  say(`results in ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
