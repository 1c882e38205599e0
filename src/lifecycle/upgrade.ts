// upgrade: a new release of images for one service or all. The pure parts: --set values checked as the
// parameters they set, version gates, phases of host groups, and the one-off hook containers.
import { parse as parseYamlScalar } from "yaml";
import { InputError, type Problem } from "../errors.js";
import type { UpgradeHook, Upgrade } from "../generated/role.js";
import type { Project } from "../model/project.js";
import type { DesiredContainer } from "../render/desired.js";

/**
 * Applies `--set KEY=VALUE` over every host's parameters (above host vars, like Ansible's extra vars), each
 * value read as its declared type and checked like any other value. Throws InputError listing every problem.
 */
export function applySets(project: Project, sets: string[]): Record<string, unknown> {
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  for (const [i, s] of sets.entries()) {
    const eq = s.indexOf("=");
    const at = { file: "--set", path: String(i) };
    if (eq <= 0) {
      problems.push({ ...at, message: `"${s}" is not KEY=VALUE` });
      continue;
    }
    const name = s.slice(0, eq);
    const text = s.slice(eq + 1);
    const decl = project.resolver.declared.get(name)?.decl;
    const value = decl?.type === "string" ? text : parseYamlScalar(text) as unknown;
    const before = project.resolver.problems.length;
    if (project.resolver.accept(name, value, { file: "--set", path: name })) values[name] = value;
    problems.push(...project.resolver.problems.splice(before));
  }
  if (problems.length) throw new InputError(problems);
  for (const params of project.hostParams.values()) Object.assign(params, values);
  return values;
}

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** `3.12.4`, `v3.12`, `3.12.4-management` -> numbers; undefined for tags that are not versions (latest). */
export function parseVersion(tag: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(tag);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The tag of an image reference (`repo:tag`), undefined for a digest or no tag. */
export function tagOf(ref: string): string | undefined {
  if (ref.includes("@")) return undefined;
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  return colon > lastSlash ? ref.slice(colon + 1) : undefined;
}

/**
 * Why going from `from` to `to` breaks the role's version gate, or undefined when it is allowed. Tags that
 * are not versions cannot be judged and are refused, since the gate exists to prevent unsafe jumps. Pure.
 */
export function versionGateProblem(gate: NonNullable<Upgrade["versionGate"]>, from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a || !b) return `cannot compare versions ${from} and ${to} (${gate.parameter}): the version gate needs major.minor tags`;
  const cmp = compareVersions(b, a);
  if (cmp < 0 && gate.noDowngrade) return `${from} -> ${to} is a downgrade, which ${gate.parameter} does not allow`;
  if (cmp > 0 && gate.maxMinorStep !== undefined) {
    if (b.major !== a.major) return `${from} -> ${to} jumps a major version: upgrade one minor version at a time`;
    if (b.minor - a.minor > gate.maxMinorStep) return `${from} -> ${to} skips minor versions: at most ${gate.maxMinorStep} at a time (go to ${a.major}.${a.minor + gate.maxMinorStep} first)`;
  }
  return undefined;
}

/**
 * The hosts of a service in upgrade order: one list per phase (hosts in any group of that phase, not in an
 * earlier phase), then the hosts of no phase. Empty phases are dropped. Pure.
 */
export function phasesOf(hosts: string[], phases: string[][] | undefined, groupsOf: (host: string) => string[]): string[][] {
  if (!phases?.length) return hosts.length ? [hosts] : [];
  const placed = new Set<string>();
  const out: string[][] = [];
  for (const phase of phases) {
    const list = hosts.filter((h) => !placed.has(h) && groupsOf(h).some((g) => phase.includes(g)));
    for (const h of list) placed.add(h);
    if (list.length) out.push(list);
  }
  const rest = hosts.filter((h) => !placed.has(h));
  if (rest.length) out.push(rest);
  return out;
}

/**
 * `docker run --rm` of an upgrade hook: host networking and the service container's mounts (its config
 * directory, its data volumes), its environment and user, so a migration sees what the service sees.
 */
export function hookArgv(service: string, when: "before" | "after", hook: UpgradeHook, container: DesiredContainer): string[] {
  const argv = ["docker", "run", "--rm", "--name", `lading-hook-${service}-${when}`, "--network", "host", "--label", `lading.hook=${service}-${when}`];
  for (const [k, v] of Object.entries(container.environment).sort(([a], [b]) => a.localeCompare(b))) argv.push("--env", `${k}=${v}`);
  for (const v of container.volumes) argv.push("--mount", `type=${v.kind === "bind" ? "bind" : "volume"},source=${v.source},target=${v.target}${v.readOnly ? ",readonly" : ""}`);
  if (container.user) argv.push("--user", container.user);
  // The hook's command replaces the image's entrypoint arguments, not its entrypoint: the entrypoint prepares the container.
  argv.push(hook.image ?? container.image, ...hook.command);
  return argv;
}
