// A deployment: one directory holding its inventory, globals.yml, passwords.yml and config/ overrides.
// loadProject reads and checks all of it (schemas, then parameters, then rules) and collects every
// problem before failing, so a user fixes them in one go. Nothing here opens a connection.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError, type Problem } from "../errors.js";
import { findInventoryFile, loadInventory, parseInventory, selectHosts, type Inventory } from "../inventory/index.js";
import { builtinRolesDir } from "../paths.js";
import type { DesiredState } from "../render/desired.js";
import { OverrideSet } from "../render/overrides.js";
import { renderDesiredState, type SecretValue } from "../render/render.js";
import type { Topology, TopologyHost } from "../render/computed.js";
import { readPasswords } from "../secrets/passwords-file.js";
import { encryptedPathOf, isEncryptedPath, KEY_FILE_ENV } from "../secrets/encrypted.js";
import { ParameterResolver } from "./params.js";
import { enableParameterName, loadRoles, type LoadedRole, type RoleSet } from "./roles.js";
import { portProblems, topologyProblems, type RuleInventory } from "./rules.js";
import { parseYaml, readYaml, type YamlSource } from "./source.js";
import { httpBackendHosts, sansOf } from "../tls/backend-hosts.js";
import { CERTIFICATES_DIR, loadBackendCertificate, loadCertificates, type BackendCertificate, type DeploymentCertificates } from "../tls/certificates.js";

/** The name the TLS private key goes by among the secrets (never a passwords.yml entry). */
export const TLS_KEY_SECRET = "tls_external_key";
/** The backends' key (tls_internal), a secret for redaction and file modes like HAProxy's. */
export const TLS_BACKEND_KEY_SECRET = "tls_internal_key";

export interface ProjectOptions {
  /** The deployment directory (default: the current directory). */
  dir?: string;
  /** Inventory file (default: inventory.yml, inventory.yaml, inventory, multinode or all-in-one in dir). */
  inventory?: string;
  /** Extra role folders; the deployment's own roles/ is always searched after the built-in roles. */
  rolesDirs?: string[];
  /** Passwords file (default: passwords.yml in dir). */
  passwords?: string;
  /** When false, blank or missing secrets are not an error (params, inventory). Default true. */
  requireSecrets?: boolean;
  /**
   * An environment of the deployment (environments/NAME/): its inventory and passwords.yml replace the
   * deployment's, its globals.yml is layered over the deployment's (its parameters win). Roles, config/
   * overrides and the other globals are shared.
   */
  environment?: string;
  /**
   * When false, the TLS certificates are not read nor checked (lading certificates, which makes them). Default
   * true: with tls_external on, every command refuses missing, expired, mismatched or unverifiable ones.
   */
  checkCertificates?: boolean;
  /**
   * The plaintexts of encrypted passwords files (passwords.yml.age), decrypted in memory by the caller
   * (decryptDeploymentSecrets), by the encrypted file's path.
   */
  decrypted?: ReadonlyMap<string, string>;
  /**
   * Texts to read instead of the files on disk, by absolute path (globals.yml files and the inventory): an edit
   * is checked by the same loader before it is written (src/model/edit-parameter.ts).
   */
  texts?: ReadonlyMap<string, string>;
}

/**
 * The passwords file of a deployment or environment folder: passwords.yml, or passwords.yml.age when only the
 * encrypted one exists. Both present is a problem (which one holds the secrets?).
 */
export function passwordsFileIn(folder: string, problems: Problem[] = []): string {
  const plain = join(folder, "passwords.yml");
  const encrypted = encryptedPathOf(plain);
  if (existsSync(encrypted) && existsSync(plain)) problems.push({ file: plain, message: `both ${plain} and ${encrypted} exist: keep one (lading secrets encrypt replaces the plain file)` });
  return !existsSync(plain) && existsSync(encrypted) ? encrypted : plain;
}

/**
 * Every encrypted passwords file a command on this deployment may read: the one -p names; with -e the
 * environment's (or the folder's, when the environment has none); else the folder's and each environment's.
 */
