// Loads role folders (roles/<service>/role.yaml + templates/) and checks what the schema cannot.
import { isHostScriptName } from "../host-scripts/index.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Problem } from "../errors.js";
import { InputError } from "../errors.js";
import type { Parameter, Role } from "../generated/role.js";
import { compileTemplate, TemplateError, type CompiledTemplate } from "../render/template.js";
import type { DeclaredSecrets } from "../secrets/declared-secrets.js";
import { builtinRolesDir } from "../paths.js";
import { checkPrecompiledSchema } from "./precompiled-schemas.js";
import { readErrorMessage, readTextFile } from "./read-text.js";
import { readYaml, type YamlSource } from "./source.js";

/** A template file of a role, compiled once. */
export interface RoleTemplate {
  file: string;
  text: string;
  compiled: CompiledTemplate;
}

/** A role as loaded: its definition, where it came from, and its templates. */
export interface LoadedRole {
  def: Role;
  dir: string;
  file: string;
  source: YamlSource;
  templates: Map<string, RoleTemplate>;
}

/** A declared parameter with the file that declares it. */
export interface DeclaredParameter {
  name: string;
  decl: Parameter;
  /** The role that declares it, or "global" for roles/global.yaml, or "enable" for enable_<role>. */
  owner: string;
  file: string;
  source?: YamlSource;
}


export interface RoleSet {
  /** In dependency order (a role after every role it depends on), then by name. */
  roles: LoadedRole[];
  byName: Map<string, LoadedRole>;
  parameters: Map<string, DeclaredParameter>;
  secrets: DeclaredSecrets;
}

/** The parameter every role gets for free: `enable_<role>` turns it on or off. */
export function enableParameterName(role: string): string {
  return `enable_${role.replace(/-/g, "_")}`;
}

/**
 * Loads the roles found in `dirs` (later folders override earlier ones by role name, so a deployment's
 * own roles/ can replace a built-in role) and the global parameters of every `global.yaml` in them.
 */
