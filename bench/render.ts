// Render benchmark: loadProject + renderProject of a generated 1000-host, 10-service deployment.
//   node dist/bench/render.js            generates the deployment, runs 3 fresh child processes, prints a table
//   node dist/bench/render.js --child D  (internal) loads and renders deployment D once, prints JSON
//   node dist/bench/render.js --generate D  only writes the deployment into D (to profile a single run)
// The deployment: the 6 shipped roles (3 mariadb and 3 rabbitmq hosts, 2 load balancers, 95 memcached,
// 900 webapp hosts) plus 4 user roles on all 1000 hosts, each with 2 templates reading host values and the
// list of every host (a `hosts` computed value). Nothing dials: the addresses are never contacted.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject, renderProject } from "../src/model/project.js";
import { loadRoles } from "../src/model/roles.js";
import { builtinRolesDir } from "../src/paths.js";

const HOSTS = 1000;
const USER_ROLES = 4;
const RUNS = 3;
const TARGET = { seconds: 2, rssMB: 300 };

const hostName = (i: number): string => `h${String(i).padStart(4, "0")}`;
// Never contacted: the model opens no connection. Spread over several /24s, as a real site would be.
const hostAddress = (i: number): string => `10.${100 + Math.floor(i / 250)}.0.${(i % 250) + 1}`;

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(hostName(i));
  return out;
}

