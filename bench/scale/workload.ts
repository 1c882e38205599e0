// The scale benchmark's workloads. `writeSshWorkload`: N inventory hosts on distinct 127.x addresses served by
// one sshd, every host with the same config directory and the same containers on the one engine, so every
// host's desired state is the same and a no-op is a true no-op. `writeRenderWorkload`: N hosts x 10 services
// with host-specific values in every file, for loading, validating and rendering alone (nothing dials).
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ScaleHost {
  name: string;
  address: string;
}

/** Host i (0-based): h00001.. on 127.10.x.y (y 1..250), all of them lo's (Linux routes 127.0.0.0/8 to lo). */
export function scaleHost(i: number): ScaleHost {
  return { name: `h${String(i + 1).padStart(5, "0")}`, address: `127.10.${Math.floor(i / 250)}.${(i % 250) + 1}` };
}

/** Container names that no lab host or lab service uses: the containers run on the lab's own engine. */
export const CONTAINER_PREFIX = "scalebench-";
export const SERVICE_IMAGE = "lading/fleetsvc:1.0";

function write(path: string, text: string, mode = 0o644): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

const tuning = (svc: string, file: string): string[] =>
  Array.from({ length: 20 }, (_, i) => `${file}.tunable_${i + 1} = ${(svc.length * 31 + i * 7) % 997} ; kept at its measured default for ${svc}`);

function globals(configDir: string, services: readonly string[], generations: Record<string, number>): string {
  return [
    `config_dir: ${configDir}`,
    ...["haproxy", "keepalived", "mariadb", "rabbitmq", "memcached", "webapp"].map((r) => `enable_${r}: false`),
    ...services.map((s) => `${s.replace(/-/g, "_")}_generation: ${generations[s] ?? 1}`),
    "",
  ].join("\n");
}

function role(dir: string, svc: string, container: string | undefined, hostValues: boolean): void {
  const v = svc.replace(/-/g, "_");
  const roleDir = join(dir, "roles", svc);
  write(join(roleDir, "role.yaml"), [
    `name: ${svc}`,
    `description: Scale benchmark service ${svc}.`,
    "groups: [fleet]",
    "dependsOn: []",
    "parameters:",
    `  ${v}_generation:`,
    "    type: integer",
    "    description: Generation of the config (bumped to change the config on every host).",
    "    default: 1",
    "    minimum: 1",
    ...(container ? [
      "containers:",
      `  ${container}:`,
      `    image: "{{image_registry}}${SERVICE_IMAGE}"`,
      `    volumes: [{ target: /etc/${svc}, config: true, readOnly: true }]`,
      "    stopTimeout: 5",
    ] : []),
    "files:",
    `  - { template: main.conf.hbs, dest: main.conf${container ? `, restarts: [${container}]` : ""} }`,
    `  - { template: extra.conf.hbs, dest: extra.conf${container ? `, restarts: [${container}]` : ""} }`,
    "rollout: { strategy: parallel }",
    "",
  ].join("\n"));
  for (const file of ["main", "extra"]) {
    write(join(roleDir, "templates", `${file}.conf.hbs`), [
      `# ${svc} ${file} configuration, generation {{${v}_generation}}`,
      "[service]",
      `name = ${svc}`,
      ...(hostValues ? ["host = {{host.name}}", "address = {{host.address}}"] : []),
      "config_dir = {{service.configDir}}",
      `generation = {{${v}_generation}}`,
      "[tuning]",
      ...tuning(svc, file),
      "",
    ].join("\n"));
  }
}

function inventory(dir: string, hosts: readonly ScaleHost[], access: { port: number; key: string; knownHosts: string } | undefined): void {
  write(join(dir, "inventory.yml"), [
    "defaults:",
    "  user: root",
    ...(access ? [`  port: ${access.port}`, `  key: ${access.key}`, `  knownHosts: ${access.knownHosts}`] : []),
    "hosts:",
    ...hosts.map((h) => `  ${h.name}: { address: ${h.address} }`),
    "groups:",
    "  fleet:",
    `    hosts: [${hosts.map((h) => h.name).join(", ")}]`,
    "",
  ].join("\n"));
  write(join(dir, "passwords.yml"), "{}\n", 0o600);
}

export const SSH_SERVICES = ["scale1", "scale2", "scale3", "scale4", "scale5"];

/** The deployment reached over SSH: 5 services of 2 files each, 1 container each, the same on every host. */
export function writeSshWorkload(dir: string, hosts: readonly ScaleHost[], access: { port: number; key: string; knownHosts: string }, configDir: string): void {
  inventory(dir, hosts, access);
  writeSshGlobals(dir, configDir, {});
  for (const svc of SSH_SERVICES) role(dir, svc, `${CONTAINER_PREFIX}${svc}`, false);
}

export function writeSshGlobals(dir: string, configDir: string, generations: Record<string, number>): void {
  write(join(dir, "globals.yml"), globals(configDir, SSH_SERVICES, generations));
}

/** Loading, validating and rendering alone: N hosts x 10 services, every file holding the host's own values. */
export function writeRenderWorkload(dir: string, hosts: readonly ScaleHost[]): void {
  const services = Array.from({ length: 10 }, (_, i) => `render${i + 1}`);
  inventory(dir, hosts, undefined);
  write(join(dir, "globals.yml"), globals("/etc/scalebench", services, {}));
  for (const svc of services) role(dir, svc, `${CONTAINER_PREFIX}${svc}`, true);
}