export function loadRoles(dirs: string[]): RoleSet {
  const problems: Problem[] = [];
  const found = new Map<string, string>();
  const globalFiles: string[] = [];
  for (const dir of [...new Set(dirs.map((d) => resolve(d)))]) {
    if (!existsSync(dir)) continue;
    if (existsSync(join(dir, "global.yaml"))) globalFiles.push(join(dir, "global.yaml"));
    for (const entry of readdirSync(dir).sort()) {
      const roleFile = join(dir, entry, "role.yaml");
      let isDir: boolean;
      try {
        isDir = statSync(join(dir, entry)).isDirectory();
      } catch (err) {
        // A dangling link or a link loop among the role folders: not a role, but worth saying.
        problems.push({ file: join(dir, entry), message: readErrorMessage(err, "symbolic link to nothing (its target does not exist)") });
        continue;
      }
      if (isDir && existsSync(roleFile)) found.set(entry, join(dir, entry));
    }
  }

  const parameters = new Map<string, DeclaredParameter>();
  const secrets: DeclaredSecrets = new Map();
  // `where` is located only for a problem: locating parses a file that came parsed from the build.
  const declare = (p: DeclaredParameter, where: () => Problem): void => {
    const prior = parameters.get(p.name);
    if (prior && prior.file !== p.file) {
      problems.push({ ...where(), message: `parameter "${p.name}" is already declared by ${prior.owner} (${prior.file})` });
      return;
    }
    parameters.set(p.name, p);
  };

  for (const file of globalFiles) {
    const source = tryRead(file, problems);
    if (!source) continue;
    const schemaProblems = checkPrecompiledSchema("global.schema.json", source);
    problems.push(...schemaProblems);
    if (schemaProblems.length) continue;
    const value = source.value() as { parameters: Record<string, Parameter> };
    for (const [name, decl] of Object.entries(value.parameters)) {
      declare({ name, decl, owner: "global", file, source }, () => source.problem(["parameters", name], ""));
    }
  }

  const builtinRoles = resolve(builtinRolesDir);
  const loaded: LoadedRole[] = [];
  for (const [folder, dir] of found) {
    const file = join(dir, "role.yaml");
    const source = tryRead(file, problems);
    if (!source) continue;
    const schemaProblems = checkPrecompiledSchema("role.schema.json", source);
    problems.push(...schemaProblems);
    if (schemaProblems.length) continue;
    const def = source.value() as Role;
    if (def.name !== folder) {
      problems.push(source.problem(["name"], `role name "${def.name}" must equal its folder name "${folder}"`));
    }
    const role: LoadedRole = { def, dir, file, source, templates: new Map() };
    loadTemplates(role, problems, dirname(dir) === builtinRoles);
    checkRoleInternals(role, problems);
    loaded.push(role);

    const enable = enableParameterName(def.name);
    declare(
      { name: enable, owner: "enable", file, decl: { type: "boolean", default: def.enabledByDefault ?? true, description: `Deploy the ${def.name} service.` } },
      () => source.problem(["name"], ""),
    );
    for (const [name, decl] of Object.entries(def.parameters ?? {})) {
      declare({ name, decl, owner: def.name, file, source }, () => source.problem(["parameters", name], "", { key: true }));
    }
    for (const [name, decl] of Object.entries(def.secrets ?? {})) {
      const prior = secrets.get(name);
      if (prior && (prior.kind !== decl.kind || prior.length !== decl.length)) {
        problems.push(source.problem(["secrets", name], `secret "${name}" is also declared by ${prior.role} with another kind or length`, { key: true }));
        continue;
      }
      if (!prior) secrets.set(name, { ...decl, role: def.name });
    }
  }

  const byName = new Map(loaded.map((r) => [r.def.name, r]));
  for (const role of loaded) {
    for (const name of Object.keys(role.def.computed ?? {})) {
      if (parameters.has(name)) {
        problems.push(role.source.problem(["computed", name], `computed value "${name}" has the name of a parameter`, { key: true }));
      }
    }
    (role.def.dependsOn ?? []).forEach((dep, i) => {
      if (!byName.has(dep)) problems.push(role.source.problem(["dependsOn", i], `unknown role "${dep}"`));
    });
    if (role.def.database && !role.def.secrets?.[role.def.database.passwordSecret]) {
      problems.push(role.source.problem(["database", "passwordSecret"], `"${role.def.database.passwordSecret}" is not a secret of this role`));
    }
    if (role.def.messaging && !role.def.secrets?.[role.def.messaging.passwordSecret]) {
      problems.push(role.source.problem(["messaging", "passwordSecret"], `"${role.def.messaging.passwordSecret}" is not a secret of this role`));
    }
    (role.def.files ?? []).forEach((f, i) => {
      const hr = f.hotReload;
      if (!hr) return;
      if (!role.def.containers?.[hr.container]) problems.push(role.source.problem(["files", i, "hotReload", "container"], `"${hr.container}" is not a container of this role`));
      if (!isHostScriptName(hr.script)) problems.push(role.source.problem(["files", i, "hotReload", "script"], `"${hr.script}" is not a host script of lading (src/host-scripts/)`));
    });
  }
  if (problems.length) throw new InputError(problems);

  return { roles: orderByDependencies(loaded, problems), byName, parameters, secrets };
}

function tryRead(file: string, problems: Problem[]): YamlSource | undefined {
  try {
    return readYaml(file);
  } catch (err) {
    if (err instanceof InputError) {
      problems.push(...err.problems);
      return undefined;
    }
    throw err;
  }
}

/**
 * Reads a role's templates and compiles them, reporting the ones that do not compile. A built-in role's templates
 * (lading's own, every one compiled by its tests) compile when first rendered instead: a run renders only the
 * roles it enables, and compiling the others cost tens of milliseconds of every start.
 */
