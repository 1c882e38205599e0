// Docker command builders: pure functions that return argv arrays and run nothing.
// The applier sends them through the transport, which quotes them in one place.
import { createHash } from "node:crypto";
import { quoteArgv } from "../transport/quote.js";
import type { DesiredContainer } from "../render/desired.js";

export const LABEL = {
  managed: "lading.managed",
  service: "lading.service",
  specHash: "lading.spec-hash",
  configHash: "lading.config-hash",
  spec: "lading.spec",
  bootstrap: "lading.bootstrap",
} as const;

/** Stable JSON: object keys sorted, so equal specs hash equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The parts of a container that, when changed, need the container recreated. */
export function containerSpecOf(c: DesiredContainer): Omit<DesiredContainer, "bootstrapCommand" | "service"> {
  const { bootstrapCommand: _b, service: _s, ...spec } = c;
  void _b;
  void _s;
  return spec;
}

export function specHash(c: DesiredContainer): string {
  return sha256(canonicalJson(containerSpecOf(c))).slice(0, 32);
}

export interface RunOptions {
  /** Hash of the config files that restart this container. */
  configHash: string;
  /** Start with the role's bootstrap command (first member of a new cluster). */
  bootstrap?: boolean;
}

/** `docker run -d ...` for a desired container, with host networking and lading's labels. */
export function run(c: DesiredContainer, opts: RunOptions): string[] {
  const argv = ["docker", "run", "--detach", "--name", c.name, "--network", "host", "--restart", opts.bootstrap ? "no" : c.restartPolicy];
  const labels: [string, string][] = [
    [LABEL.managed, "true"],
    [LABEL.service, c.service],
    [LABEL.specHash, specHash(c)],
    [LABEL.configHash, opts.configHash],
    [LABEL.spec, canonicalJson(containerSpecOf(c))],
  ];
  if (opts.bootstrap) labels.push([LABEL.bootstrap, "true"]);
  for (const [k, v] of labels) argv.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(c.environment).sort(([a], [b]) => a.localeCompare(b))) argv.push("--env", `${k}=${v}`);
  for (const v of c.volumes) {
    const type = v.kind === "bind" ? "bind" : "volume";
    argv.push("--mount", `type=${type},source=${v.source},target=${v.target}${v.readOnly ? ",readonly" : ""}`);
  }
  if (c.privileged) argv.push("--privileged");
  for (const cap of c.capAdd) argv.push("--cap-add", cap);
  for (const cap of c.capDrop) argv.push("--cap-drop", cap);
  for (const [name, l] of Object.entries(c.ulimits)) argv.push("--ulimit", `${name}=${l.soft}:${l.hard}`);
  for (const [k, v] of Object.entries(c.sysctls)) argv.push("--sysctl", `${k}=${v}`);
  for (const t of c.tmpfs) argv.push("--tmpfs", t);
  if (c.user) argv.push("--user", c.user);
  if (c.stopTimeout !== undefined) argv.push("--stop-timeout", String(c.stopTimeout));
  if (c.stopSignal) argv.push("--stop-signal", c.stopSignal);
  if (c.healthcheck) {
    // docker run only takes a shell string for the health command: quote the argv in the one place we quote.
    argv.push(
      "--health-cmd", quoteArgv(c.healthcheck.test),
      "--health-interval", c.healthcheck.interval,
      "--health-timeout", c.healthcheck.timeout,
      "--health-retries", String(c.healthcheck.retries),
      "--health-start-period", c.healthcheck.startPeriod,
    );
  }
  if (c.entrypoint) argv.push("--entrypoint", c.entrypoint[0] ?? "");
  argv.push(c.image);
  if (c.entrypoint) argv.push(...c.entrypoint.slice(1));
  const command = opts.bootstrap && c.bootstrapCommand ? c.bootstrapCommand : c.command;
  if (command) argv.push(...command);
  return argv;
}

/** The name of a job's one-off container. */
export const jobContainerName = (service: string, job: string): string => `lading-job-${service}-${job}`;

/**
 * `docker run --rm` of a job: in the foreground (its exit code is the job's), host networking, the container's
 * environment, mounts and user, its image's entrypoint, the job's command.
 */
export function runJob(service: string, job: { name: string; command: string[]; container: DesiredContainer }): string[] {
  const c = job.container;
  const argv = ["docker", "run", "--rm", "--name", jobContainerName(service, job.name), "--network", "host", "--label", `lading.job=${service}/${job.name}`];
  for (const [k, v] of Object.entries(c.environment).sort(([a], [b]) => a.localeCompare(b))) argv.push("--env", `${k}=${v}`);
  for (const v of c.volumes) argv.push("--mount", `type=${v.kind === "bind" ? "bind" : "volume"},source=${v.source},target=${v.target}${v.readOnly ? ",readonly" : ""}`);
  if (c.user) argv.push("--user", c.user);
  argv.push(c.image, ...job.command);
  return argv;
}

export const start = (name: string): string[] => ["docker", "start", name];
export const stop = (name: string, timeoutSeconds?: number): string[] =>
  timeoutSeconds === undefined ? ["docker", "stop", name] : ["docker", "stop", "--time", String(timeoutSeconds), name];
/** Restarts the containers one after the other (docker restart takes several names). */
export const restart = (...names: [string, ...string[]]): string[] => ["docker", "restart", ...names];
export const remove = (name: string): string[] => ["docker", "rm", "--force", name];
export const pull = (image: string): string[] => ["docker", "pull", image];
export const removeVolume = (name: string): string[] => ["docker", "volume", "rm", "--force", name];
export const removeImage = (ref: string): string[] => ["docker", "image", "rm", ref];
export const kill = (name: string, signal: string): string[] => ["docker", "kill", "--signal", signal, name];
export const logs = (name: string, tail: number): string[] => ["docker", "logs", "--tail", String(tail), name];

/** `docker logs --timestamps` (lading logs): `since` is a duration ("30s") or a time (RFC 3339). */
export function logsTimestamped(name: string, opts: { since?: string; tail?: number; follow?: boolean }): string[] {
  const argv = ["docker", "logs", "--timestamps"];
  if (opts.since !== undefined) argv.push("--since", opts.since);
  if (opts.tail !== undefined) argv.push("--tail", String(opts.tail));
  if (opts.follow) argv.push("--follow");
  return [...argv, name];
}

/** One line of `docker inspect --format` for a container (a Go template: fixed text, never user input). */
export const inspectFormat = (name: string, format: string): string[] => ["docker", "inspect", "--type", "container", "--format", format, name];

/**
 * Runs a command inside a container; `interactive` keeps stdin open (for SQL or secrets on stdin), `tty` gives
 * it a terminal (lading exec -it, over a PTY of the connection).
 */
export function exec(container: string, argv: readonly string[], opts: { interactive?: boolean; tty?: boolean; user?: string } = {}): string[] {
  const out = ["docker", "exec"];
  if (opts.interactive) out.push("--interactive");
  if (opts.tty) out.push("--tty");
  if (opts.user) out.push("--user", opts.user);
  return [...out, container, ...argv];
}