export function encryptedPasswordsFiles(opts: Pick<ProjectOptions, "dir" | "passwords" | "environment">): string[] {
  const dir = resolve(opts.dir ?? ".");
  if (opts.passwords) return isEncryptedPath(opts.passwords) ? [resolve(opts.passwords)] : [];
  if (opts.environment !== undefined) {
    const own = passwordsFileIn(join(dir, ENVIRONMENTS_DIR, opts.environment));
    return [existsSync(own) ? own : passwordsFileIn(dir)].filter(isEncryptedPath);
  }
  return [passwordsFileIn(dir), ...listEnvironments(dir).map((e) => passwordsFileIn(join(dir, ENVIRONMENTS_DIR, e)))].filter(isEncryptedPath);
}

/** Where a deployment keeps its environments. */
export const ENVIRONMENTS_DIR = "environments";

/** The environments of a deployment folder (the folders under environments/), sorted. */
export function listEnvironments(dir: string): string[] {
  const root = join(resolve(dir), ENVIRONMENTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The folder of an environment; InputError naming it (and the ones there are) when it does not exist. */
export function environmentDir(dir: string, name: string): string {
  const known = listEnvironments(dir);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !known.includes(name)) {
    const root = join(resolve(dir), ENVIRONMENTS_DIR);
    throw new InputError([
      {
        file: "--environment",
        message: `environment "${name}" not found: ${known.length ? `${root} holds ${known.map((k) => `"${k}"`).join(", ")}` : `${root} does not exist or holds no environment folder`}`,
      },
    ]);
  }
  return join(resolve(dir), ENVIRONMENTS_DIR, name);
}

export interface Project {
  dir: string;
  /** The environment selected (-e), if any. */
  environment?: string;
  inventoryFile: string;
  globalsFile: string;
  passwordsFile: string;
  inventory: Inventory;
  roles: RoleSet;
  /** Enabled roles in dependency order. */
  enabled: LoadedRole[];
  resolver: ParameterResolver;
  hostParams: Map<string, Record<string, unknown>>;
  secrets: Record<string, SecretValue>;
  overrides: OverrideSet;
  topology: Topology;
  hosts: TopologyHost[];
  /** The folder whose certificates/ holds the TLS material: the environment's when it has one. */
  certificatesDir: string;
  /** The checked TLS material, when tls_external is on (and checkCertificates not false). */
  certificates?: DeploymentCertificates;
  /** The checked backends' certificate, when tls_internal is on. */
  backendCertificate?: BackendCertificate;
}

function collect<T>(problems: Problem[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) {
      problems.push(...err.problems);
      return undefined;
    }
    throw err;
  }
}

