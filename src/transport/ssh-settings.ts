// Resolves how to reach one host: the target's own fields first (like ssh's command-line flags), then the
// user's ~/.ssh/config (parsed by the `ssh-config` package), then OpenSSH's defaults.
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import SSHConfig from "ssh-config";
import type { ConnectOptions, SshTarget } from "./transport.js";

/** One ProxyJump hop, `[user@]host[:port]`. */
export interface JumpHop {
  host: string;
  user?: string;
  port?: number;
}

export interface SshSettings {
  /** Inventory name (or the hop's name), for messages. */
  name: string;
  hostname: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** IdentitiesOnly: do not ask ssh-agent. */
  identitiesOnly: boolean;
  /** First file receives accepted keys. */
  knownHostsFiles: string[];
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Hops to go through, outermost first; empty for a direct connection. */
  jumps: SshSettings[];
}

type ComputedConfig = Record<string, string | string[]>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000;

/** Parsed configs by path, kept while the file's size and modification time stay the same. */
const parsedConfigs = new Map<string, { mtimeMs: number; size: number; config: SSHConfig }>();

/**
 * Reads an ssh_config file; a missing file is an empty config. Every host of a run reads it: a file not
 * changed since it was last parsed is not parsed again.
 */
export function readSshConfig(file: string = join(homedir(), ".ssh", "config")): SSHConfig {
  if (!existsSync(file)) return SSHConfig.parse("");
  const info = statSync(file);
  const cached = parsedConfigs.get(file);
  if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.config;
  const text = readFileSync(file, "utf8");
  const config = SSHConfig.parse(text);
  parsedConfigs.set(file, { mtimeMs: info.mtimeMs, size: Buffer.byteLength(text), config });
  return config;
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? "root";
  }
}

/** `Match exec` is never run: a config file must not make lading execute commands. */
function computeFor(config: SSHConfig, host: string): ComputedConfig {
  return config.compute(host, { ignoreCase: true, matchExec: false });
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

/** Expands `~` and the ssh_config tokens %d %h %p %r %u %% in file names. */
export function expandPath(value: string, tokens: { hostname: string; port: number; user: string }): string {
  const home = homedir();
  const expanded = value.replace(/%([%dhpru])/g, (_m, token: string) => {
    switch (token) {
      case "d": return home;
      case "h": return tokens.hostname;
      case "p": return String(tokens.port);
      case "r": return tokens.user;
      case "u": return localUserName();
      default: return "%";
    }
  });
  return expanded === "~" ? home : expanded.startsWith("~/") ? join(home, expanded.slice(2)) : expanded;
}

/** Parses ProxyJump's `[user@]host[:port],...`; `none` means no jump. */
export function parseProxyJump(value: string): JumpHop[] {
  if (value.trim().toLowerCase() === "none") return [];
  return value.split(",").map((hopText) => {
    const text = hopText.trim().replace(/^ssh:\/\//, "");
    const at = text.lastIndexOf("@");
    const user = at >= 0 ? text.slice(0, at) : undefined;
    const rest = at >= 0 ? text.slice(at + 1) : text;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(rest);
    const match = bracketed ?? plain;
    if (!match?.[1]) throw new Error(`cannot read ProxyJump hop "${hopText}"`);
    return { host: match[1], user: user || undefined, port: match[2] ? Number(match[2]) : undefined };
  });
}

function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

interface Explicit {
  name: string;
  address?: string;
  port?: number;
  user?: string;
  key?: string;
  knownHosts?: string;
}

function resolveOne(explicit: Explicit, config: SSHConfig, opts: ConnectOptions, withJumps: boolean, extraKeys: readonly string[] = []): SshSettings {
  // Host patterns are matched against the inventory name and, failing that, against the address,
  // so both `Host lab*` and `Host 10.98.0.*` apply; the first value found wins, as in OpenSSH.
  const byName = computeFor(config, explicit.name);
  const byAddress = explicit.address && explicit.address !== explicit.name ? computeFor(config, explicit.address) : {};
  const pick = (key: string): string | string[] | undefined => byName[key] ?? byAddress[key];

  const configHostname = first(pick("hostname"))?.replace(/%([%h])/g, (_m, t: string) => (t === "h" ? explicit.name : "%"));
  const hostname = explicit.address ?? configHostname ?? explicit.name;
  const configPort = Number(first(pick("port")));
  const port = explicit.port ?? (Number.isInteger(configPort) && configPort > 0 ? configPort : 22);
  const user = explicit.user ?? first(pick("user")) ?? localUserName();
  const tokens = { hostname, port, user };

  const configIdentities = list(pick("identityfile")).map((f) => expandPath(f, tokens));
  const defaultIdentities = ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f));
  const identityFiles = explicit.key
    ? [expandPath(explicit.key, tokens)]
    : configIdentities.length > 0
      ? configIdentities
      : defaultIdentities;
  for (const key of extraKeys) if (!identityFiles.includes(key)) identityFiles.push(key);

  const knownHostsOverride = opts.knownHostsFile ?? explicit.knownHosts;
  const configKnownHosts = list(pick("userknownhostsfile")).map((f) => expandPath(f, tokens));
  const knownHostsFiles = knownHostsOverride
    ? [expandPath(knownHostsOverride, tokens)]
    : configKnownHosts.length > 0
      ? configKnownHosts
      : [join(homedir(), ".ssh", "known_hosts")];

  const countMax = Number(first(pick("serveralivecountmax")));
  const proxyJump = withJumps ? first(pick("proxyjump")) : undefined;
  const hops = proxyJump ? parseProxyJump(proxyJump) : [];
  return {
    name: explicit.name,
    hostname,
    port,
    user,
    identityFiles,
    identitiesOnly: first(pick("identitiesonly"))?.toLowerCase() === "yes",
    knownHostsFiles,
    connectTimeoutMs: opts.connectTimeoutMs ?? parseSeconds(first(pick("connecttimeout"))) ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveIntervalMs: opts.keepaliveIntervalMs ?? parseSeconds(first(pick("serveraliveinterval"))) ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: Number.isInteger(countMax) && countMax > 0 ? countMax : 3,
    // A hop's own ProxyJump is not followed: the target's list already names the whole chain.
    // The target's keys are also offered to its hops (OpenSSH would not): one deploy key usually opens the bastion too.
    jumps: hops.map((hop) =>
      resolveOne({ name: hop.host, user: hop.user, port: hop.port, knownHosts: explicit.knownHosts }, config, opts, false, identityFiles),
    ),
  };
}

/** Everything needed to open the SSH connection to `target`. */
export function resolveSshSettings(target: SshTarget, config: SSHConfig, opts: ConnectOptions = {}): SshSettings {
  return resolveOne(target, config, opts, true);
}
