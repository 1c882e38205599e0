// Renders every enabled service for every host: config files, containers and registrations.
// Pure: reads only what it is given, writes nothing.
import { basename, isAbsolute } from "node:path";
import type { Problem } from "../errors.js";
import type { Container, LbEntry } from "../generated/role.js";
import type { LoadedRole, RoleSet } from "../model/roles.js";
import { computeValue, type Topology, type TopologyHost } from "./computed.js";
import type { DesiredContainer, DesiredFile, DesiredJob, DesiredHost, DesiredLbEntry, DesiredService, DesiredState, DesiredVolume } from "./desired.js";
import type { OverrideSet } from "./overrides.js";
import { SecretScanner } from "./secret-scanner.js";
import { compileTemplate, RenderMemo, TemplateError, type CompiledTemplate } from "./template.js";

export type { SecretValue } from "../secrets/secret-value.js";
import type { SecretValue } from "../secrets/secret-value.js";

export interface RenderInput {
  roles: RoleSet;
  /** Roles to render, in dependency order. */
  enabled: LoadedRole[];
  topology: Topology;
  /** Every host of the inventory, in inventory order. */
  hosts: TopologyHost[];
  hostParams: Map<string, Record<string, unknown>>;
  secrets: Record<string, SecretValue>;
  overrides?: OverrideSet;
  /** Render only these hosts (--limit); computed values still see every host. */
  onlyHosts?: Set<string>;
  /** Render only these services (--service). */
  onlyServices?: Set<string>;
  /** The deployment's TLS certificate (tls_external): HAProxy's crt bundle, and the CA file clients trust (a path on the controller). */
  tls?: { bundle: string; caFile: string; caPem: string; backend?: { certificate: string; key: string } };
}

export interface RenderResult {
  state: DesiredState;
  problems: Problem[];
}

/** Every string value of a secret, for checks that a secret lands only where it may. */
export function secretStrings(secrets: Record<string, SecretValue>): string[] {
  const out: string[] = [];
  for (const v of Object.values(secrets)) {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) out.push(...v);
    else out.push(v.private_key, v.public_key);
  }
  return out.filter((s) => s.length >= 6);
}

// The string fields of role.yaml, compiled once per process (the same text compiles to the same template).
const stringTemplates = new Map<string, CompiledTemplate>();

export function renderDesiredState(input: RenderInput): RenderResult {
  const r = new Renderer(input);
  return r.run();
}

/** "host n1", "hosts n1, n2, n3", "hosts n1, n2, n3 and 997 more". */
function describeHosts(hosts: string[]): string {
  if (hosts.length === 1) return `host ${hosts[0]}`;
  const shown = hosts.slice(0, 3).join(", ");
  return hosts.length > 3 ? `hosts ${shown} and ${hosts.length - 3} more` : `hosts ${shown}`;
}

class Renderer {
  // One entry per distinct problem, with the hosts it happened on: a template error in a role that runs
  // on 1000 hosts is one problem, not 1000.
  // A Set, not an array: a problem of a role on 5000 hosts was 12.5 million comparisons with includes().
  private readonly reported = new Map<string, { problem: Problem; hosts: Set<string> }>();
  private readonly secretValues: string[];
  private readonly secretScanner: SecretScanner;
  private readonly lbCache = new Map<string, DesiredLbEntry[]>();
  // Computed values that do not depend on the host being rendered (a group's host list, its address list,
  // its first host), computed once per role: a 1000-host group would otherwise be rebuilt for every host.
  private readonly sharedComputed = new Map<string, unknown>();
  // An {{#each}} over a list shared by every host (a group's hosts) is rendered once, not once per host.
  private readonly memo = new RenderMemo();

  constructor(private readonly input: RenderInput) {
    this.secretValues = secretStrings(input.secrets);
    this.secretScanner = new SecretScanner(this.secretValues);
  }

