// Benchmark: a no-op `lading reconfigure` of examples/lab on the running lab (after `npm run demo`, or any
// deployment named with LADING_BENCH_DIR). Reports wall time, controller CPU, and per host the SSH
// connections opened and command round trips made. Run: node dist/bench/noop.js [runs]
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../src/paths.js";

interface Stats {
  connections: number;
  execs: number;
}

const dir = process.env.LADING_BENCH_DIR ?? join(packageRoot, ".lading", "demo");
const runs = Number(process.argv[2] ?? 5);
const rows: { wallMs: number; cpuMs: number; maxRssMb: number; stats: Record<string, Stats>; changed: number }[] = [];

for (let i = 0; i < runs; i++) {
  const started = process.hrtime.bigint();
  const child = spawnSync("/usr/bin/time", ["-f", "%U %S %M", process.execPath, join(packageRoot, "bin", "lading.js"), "reconfigure", "-d", dir, "--json"], { encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    process.stderr.write(`run ${i + 1} failed (exit ${child.status}):\n${child.stdout}\n${child.stderr}\n`);
    process.exit(1);
  }
  const [user, sys, rssKb] = child.stderr.trim().split("\n").slice(-1)[0]!.split(" ").map(Number);
  let stats: Record<string, Stats> = {};
  let changed = 0;
  for (const line of child.stdout.split("\n").filter(Boolean)) {
    const e = JSON.parse(line) as { type: string; hosts?: unknown };
    if (e.type === "stats") stats = e.hosts as Record<string, Stats>;
    if (e.type === "recap") changed = (e.hosts as { changed: number }[]).reduce((a, h) => a + h.changed, 0);
  }
  rows.push({ wallMs, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000, maxRssMb: (rssKb ?? 0) / 1024, stats, changed });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const last = rows[rows.length - 1]!;
process.stdout.write(`no-op reconfigure of ${dir}, ${runs} runs (median)\n`);
process.stdout.write(`  wall time       ${median(rows.map((r) => r.wallMs)).toFixed(0)} ms (including Node.js start)\n`);
process.stdout.write(`  controller CPU  ${median(rows.map((r) => r.cpuMs)).toFixed(0)} ms\n`);
process.stdout.write(`  peak RSS        ${median(rows.map((r) => r.maxRssMb)).toFixed(0)} MB\n`);
process.stdout.write(`  steps applied   ${rows.map((r) => r.changed).join(", ")} (must be 0)\n`);
for (const [host, s] of Object.entries(last.stats)) process.stdout.write(`  ${host.padEnd(6)} ${s.connections} SSH connection(s), ${s.execs} round trip(s)\n`);
