// The fleet benchmark's workload, written twice from one description: as a lading deployment (roles with
// Handlebars templates) and as an Ansible playbook (Jinja2 templates, template + docker_container + a
// restart handler). Both render the same files: host-specific values and the list of every host.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FleetHost {
  name: string;
  address: string;
}

export interface WorkloadOptions {
  hosts: FleetHost[];
  /** The lab's SSH key and known_hosts. */
  sshKey: string;
  knownHosts: string;
  /** Generation of each service's config: bumping one changes both of its files on every host. */
  generations: Record<string, number>;
}

/** The benchmark's services: one container and two config files each. */
export const SERVICES = ["svc1", "svc2", "svc3", "svc4", "svc5"] as const;
export const SERVICE_IMAGE = "lading/fleetsvc:1.0";
/** Both tools deploy under this directory (one folder per service); the bench cleans it between tools. */
export const CONFIG_ROOT = "/etc/fleet";

const portOf = (svc: string): number => 9100 + SERVICES.indexOf(svc as (typeof SERVICES)[number]) + 1;

// Settings that make each file about 2 KB, like a real service's config: fixed per service, the same for both tools.
function tuningLines(svc: string, file: "main" | "peers"): string[] {
  const keys = ["workers", "backlog", "keepalive_s", "read_timeout_ms", "write_timeout_ms", "max_body_kb", "cache_entries", "cache_ttl_s", "log_level", "log_format", "metrics_interval_s", "retry_max", "retry_backoff_ms", "queue_depth", "batch_size", "flush_interval_ms", "tls_min_version", "compression", "pool_min", "pool_max"];
  const seed = svc.charCodeAt(3) * 7 + (file === "main" ? 0 : 3);
  return keys.map((k, i) => `${file}.${k} = ${(seed * (i + 3)) % 997} ; tunable ${i + 1} of ${svc}, kept at its measured default`);
}

/** One config file as a template in either language: the text around the host values is the same. */
function templateText(svc: string, file: "main" | "peers", lang: "hbs" | "j2"): string {
  const v = lang === "hbs"
    ? { host: "{{host.name}}", address: "{{host.address}}", gen: `{{${svc}_generation}}`, port: `{{${svc}_port}}`, dir: "{{service.configDir}}" }
    : { host: "{{ inventory_hostname }}", address: "{{ ansible_host }}", gen: `{{ ${svc}_generation }}`, port: `{{ ${svc}_port }}`, dir: `${CONFIG_ROOT}/${svc}` };
  const each = lang === "hbs"
    ? { open: `{{#each ${svc}Hosts}}`, close: "{{/each}}", index: "{{index}}", name: "{{name}}", address: "{{address}}", port: `{{../${svc}_port}}` }
    : { open: "{% for peer in groups['fleet'] %}", close: "{% endfor %}", index: "{{ loop.index0 }}", name: "{{ peer }}", address: "{{ hostvars[peer]['ansible_host'] }}", port: `{{ ${svc}_port }}` };
  const head = [
    `# ${svc} ${file} configuration, generation ${v.gen}, rendered for ${v.host}`,
    `[service]`,
    `name = ${svc}`,
    `host = ${v.host}`,
    `address = ${v.address}`,
    `listen = ${v.address}:${v.port}`,
    `config_dir = ${v.dir}`,
    `generation = ${v.gen}`,
    `[tuning]`,
    ...tuningLines(svc, file),
    file === "main" ? "[peers]" : "[cluster]",
    each.open,
    file === "main" ? `peer.${each.index} = ${each.name} ${each.address}:${each.port}` : `member ${each.name} address=${each.address} index=${each.index}`,
    each.close,
    `# end of ${svc} ${file} configuration`,
  ];
  return `${head.join("\n")}\n`;
}

function write(path: string, text: string, mode = 0o644): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

/** The lading deployment: inventory, globals (built-in roles off), and one role per service. */
export function writeLadingDeployment(dir: string, opts: WorkloadOptions): void {
  const names = opts.hosts.map((h) => h.name);
  write(join(dir, "inventory.yml"), [
    "defaults:",
    "  user: root",
    "  port: 22",
    `  key: ${opts.sshKey}`,
    `  knownHosts: ${opts.knownHosts}`,
    "hosts:",
    ...opts.hosts.map((h) => `  ${h.name}: { address: ${h.address} }`),
    "groups:",
    "  fleet:",
    `    hosts: [${names.join(", ")}]`,
    "",
  ].join("\n"));
  writeLadingGlobals(dir, opts.generations);
  write(join(dir, "passwords.yml"), "{}\n", 0o600);
  for (const svc of SERVICES) {
    const roleDir = join(dir, "roles", svc);
    write(join(roleDir, "role.yaml"), [
      `name: ${svc}`,
      `description: Benchmark service ${svc}, an idle container that mounts its two config files read-only.`,
      "groups: [fleet]",
      "dependsOn: []",
      "parameters:",
      `  ${svc}_generation:`,
      "    type: integer",
      "    description: Generation of the config (the benchmark bumps it to change the config on every host).",
      "    default: 1",
      "    minimum: 1",
      `  ${svc}_port:`,
      "    type: integer",
      "    description: Port written into the config (nothing listens).",
      `    default: ${portOf(svc)}`,
      "    format: port",
      "    minimum: 1",
      "    maximum: 65535",
      "computed:",
      `  ${svc}Hosts: { kind: hosts, group: fleet }`,
      "containers:",
      `  ${svc}:`,
      `    image: "{{image_registry}}${SERVICE_IMAGE}"`,
      `    volumes: [{ target: /etc/${svc}, config: true, readOnly: true }]`,
      "    stopTimeout: 5",
      "files:",
      `  - { template: main.conf.hbs, dest: main.conf, restarts: [${svc}] }`,
      `  - { template: peers.conf.hbs, dest: peers.conf, restarts: [${svc}] }`,
      "rollout: { strategy: parallel }",
      "",
    ].join("\n"));
    write(join(roleDir, "templates", "main.conf.hbs"), templateText(svc, "main", "hbs"));
    write(join(roleDir, "templates", "peers.conf.hbs"), templateText(svc, "peers", "hbs"));
  }
}