function loadTemplates(role: LoadedRole, problems: Problem[], builtin: boolean): void {
  const used: { template: string; at: (string | number)[] }[] = [
    ...(role.def.files ?? []).map((f, i) => ({ template: f.template, at: ["files", i, "template"] })),
    ...(role.def.operatorFiles ?? []).map((f, i) => ({ template: f.template, at: ["operatorFiles", i, "template"] })),
  ];
  used.forEach((f) => {
    const file = join(role.dir, "templates", f.template);
    if (role.templates.has(f.template)) return;
    if (!existsSync(file)) {
      problems.push(role.source.problem(f.at, `template "${f.template}" not found in ${join(role.dir, "templates")}`));
      return;
    }
    let text: string;
    try {
      text = readTextFile(file);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(...err.problems);
      return;
    }
    if (builtin) {
      let compiled: CompiledTemplate | undefined;
      role.templates.set(f.template, {
        file,
        text,
        get compiled(): CompiledTemplate {
          return (compiled ??= compileTemplate(text));
        },
      });
      return;
    }
    const compiled = compileTemplateFile(file, text, problems);
    if (compiled) role.templates.set(f.template, { file, text, compiled });
  });
}

/** Compiles a template at load time, so that a syntax error or a refused construct is reported with its line. */
function compileTemplateFile(file: string, text: string, problems: Problem[]): CompiledTemplate | undefined {
  try {
    return compileTemplate(text);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    problems.push({ file, line: err.line, column: err.column, ...(err.path ? { path: err.path } : {}), message: `template error: ${err.message}` });
    return undefined;
  }
}

/** The problem of a template that does not compile (a syntax error, a helper, a partial...), if any. */
export function templateSyntaxProblem(file: string, text: string): Problem | undefined {
  const problems: Problem[] = [];
  compileTemplateFile(file, text, problems);
  return problems[0];
}

function checkRoleInternals(role: LoadedRole, problems: Problem[]): void {
  const containers = new Set(Object.keys(role.def.containers ?? {}));
  (role.def.files ?? []).forEach((f, i) => {
    (f.restarts ?? []).forEach((c, j) => {
      if (!containers.has(c)) problems.push(role.source.problem(["files", i, "restarts", j], `unknown container "${c}" of role ${role.def.name}`));
    });
    if (f.when !== undefined) {
      const p = role.def.parameters?.[f.when];
      if (p && p.type !== "boolean") problems.push(role.source.problem(["files", i, "when"], `"${f.when}" must be a boolean parameter`));
    }
  });
  const seenDest = new Map<string, number>();
  (role.def.files ?? []).forEach((f, i) => {
    const prior = seenDest.get(f.dest);
    if (prior !== undefined) problems.push(role.source.problem(["files", i, "dest"], `destination "${f.dest}" is already used by files/${prior}`));
    seenDest.set(f.dest, i);
  });
  const gate = role.def.rollout?.gate;
  if (gate && "container" in gate && gate.container && !containers.has(gate.container)) {
    problems.push(role.source.problem(["rollout", "gate", "container"], `unknown container "${gate.container}"`));
  }
}

/** Orders roles so that each comes after the roles it depends on; a cycle is an error naming it. */
function orderByDependencies(roles: LoadedRole[], problems: Problem[]): LoadedRole[] {
  const byName = new Map(roles.map((r) => [r.def.name, r]));
  const done = new Set<string>();
  const visiting: string[] = [];
  const out: LoadedRole[] = [];
  const visit = (r: LoadedRole): void => {
    if (done.has(r.def.name)) return;
    const at = visiting.indexOf(r.def.name);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), r.def.name].join(" -> ");
      problems.push(r.source.problem(["dependsOn"], `dependency cycle: ${cycle}`));
      return;
    }
    visiting.push(r.def.name);
    for (const dep of [...(r.def.dependsOn ?? [])].sort()) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    visiting.pop();
    done.add(r.def.name);
    out.push(r);
  };
  for (const r of [...roles].sort((a, b) => a.def.name.localeCompare(b.def.name))) visit(r);
  if (problems.length) throw new InputError(problems);
  return out;
}