  run(): RenderResult {
    const hosts = new Map<string, DesiredHost>();
    const roleHosts = new Map<string, Set<string>>();
    for (const role of this.input.enabled) {
      const set = new Set<string>();
      for (const g of role.def.groups) for (const h of this.input.topology.hostsOf(g)) set.add(h.name);
      roleHosts.set(role.def.name, set);
    }
    for (const host of this.input.hosts) {
      if (this.input.onlyHosts && !this.input.onlyHosts.has(host.name)) continue;
      const services: DesiredService[] = [];
      for (const role of this.input.enabled) {
        if (this.input.onlyServices && !this.input.onlyServices.has(role.def.name)) continue;
        if (!roleHosts.get(role.def.name)!.has(host.name)) continue;
        const svc = this.renderService(role, host);
        if (svc) services.push(svc);
      }
      const stateFile = `${String(this.params(host.name).config_dir ?? "/etc/lading")}/.lading/state.json`;
      hosts.set(host.name, { name: host.name, address: host.address, stateFile, services });
    }
    const problems = [...this.reported.values()].map(({ problem, hosts: seen }) => ({ problem, hosts: [...seen] })).map(({ problem, hosts }) =>
      hosts.length ? { ...problem, message: `${problem.message} (rendering for ${describeHosts(hosts)})` } : problem,
    );
    return { state: { hosts }, problems };
  }

  private report(p: Problem, host?: string): void {
    const key = `${p.file}:${p.line}:${p.column}:${p.path}:${p.message}`;
    const prior = this.reported.get(key);
    if (!prior) this.reported.set(key, { problem: p, hosts: new Set(host ? [host] : []) });
    else if (host) prior.hosts.add(host);
  }

  private params(host: string): Record<string, unknown> {
    const p = this.input.hostParams.get(host);
    if (!p) throw new Error(`no parameters resolved for host ${host}`);
    return p;
  }

  /** The template context of a role on a host (see README "Render context"). */
  private context(role: LoadedRole, host: TopologyHost): Record<string, unknown> {
    const params = this.params(host.name);
    const configDir = `${String(params.config_dir ?? "/etc/lading")}/${role.def.name}`;
    // A plain spread, then the added keys one by one: V8 copies a spread alone by its shape, but a spread
    // with more keys in the same literal property by property (ten times slower on 10,000 contexts).
    const ctx: Record<string, unknown> = { ...params };
    ctx.host = { name: host.name, address: host.address };
    ctx.service = { name: role.def.name, configDir };
    ctx.secrets = this.input.secrets;
    this.addEndpointValues(ctx);
    for (const [name, decl] of Object.entries(role.def.computed ?? {})) {
      const shared = decl.kind === "hosts" || decl.kind === "addressList" || decl.kind === "firstHost";
      const key = `${role.def.name}\0${name}`;
      if (shared && this.sharedComputed.has(key)) {
        ctx[name] = this.sharedComputed.get(key);
        continue;
      }
      ctx[name] = computeValue(
        decl,
        host,
        this.input.topology,
        (port, forHost) => this.renderPort(port, this.baseContext(forHost), role, ["computed", name, "port"]),
        () => this.loadbalancerServices(host),
        () => ({
          bundle: this.input.tls?.bundle ?? "",
          ca: this.input.tls?.caPem ?? "",
          backendCertificate: this.input.tls?.backend?.certificate ?? "",
          backendKey: this.input.tls?.backend?.key ?? "",
        }),
      );
      if (shared) this.sharedComputed.set(key, ctx[name]);
    }
    return ctx;
  }

  /** Parameters and host only: what a port template of another host is rendered with. */
  private baseContext(host: TopologyHost): Record<string, unknown> {
    const ctx: Record<string, unknown> = { ...this.params(host.name) };
    ctx.host = { name: host.name, address: host.address };
    ctx.secrets = this.input.secrets;
    this.addEndpointValues(ctx);
    return ctx;
  }