/**
 * The Ansible project: inventory, group vars, templates and a flat playbook (Kolla's shape without its
 * includes: per service a config directory, two templates notifying a restart handler, and the container).
 * `ansibleDir` is bench/ansible (ansible.cfg and the ssh wrapper that counts invocations).
 */
export function writeAnsibleProject(dir: string, ansibleDir: string, opts: WorkloadOptions): void {
  write(join(dir, "inventory.ini"), [
    "[fleet]",
    ...opts.hosts.map((h) => `${h.name} ansible_host=${h.address}`),
    "",
    "[fleet:vars]",
    "ansible_user=root",
    `ansible_ssh_private_key_file=${opts.sshKey}`,
    "ansible_python_interpreter=/usr/bin/python3",
    "",
  ].join("\n"));
  writeAnsibleVars(dir, opts.generations);
  copyFileSync(join(ansibleDir, "ansible.cfg"), join(dir, "ansible.cfg"));
  const tasks: string[] = [];
  const handlers: string[] = [];
  for (const svc of SERVICES) {
    write(join(dir, "templates", svc, "main.conf.j2"), templateText(svc, "main", "j2"));
    write(join(dir, "templates", svc, "peers.conf.j2"), templateText(svc, "peers", "j2"));
    tasks.push(
      `    - name: ${svc} config directory`,
      `      ansible.builtin.file: { path: ${CONFIG_ROOT}/${svc}, state: directory, mode: "0755" }`,
      `    - name: ${svc} config files`,
      `      ansible.builtin.template: { src: "templates/${svc}/{{ item }}.j2", dest: "${CONFIG_ROOT}/${svc}/{{ item }}", mode: "0644" }`,
      "      loop: [main.conf, peers.conf]",
      `      notify: restart ${svc}`,
      `    - name: ${svc} container`,
      "      community.docker.docker_container:",
      `        name: ${svc}`,
      `        image: ${SERVICE_IMAGE}`,
      "        network_mode: host",
      `        volumes: ["${CONFIG_ROOT}/${svc}:/etc/${svc}:ro"]`,
      "        restart_policy: unless-stopped",
      "        stop_timeout: 5",
      "        state: started",
    );
    handlers.push(
      `    - name: restart ${svc}`,
      "      community.docker.docker_container:",
      `        name: ${svc}`,
      `        image: ${SERVICE_IMAGE}`,
      "        network_mode: host",
      `        volumes: ["${CONFIG_ROOT}/${svc}:/etc/${svc}:ro"]`,
      "        restart_policy: unless-stopped",
      "        stop_timeout: 5",
      "        state: started",
      "        restart: true",
    );
  }
  write(join(dir, "fleet.yml"), [
    "# Generated by bench/fleet.ts: the fleet workload for Ansible (rolling with -e fleet_serial=1).",
    "- hosts: fleet",
    "  gather_facts: false",
    "  serial: \"{{ fleet_serial | default('100%') }}\"",
    "  tasks:",
    ...tasks,
    "  handlers:",
    ...handlers,
    "",
  ].join("\n"));
}

/** Rewrites the group vars with new generations (the changed-config scenarios). */
export function writeAnsibleVars(dir: string, generations: Record<string, number>): void {
  write(join(dir, "group_vars", "fleet.yml"), [
    ...SERVICES.map((s) => `${s}_generation: ${generations[s] ?? 1}`),
    ...SERVICES.map((s) => `${s}_port: ${portOf(s)}`),
    "",
  ].join("\n"));
}

/** Rewrites lading's globals with new generations. */
export function writeLadingGlobals(dir: string, generations: Record<string, number>): void {
  write(join(dir, "globals.yml"), [
    `config_dir: ${CONFIG_ROOT}`,
    ...["haproxy", "keepalived", "mariadb", "rabbitmq", "memcached", "webapp"].map((r) => `enable_${r}: false`),
    ...SERVICES.map((s) => `${s}_generation: ${generations[s] ?? 1}`),
    "",
  ].join("\n"));
}
