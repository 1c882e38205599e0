// Loads the shipped roles and builds a render context of the contract's shape for a fake inventory.
// A stand-in for the renderer, kept deliberately small and independent of it: the differential template
// tests (test/unit/render) use its contexts as an oracle. Role tests use the real renderer.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { builtinRolesDir } from "../../../src/paths.js";
import { readYaml, type YamlSource } from "../../../src/model/source.js";
import type { GlobalParameters } from "../../../src/generated/global.js";
import type { Role } from "../../../src/generated/role.js";

export interface LoadedRole {
  dir: string;
  file: string;
  source: YamlSource;
  role: Role;
}

export interface FakeHost {
  name: string;
  address: string;
}

/** Every folder of roles/ holding a role.yaml. */
export function loadShippedRoles(): LoadedRole[] {
  return readdirSync(builtinRolesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(builtinRolesDir, d.name, "role.yaml")))
    .map((d) => {
      const dir = join(builtinRolesDir, d.name);
      const file = join(dir, "role.yaml");
      const source = readYaml(file);
      return { dir, file, source, role: source.value() as Role };
    });
}

export type ParameterSpecs = GlobalParameters["parameters"];

export function loadGlobalParameters(): ParameterSpecs {
  const source = readYaml(join(builtinRolesDir, "global.yaml"));
  return (source.value() as GlobalParameters).parameters;
}

function render(template: string, context: object): string {
  return Handlebars.compile(template, { strict: true, noEscape: true })(context);
}

/** Declared defaults of every role and of global.yaml, then the given overrides (globals.yml's place). */
export function resolveParameters(roles: LoadedRole[], overrides: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const all: ParameterSpecs = { ...loadGlobalParameters() };
  for (const r of roles) Object.assign(all, r.role.parameters ?? {});
  for (const [name, spec] of Object.entries(all)) {
    if (spec && "default" in spec) values[name] = spec.default === null ? "" : spec.default;
  }
  return { ...values, ...overrides };
}

/** A secret value of the declared length, clearly fake. */
export function fakeSecrets(roles: LoadedRole[]): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const r of roles) {
    for (const [name, spec] of Object.entries(r.role.secrets ?? {})) {
      secrets[name] = `${name.replace(/_/g, "")}0123456789abcdefghijklmnopqrstuvwxyz`.slice(0, spec?.length ?? 16);
    }
  }
  return secrets;
}

/** The normalised load-balancer service the haproxy template reads (the shape the report asks the renderer for). */
function loadbalancerServices(roles: LoadedRole[], hosts: FakeHost[], params: object) {
  return roles.flatMap((r) =>
    (r.role.loadbalancer ?? []).map((e) => {
      const port = Number(render(String(e.port), params));
      const backendPort = e.backendPort === undefined ? port : Number(render(String(e.backendPort), params));
      const httpPath = e.check?.httpPath ?? "";
      const mysqlUser = e.check?.mysqlUser === undefined ? "" : render(e.check.mysqlUser, params);
      return {
        name: e.name,
        mode: e.mode ?? "http",
        port,
        backendPort,
        balance: e.balance ?? "roundrobin",
        activeBackup: e.activeBackup ?? false,
        check: {
          http: httpPath !== "",
          mysql: mysqlUser !== "",
          httpPath,
          mysqlUser,
          inter: e.check?.inter ?? "2s",
          rise: e.check?.rise ?? 2,
          fall: e.check?.fall ?? 3,
        },
        timeouts: { client: e.timeouts?.client ?? "1m", server: e.timeouts?.server ?? "1m" },
        backends: hosts.map((h, i) => ({
          name: h.name,
          address: h.address,
          port: backendPort,
          backup: (e.activeBackup ?? false) && i > 0,
        })),
      };
    }),
  );
}

/**
 * The render context of `role` on `host`, every group holding all `hosts` (the lab's layout).
 * Parameters are defaults plus `overrides`; secrets are fake.
 */
export function contextFor(
  role: LoadedRole,
  roles: LoadedRole[],
  hosts: FakeHost[],
  host: FakeHost,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const params = resolveParameters(roles, overrides);
  const base = {
    ...params,
    secrets: fakeSecrets(roles),
    host,
    service: { name: role.role.name, configDir: `${String(params["config_dir"])}/${role.role.name}` },
  };
  const computed: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(role.role.computed ?? {})) {
    if (!spec) continue;
    switch (spec.kind) {
      case "hosts":
        computed[name] = hosts.map((h, i) => ({ ...h, index: i, first: i === 0 }));
        break;
      case "addressList": {
        const port = spec.port === undefined ? "" : `:${render(String(spec.port), base)}`;
        const useNames = spec.useNames ?? false;
        const parts = hosts.map((h) => (useNames ? h.name : h.address) + port);
        computed[name] = (spec.prefix ?? "") + parts.join(spec.separator ?? ",");
        break;
      }
      case "hostIndex":
        computed[name] = hosts.findIndex((h) => h.name === host.name);
        break;
      case "firstHost":
        computed[name] = hosts[0]!.name;
        break;
      case "loadbalancerServices":
        computed[name] = loadbalancerServices(roles, hosts, base);
        break;
    }
  }
  return { ...base, ...computed };
}

/** Every file of the role rendered for the context: dest -> content. */
export function renderFiles(role: LoadedRole, context: object): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of role.role.files ?? []) {
    const text = readFileSync(join(role.dir, "templates", f.template), "utf8");
    out.set(f.dest, render(text, context));
  }
  return out;
}

/** Renders every string of a role.yaml value (containers, registrations...) the way the renderer will. */
export function renderStrings<T>(value: T, context: object): T {
  if (typeof value === "string") return render(value, context) as T;
  if (Array.isArray(value)) return value.map((v) => renderStrings(v, context)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderStrings(v, context)])) as T;
  }
  return value;
}