  /**
   * How clients reach the VIP's HTTP frontends: vip_protocol ("https" where HAProxy terminates TLS, tls_external)
   * for the URLs a role registers or writes for its clients, and tls_ca_file, the CA they must trust (the path of
   * certificates/ca.pem on the controller, for the operator's files; null without TLS); backend_protocol, how HAProxy
   * and lading's probes reach a service's own HTTP port ("https" with tls_internal).
   */
  private addEndpointValues(ctx: Record<string, unknown>): void {
    const tls = ctx.tls_external === true;
    ctx.vip_protocol = tls ? "https" : "http";
    ctx.backend_protocol = ctx.tls_internal === true ? "https" : "http";
    ctx.tls_ca_file = tls && this.input.tls ? this.input.tls.caFile : null;
  }

  private renderString(text: string, ctx: Record<string, unknown>, role: LoadedRole, path: (string | number)[], host: string): string {
    if (!text.includes("{{")) return text;
    let t = stringTemplates.get(text);
    try {
      if (!t) {
        t = compileTemplate(text);
        stringTemplates.set(text, t);
      }
      return t.render(ctx, this.memo);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      this.report(role.source.problem(path, err.message), host);
      return "";
    }
  }

  private renderPort(port: number | string, ctx: Record<string, unknown>, role: LoadedRole, path: (string | number)[]): number {
    if (typeof port === "number") return port;
    const host = (ctx.host as { name: string }).name;
    const text = this.renderString(port, ctx, role, path, host);
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      if (text !== "") this.report(role.source.problem(path, `must render to a port (1-65535), got ${JSON.stringify(text)}`), host);
      return 0;
    }
    return n;
  }

  private renderService(role: LoadedRole, host: TopologyHost): DesiredService | undefined {
    const ctx = this.context(role, host);
    const service = ctx.service as { name: string; configDir: string };
    const files: DesiredFile[] = [];
    const allContainers = Object.keys(role.def.containers ?? {});
    (role.def.files ?? []).forEach((f, i) => {
      if (f.when !== undefined && ctx[f.when] !== true) return;
      const tpl = role.templates.get(f.template);
      if (!tpl) return;
      let content = "";
      let parts: string[];
      try {
        parts = tpl.compiled.renderParts(ctx, this.memo);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        this.report({ file: tpl.file, line: err.line, column: err.column, ...(err.path ? { path: err.path } : {}), message: err.message }, host.name);
        return;
      }
      // Concatenated, not joined: a part shared by every host stays one string.
      for (const part of parts) content += part;
      const rendered = content;
      const dest = this.renderString(f.dest, ctx, role, ["files", i, "dest"], host.name);
      const path = isAbsolute(dest) ? dest : `${service.configDir}/${dest}`;
      if (this.input.overrides) {
        const merged = this.input.overrides.apply(role.def.name, host.name, isAbsolute(dest) ? basename(dest) : dest, f.format ?? "text", content);
        if (merged.problems.length) merged.problems.forEach((p) => this.report(p));
        else content = merged.content;
      }
      const mode = f.mode ?? "0644";
      const holdsSecret = (): boolean => (content === rendered ? this.secretScanner.inParts(parts) : this.secretScanner.inText(content));
      if (!["0600", "0640", "0400", "0440"].includes(mode) && holdsSecret()) {
        this.report(role.source.problem(["files", i, "mode"], `"${f.template}" holds a secret, so its mode must be 0600 or 0640, not ${mode}`));
      }
      const hr = f.hotReload;
      const hotReload = hr && {
        container: hr.container,
        script: hr.script,
        args: (hr.args ?? []).map((a, j) => this.renderString(a, ctx, role, ["files", i, "hotReload", "args", j], host.name)),
        says: hr.says,
        ...(hr.full ? { full: true } : {}),
      };
      files.push({ service: role.def.name, path, content, mode, owner: f.owner ?? "root", restarts: f.restarts ?? allContainers, template: f.template, ...(hotReload ? { hotReload } : {}) });
    });

    files.push(...this.renderKeyRepositories(role, host.name, service.configDir));

    const containers = Object.entries(role.def.containers ?? {}).map(([name, c]) => this.renderContainer(role, name, c, ctx, host.name, service.configDir));
    const db = role.def.database;
    const mq = role.def.messaging;
    const jobs = this.renderJobs(role, ctx, host.name, containers, files, service.configDir);
    const operatorFiles = (role.def.operatorFiles ?? []).flatMap((f) => {
      const tpl = role.templates.get(f.template);
      if (!tpl) return [];
      try {
        return [{ dest: f.dest, content: tpl.compiled.renderParts(ctx, this.memo).join("") }];
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        this.report({ file: tpl.file, line: err.line, column: err.column, ...(err.path ? { path: err.path } : {}), message: err.message }, host.name);
        return [];
      }
    });
    return {
      name: role.def.name,
      configDir: service.configDir,
      files,
      containers,
      database: db && {
        name: this.renderString(db.name, ctx, role, ["database", "name"], host.name),
        user: this.renderString(db.user, ctx, role, ["database", "user"], host.name),
        passwordSecret: db.passwordSecret,
      },
      jobs,
      operatorFiles,
      messaging: mq && {
        vhost: this.renderString(mq.vhost ?? "/", ctx, role, ["messaging", "vhost"], host.name),
        user: this.renderString(mq.user, ctx, role, ["messaging", "user"], host.name),
        passwordSecret: mq.passwordSecret,
      },
      ...this.renderCatalog(role, ctx, host.name),
      rollout: this.renderRollout(role, ctx),
      dependsOn: [...(role.def.dependsOn ?? [])],
      loadBalanced: (role.def.loadbalancer ?? []).length > 0,
    };
  }

  private renderContainer(role: LoadedRole, name: string, c: Container, ctx: Record<string, unknown>, host: string, configDir: string): DesiredContainer {
    const at = (...p: (string | number)[]): (string | number)[] => ["containers", name, ...p];
    const str = (s: string, ...p: (string | number)[]): string => this.renderString(s, ctx, role, at(...p), host);
    const list = (xs: string[] | undefined, field: string): string[] | undefined => xs?.map((x, i) => str(x, field, i));
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.environment ?? {})) {
      const value = str(v, "environment", k);
      if (this.secretValues.some((s) => value.includes(s))) {
        this.report(role.source.problem(at("environment", k), "holds a secret: secrets go in config files, never in environment variables"));
        continue;
      }
      environment[k] = value;
    }
    const volumes: DesiredVolume[] = (c.volumes ?? []).map((v, i) => {
      if (v.config) return { kind: "bind", source: configDir, target: v.target, readOnly: v.readOnly ?? true };
      const source = str(v.source ?? "", "volumes", i, "source");
      if (!source) this.report(role.source.problem(at("volumes", i), "needs a source (a volume name or an absolute path) or config: true"));
      return { kind: source.startsWith("/") ? "bind" : "volume", source, target: str(v.target, "volumes", i, "target"), readOnly: v.readOnly ?? false };
    });
    const hc = c.healthcheck;
    return {
      service: role.def.name,
      name,
      image: str(c.image, "image"),
      command: list(c.command, "command"),
      entrypoint: list(c.entrypoint, "entrypoint"),
      user: c.user !== undefined ? str(c.user, "user") : undefined,
      environment,
      volumes,
      privileged: c.privileged ?? false,
      capAdd: c.capAdd ?? [],
      capDrop: c.capDrop ?? [],
      ulimits: c.ulimits ?? {},
      sysctls: c.sysctls ?? {},
      tmpfs: c.tmpfs ?? [],
      stopTimeout: c.stopTimeout,
      stopSignal: c.stopSignal,
      restartPolicy: c.restartPolicy ?? "unless-stopped",
      healthcheck: hc && {
        test: hc.test.map((x, i) => str(x, "healthcheck", "test", i)),
        interval: hc.interval ?? "10s",
        timeout: hc.timeout ?? "5s",
        retries: hc.retries ?? 3,
        startPeriod: hc.startPeriod ?? "10s",
      },
      ports: (c.ports ?? []).map((p, i) => this.renderPort(p, ctx, role, at("ports", i))),
      bootstrapCommand: c.bootstrap?.command && list(c.bootstrap.command, "bootstrap"),
    };
  }

  /**
   * The role's key repositories as files: <dest>/0 the staged key ... <dest>/N-1 the primary, one key each, mode
   * 0600. A key changes no container unless the entry says so (Keystone reads its keys at each use).
   */
  private renderKeyRepositories(role: LoadedRole, host: string, configDir: string): DesiredFile[] {
    return (role.def.keyRepositories ?? []).flatMap((r, i) => {
      const declared = role.def.secrets?.[r.secret];
      if (declared?.kind !== "key_repository") {
        this.report(role.source.problem(["keyRepositories", i, "secret"], declared ? `"${r.secret}" is a secret of kind ${declared.kind}, not key_repository` : `no secret "${r.secret}" in this role's secrets`), host);
        return [];
      }
      const keys = this.input.secrets[r.secret];
      if (!Array.isArray(keys)) return [];
      return keys.map((key, n) => ({
        service: role.def.name,
        path: `${configDir}/${r.dest}/${n}`,
        content: key,
        mode: "0600",
        owner: r.owner ?? "root",
        restarts: r.restarts ?? [],
        template: `${r.secret}[${n}]`,
      }));
    });
  }

  /** The role's catalog entry (where its `when` holds) and, for the identity service, how entries are registered. */
  private renderCatalog(role: LoadedRole, ctx: Record<string, unknown>, host: string): Pick<DesiredService, "catalog" | "identity"> {
    const out: Pick<DesiredService, "catalog" | "identity"> = {};
    const str = (s: string, ...path: (string | number)[]): string => this.renderString(s, ctx, role, path, host);
    const c = role.def.catalog;
    if (c && (c.when === undefined || ctx[c.when] === true)) {
      out.catalog = {
        name: c.name !== undefined ? str(c.name, "catalog", "name") : role.def.name,
        type: c.type,
        description: c.description !== undefined ? str(c.description, "catalog", "description") : "",
        endpoints: Object.fromEntries(Object.entries(c.endpoints).map(([iface, url]) => [iface, str(url as string, "catalog", "endpoints", iface)])),
      };
    }
    const id = role.def.identity;
    if (id) {
      const container = id.container ?? Object.keys(role.def.containers ?? {})[0];
      if (!container || !(container in (role.def.containers ?? {}))) {
        this.report(role.source.problem(["identity", "container"], id.container === undefined ? "identity: needs a container of the role to run its command in" : `no container "${id.container}" in this role`), host);
      } else if (!role.def.secrets?.[id.passwordSecret]) {
        this.report(role.source.problem(["identity", "passwordSecret"], `no secret "${id.passwordSecret}" in this role's secrets`), host);
      } else {
        out.identity = {
          container,
          command: id.command.map((x, i) => str(x, "identity", "command", i)),
          url: str(id.url, "identity", "url"),
          user: str(id.user, "identity", "user"),
          project: str(id.project, "identity", "project"),
          domain: id.domain ?? "Default",
          passwordSecret: id.passwordSecret,
          region: str(id.region, "identity", "region"),
        };
      }
    }
    return out;
  }

  /** The role's jobs for this host: each with its container, its rendered command and the paths of its input files. */
  private renderJobs(role: LoadedRole, ctx: Record<string, unknown>, host: string, containers: DesiredContainer[], files: DesiredFile[], configDir: string): DesiredJob[] {
    return (role.def.jobs ?? []).flatMap((j, i) => {
      const container = j.container === undefined ? containers[0] : containers.find((c) => c.name === j.container);
      if (!container) {
        this.report(role.source.problem(["jobs", i, "container"], j.container === undefined ? "a job needs a container of the role (its image and mounts)" : `no container "${j.container}" in this role`));
        return [];
      }
      const command = j.command.map((x, k) => this.renderString(x, ctx, role, ["jobs", i, "command", k], host));
      if (command.some((x) => this.secretValues.some((s) => x.includes(s)))) {
        this.report(role.source.problem(["jobs", i, "command"], "holds a secret: a job reads secrets from its mounted config files, never from its command line"));
        return [];
      }
      const inputs =
        j.inputs === undefined
          ? files.map((f) => f.path)
          : j.inputs.flatMap((d) => {
              const path = isAbsolute(d) ? d : `${configDir}/${d}`;
              // A directory (a key repository): every file of the role under it.
              return d.endsWith("/") ? files.filter((f) => f.path.startsWith(path)).map((f) => f.path) : [path];
            });
      return [{ name: j.name, container, command, inputs, timeout: j.timeout ?? "10m" }];
    });
  }

  /** The rollout with its gate's port (a template) rendered for this host. */
  private renderRollout(role: LoadedRole, ctx: Record<string, unknown>): DesiredService["rollout"] {
    const rollout = role.def.rollout ?? {};
    const gate = rollout.gate;
    if (!gate || !("port" in gate)) return rollout;
    const rendered = { ...gate, port: this.renderPort(gate.port, ctx, role, ["rollout", "gate", "port"]) };
    // An http gate's tls holds only where its parameter is on: the probe is HTTPS there, plain HTTP elsewhere.
    if (rendered.kind === "http" && rendered.tls && ctx[rendered.tls.when] !== true) delete rendered.tls;
    return { ...rollout, gate: rendered };
  }

  /** Every load-balancer entry of every enabled role, with its backends, as seen from `host`. */
  private loadbalancerServices(host: TopologyHost): DesiredLbEntry[] {
    const cached = this.lbCache.get(host.name);
    if (cached) return cached;
    const ctx = this.baseContext(host);
    const out: DesiredLbEntry[] = [];
    for (const role of this.input.enabled) {
      (role.def.loadbalancer ?? []).forEach((e: LbEntry, i) => {
        const port = this.renderPort(e.port, ctx, role, ["loadbalancer", i, "port"]);
        const backendHosts = this.input.topology.hostsOf(e.backendGroup);
        out.push({
          service: role.def.name,
          name: e.name,
          mode: e.mode ?? "http",
          port,
          backendPort: e.backendPort !== undefined ? this.renderPort(e.backendPort, ctx, role, ["loadbalancer", i, "backendPort"]) : port,
          backendGroup: e.backendGroup,
          balance: e.balance ?? "roundrobin",
          activeBackup: e.activeBackup ?? false,
          check: {
            http: e.check?.httpPath !== undefined,
            mysql: e.check?.mysqlUser !== undefined,
            httpPath: e.check?.httpPath ?? "",
            mysqlUser: e.check?.mysqlUser !== undefined ? this.renderString(e.check.mysqlUser, ctx, role, ["loadbalancer", i, "check", "mysqlUser"], host.name) : "",
            inter: e.check?.inter ?? "2s",
            rise: e.check?.rise ?? 2,
            fall: e.check?.fall ?? 3,
          },
          timeouts: { client: e.timeouts?.client ?? "1m", server: e.timeouts?.server ?? "1m" },
          // TLS is HAProxy's for HTTP frontends only: a TCP one (MariaDB) speaks its own protocol's TLS.
          tls: (e.mode ?? "http") === "http" && ctx.tls_external === true,
          tlsRedirect: (e.mode ?? "http") === "http" && ctx.tls_external === true && ctx.tls_redirect === true,
          // tls_internal: HAProxy speaks TLS to an HTTP service's own port and verifies its certificate against the CA.
          backendTls: (e.mode ?? "http") === "http" && ctx.tls_internal === true,
          http: (e.mode ?? "http") === "http",
          backends: backendHosts.map((b, j) => ({
            name: b.name,
            address: b.address,
            port: e.backendPort !== undefined ? this.renderPort(e.backendPort, this.baseContext(b), role, ["loadbalancer", i, "backendPort"]) : port,
            backup: (e.activeBackup ?? false) && j > 0,
          })),
        });
      });
    }
    this.lbCache.set(host.name, out);
    return out;
  }
}