/** Writes the deployment into `dir`. */
export function generateDeployment(dir: string): void {
  const inv: string[] = ["hosts:"];
  for (let i = 1; i <= HOSTS; i++) inv.push(`  ${hostName(i)}: {address: ${hostAddress(i)}}`);
  inv.push("groups:");
  const group = (name: string, hosts: string[]): void => {
    inv.push(`  ${name}:`, `    hosts: [${hosts.join(", ")}]`);
  };
  group("control", range(1, 3));
  inv.push("  mariadb:", "    children: [control]", "  rabbitmq:", "    children: [control]");
  group("loadbalancer", range(4, 5));
  group("memcached", range(6, 100));
  group("webapp", range(101, HOSTS));
  group("compute", range(1, HOSTS));
  inv.push("  rack1:", "    children: [compute]", "    vars: {network_interface: ens3}");
  writeFileSync(join(dir, "inventory.yml"), `${inv.join("\n")}\n`);
  writeFileSync(join(dir, "globals.yml"), "vip_address: 10.99.0.250\nkeepalived_virtual_router_id: 77\nwebapp_message: bench\n");

  for (let r = 1; r <= USER_ROLES; r++) {
    const name = `synth${r}`;
    const roleDir = join(dir, "roles", name);
    mkdirSync(join(roleDir, "templates"), { recursive: true });
    writeFileSync(
      join(roleDir, "role.yaml"),
      [
        `name: ${name}`,
        "description: A synthetic user role of the render benchmark.",
        "groups: [compute]",
        "parameters:",
        `  ${name}_port: {type: integer, description: Port., default: ${9000 + r}, format: port}`,
        `  ${name}_label: {type: string, description: A label., default: synthetic}`,
        "computed:",
        `  ${name}Peers: {kind: hosts, group: compute}`,
        `  ${name}Index: {kind: hostIndex, group: compute}`,
        "containers:",
        `  ${name}:`,
        `    image: "{{image_registry}}lading/${name}:{{image_tag}}"`,
        `    command: [${name}, --bind, "{{host.address}}", --port, "{{${name}_port}}"]`,
        "    volumes:",
        "      - { target: /etc/synth, config: true, readOnly: true }",
        `    ports: ["{{${name}_port}}"]`,
        "files:",
        `  - { template: peers.conf.hbs, dest: peers.conf, format: text }`,
        `  - { template: node.ini.hbs, dest: node.ini, format: ini }`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(roleDir, "templates", "peers.conf.hbs"),
      `# ${name} peers, rendered for {{host.name}}\n{{#each ${name}Peers}}peer {{name}} {{address}}:{{../${name}_port}}{{#if first}} seed{{/if}}\n{{/each}}`,
    );
    writeFileSync(
      join(roleDir, "templates", "node.ini.hbs"),
      `[node]\nname = {{host.name}}\naddress = {{host.address}}\nindex = {{${name}Index}}\nport = {{${name}_port}}\nlabel = {{${name}_label}}\ninterface = {{network_interface}}\n`,
    );
  }

  // Fixed fake secrets, mode 0600 (what genpwd would write).
  const secrets = loadRoles([builtinRolesDir, join(dir, "roles")]).secrets;
  const text = [...secrets].map(([n, s]) => `${n}: ${JSON.stringify(`bench-${n}-0123456789abcdefghijklmnop`.slice(0, s.length ?? 32))}`).join("\n");
  writeFileSync(join(dir, "passwords.yml"), `${text}\n`, { mode: 0o600 });
}

interface RunResult {
  loadMs: number;
  renderMs: number;
  totalMs: number;
  /** CPU time (user + system, all threads) of load + render: steadier than wall time on a shared machine. */
  cpuMs: number;
  maxRssMB: number;
  hosts: number;
  files: number;
  bytes: number;
}

function runChild(dir: string): RunResult {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const project = loadProject({ dir });
  const loaded = performance.now();
  const state = renderProject(project);
  const rendered = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  let files = 0;
  let bytes = 0;
  for (const h of state.hosts.values()) for (const s of h.services) for (const f of s.files) {
    files++;
    bytes += f.content.length;
  }
  return {
    loadMs: loaded - started,
    renderMs: rendered - loaded,
    totalMs: rendered - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    // ru_maxrss: the peak resident set of this process, in kilobytes.
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    hosts: state.hosts.size,
    files,
    bytes,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const generateAt = process.argv.indexOf("--generate");
  if (generateAt >= 0) {
    mkdirSync(process.argv[generateAt + 1]!, { recursive: true });
    generateDeployment(process.argv[generateAt + 1]!);
    return;
  }
  const childAt = process.argv.indexOf("--child");
  if (childAt >= 0) {
    process.stdout.write(`${JSON.stringify(runChild(process.argv[childAt + 1]!))}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-"));
  try {
    generateDeployment(dir);
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      const extra = process.env.LADING_BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.LADING_BENCH_PROF}`] : [];
      const child = spawnSync(process.execPath, [...extra, fileURLToPath(import.meta.url), "--child", dir], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`run ${i + 1} failed:\n${child.stderr}`);
      runs.push(JSON.parse(child.stdout) as RunResult);
    }
    const first = runs[0]!;
    const row = (label: string, values: number[], unit: string, target?: number): string =>
      `| ${label.padEnd(22)} | ${values.map((v) => v.toFixed(0).padStart(6)).join(" | ")} | ${median(values).toFixed(0).padStart(6)} ${unit.padEnd(3)}|${target !== undefined ? ` ${median(values) <= target ? "ok" : "OVER"} (target ${target} ${unit})` : ""}`;
    const out = [
      `render benchmark: ${first.hosts} hosts, 10 services, ${first.files} files, ${(first.bytes / 1e6).toFixed(1)} MB rendered; ${RUNS} fresh processes`,
      `| ${"".padEnd(22)} | ${runs.map((_, i) => `run ${i + 1}`.padStart(6)).join(" | ")} | median     |`,
      row("loadProject (ms)", runs.map((r) => r.loadMs), "ms"),
      row("renderProject (ms)", runs.map((r) => r.renderMs), "ms"),
      row("load + render (ms)", runs.map((r) => r.totalMs), "ms", TARGET.seconds * 1000),
      row("CPU time (ms)", runs.map((r) => r.cpuMs), "ms"),
      row("peak RSS (MB)", runs.map((r) => r.maxRssMB), "MB", TARGET.rssMB),
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