export function loadProject(opts: ProjectOptions = {}): Project {
  const dir = resolve(opts.dir ?? ".");
  const problems: Problem[] = [];
  if (!existsSync(dir)) throw new InputError([{ file: dir, message: "deployment directory not found" }]);

  const envDir = opts.environment !== undefined ? environmentDir(dir, opts.environment) : undefined;
  const inventoryFile = opts.inventory ? resolve(opts.inventory) : ((envDir && findInventoryFile(envDir)) || findInventoryFile(dir));
  if (!inventoryFile) {
    throw new InputError([{ file: envDir ?? dir, message: "no inventory found (inventory.yml, inventory.yaml, inventory, multinode or all-in-one); name one with -i" }]);
  }
  const roles = collect(problems, () => loadRoles([builtinRolesDir, ...(opts.rolesDirs ?? []), join(dir, "roles")]));
  const text = (file: string): string | undefined => opts.texts?.get(file);
  const exists = (file: string): boolean => text(file) !== undefined || existsSync(file);
  const yamlOf = (file: string): YamlSource => {
    const t = text(file);
    return t === undefined ? readYaml(file) : parseYaml(file, t);
  };
  const inventory = collect(problems, () => {
    const t = text(inventoryFile);
    return t === undefined ? loadInventory(inventoryFile) : parseInventory(inventoryFile, t);
  });
  const globalsFile = join(dir, "globals.yml");
  const globals: YamlSource | undefined = exists(globalsFile) ? collect(problems, () => yamlOf(globalsFile)) : undefined;
  const envGlobalsFile = envDir ? join(envDir, "globals.yml") : undefined;
  const envGlobals: YamlSource | undefined = envGlobalsFile && exists(envGlobalsFile) ? collect(problems, () => yamlOf(envGlobalsFile)) : undefined;
  if (!roles || !inventory) throw new InputError(problems);

  const resolver = new ParameterResolver(roles.parameters, [globals, envGlobals]);
  const hostParams = new Map<string, Record<string, unknown>>();
  for (const host of inventory.hosts.values()) hostParams.set(host.name, resolver.forHost(host.vars));
  problems.push(...resolver.problems);

  const base = resolver.forHost(new Map());
  const enabled = roles.roles.filter((r) => base[enableParameterName(r.def.name)] !== false);
  const enabledNames = new Set(enabled.map((r) => r.def.name));
  problems.push(...resolver.missingRequired(hostParams.values(), (owner) => enabledNames.has(owner)));

  const envPasswords = envDir ? passwordsFileIn(envDir, problems) : undefined;
  const passwordsFile = opts.passwords ? resolve(opts.passwords) : envPasswords && existsSync(envPasswords) ? envPasswords : passwordsFileIn(dir, problems);
  const decrypted = isEncryptedPath(passwordsFile) ? opts.decrypted?.get(passwordsFile) : undefined;
  const keyMissing = isEncryptedPath(passwordsFile) && decrypted === undefined && existsSync(passwordsFile);
  let secrets: Record<string, SecretValue> = {};
  const usedSecrets = new Map([...roles.secrets].filter(([, s]) => enabledNames.has(s.role)));
  if (keyMissing) {
    if (opts.requireSecrets !== false) problems.push({ file: passwordsFile, message: `encrypted with age: give its key with --secrets-key FILE or ${KEY_FILE_ENV}=FILE` });
  } else if (opts.requireSecrets !== false) {
    const read = collect(problems, () => readPasswords(passwordsFile, usedSecrets, decrypted));
    if (read) secrets = Object.fromEntries(read);
  } else if (existsSync(passwordsFile)) {
    const read = collect([], () => readPasswords(passwordsFile, new Map(), decrypted));
    if (read) secrets = Object.fromEntries(read);
  }

  // TLS: checked here, so that every command refuses a bad certificate before it connects anywhere.
  const certificatesDir = envDir && existsSync(join(envDir, CERTIFICATES_DIR)) ? envDir : dir;
  let certificates: DeploymentCertificates | undefined;
  if (opts.checkCertificates !== false && base.tls_external === true && enabledNames.has("haproxy")) {
    const mustCover = [base.vip_address, base.tls_external_name].filter((x): x is string => typeof x === "string" && x !== "");
    const loaded = loadCertificates({ dir: certificatesDir, mustCover, now: Date.now() });
    problems.push(...loaded.problems);
    certificates = loaded.certificates;
    // The key is a secret like the others: redacted wherever lading prints, and only in 0600/0640 files.
    if (certificates) secrets = { ...secrets, [TLS_KEY_SECRET]: { private_key: certificates.keyPem, public_key: "" } };
  }
  let backendCertificate: BackendCertificate | undefined;
  if (opts.checkCertificates !== false && base.tls_internal === true && enabledNames.has("haproxy")) {
    const { addresses, names } = sansOf(httpBackendHosts(enabled, { hostsOf: (g) => (inventory.groups.has(g) ? inventory.hostsOf(g).map((h) => ({ name: h.name, address: h.address })) : []) }));
    const loaded = loadBackendCertificate({ dir: certificatesDir, mustCover: [...addresses, ...names], now: Date.now() });
    problems.push(...loaded.problems);
    backendCertificate = loaded.backend;
    if (backendCertificate) secrets = { ...secrets, [TLS_BACKEND_KEY_SECRET]: { private_key: backendCertificate.keyPem.trim(), public_key: "" } };
  }

  const ruleInv = ruleInventory(inventory);
  problems.push(
    ...topologyProblems(ruleInv, enabled, {
      vip: base.vip_address,
      vipSource: resolver.globalSource("vip_address"),
      // globals.yml unreadable, or its vip_address rejected: that is reported already; "must be set" would mislead.
      vipUnknown: (exists(globalsFile) && !globals) || (!!envGlobalsFile && exists(envGlobalsFile) && !envGlobals) || resolver.globalsUnusable || resolver.rejectedGlobals.has("vip_address"),
      globalsFile,
    }),
  );
  const overrides = new OverrideSet(dir);
  problems.push(...overrides.problems);
  const serviceDests = new Map(enabled.map((r) => [r.def.name, new Set((r.def.files ?? []).map((f) => f.dest.replace(/^.*\//, (m) => (f.dest.startsWith("/") ? "" : m))))]));
  problems.push(...overrides.unusedProblems(serviceDests, new Set(inventory.hosts.keys())));
  if (problems.length) throw new InputError(problems);

  const hosts: TopologyHost[] = [...inventory.hosts.values()].map((h) => ({ name: h.name, address: h.address }));
  // Asked for every host and role while rendering: each group's list is built once.
  const groupHosts = new Map<string, TopologyHost[]>();
  const topology: Topology = {
    hostsOf: (group) => {
      let list = groupHosts.get(group);
      if (!list) {
        list = inventory.groups.has(group) ? inventory.hostsOf(group).map((h) => ({ name: h.name, address: h.address })) : [];
        groupHosts.set(group, list);
      }
      return list;
    },
  };
  return { dir, environment: opts.environment, inventoryFile, globalsFile, passwordsFile, inventory, roles, enabled, resolver, hostParams, secrets, overrides, topology, hosts, certificatesDir, certificates, backendCertificate };
}

export interface RenderOptions {
  /** A host pattern (--limit). */
  limit?: string;
  /** Services to render (--service). */
  services?: string[];
}

/** Renders the desired state of the project; any problem (a missing value, a port clash) is an InputError. */
export function renderProject(project: Project, opts: RenderOptions = {}): DesiredState {
  const problems: Problem[] = [];
  let onlyHosts: Set<string> | undefined;
  if (opts.limit) {
    const patternProblems: Problem[] = [];
    const selected = collect(patternProblems, () => selectHosts(project.inventory, opts.limit!));
    problems.push(...patternProblems.map((p) => ({ ...p, file: "--limit" })));
    if (selected) onlyHosts = new Set(selected.map((h) => h.name));
  }
  let onlyServices: Set<string> | undefined;
  if (opts.services?.length) {
    for (const s of opts.services) {
      if (!project.roles.byName.has(s)) problems.push({ file: "--service", message: `unknown service "${s}"` });
      else if (!project.enabled.some((r) => r.def.name === s)) problems.push({ file: "--service", message: `service "${s}" is disabled (enable_${s.replace(/-/g, "_")})` });
    }
    onlyServices = new Set(opts.services);
  }
  if (problems.length) throw new InputError(problems);
  const result = renderDesiredState({
    roles: project.roles,
    enabled: project.enabled,
    topology: project.topology,
    hosts: project.hosts,
    hostParams: project.hostParams,
    secrets: project.secrets,
    overrides: project.overrides,
    tls:
      project.certificates || project.backendCertificate
        ? {
            bundle: project.certificates?.bundle ?? "",
            caFile: project.certificates?.caFile ?? project.backendCertificate!.caFile,
            caPem: project.certificates?.caPem ?? project.backendCertificate!.caPem,
            ...(project.backendCertificate ? { backend: { certificate: project.backendCertificate.certificatePem, key: project.backendCertificate.keyPem } } : {}),
          }
        : undefined,
    onlyHosts,
    onlyServices,
  });
  problems.push(...result.problems);
  problems.push(
    ...portProblems(result.state, project.roles.byName, (host, name) => project.inventory.hosts.get(host)?.vars.get(name)?.source ?? project.resolver.globalSource(name)),
  );
  if (problems.length) throw new InputError(problems);
  return result.state;
}

function ruleInventory(inv: Inventory): RuleInventory {
  return {
    file: inv.file,
    hostNames: () => [...inv.hosts.keys()],
    hostsOf: (g) => inv.hostsOf(g),
    hasGroup: (g) => inv.groups.has(g),
    groupsOf: (h) => inv.groupsOf(h).filter((g) => g !== "all" && g !== "ungrouped"),
    groupLocation: (g) => inv.groups.get(g)?.source ?? { file: inv.file },
    hostLocation: (h) => inv.hosts.get(h)?.source ?? { file: inv.file },
  };
}
