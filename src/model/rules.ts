// Rules the schemas cannot express, checked over the whole deployment before anything is rendered
// (topology rules) and after (rules over rendered values).
import type { Problem } from "../errors.js";
import type { DesiredState } from "../render/desired.js";
import type { LoadedRole } from "./roles.js";

/** What the topology rules need to know of the inventory. */
export interface RuleInventory {
  file: string;
  hostNames(): string[];
  hostsOf(group: string): { name: string; address: string }[];
  hasGroup(group: string): boolean;
  /** Groups a host belongs to, without the implicit all/ungrouped. */
  groupsOf(host: string): string[];
  /** Where a group or host is defined, for messages. */
  groupLocation(group: string): Omit<Problem, "message">;
  hostLocation(host: string): Omit<Problem, "message">;
}

export function topologyProblems(
  inv: RuleInventory,
  enabled: LoadedRole[],
  globals: { vip: unknown; vipSource?: Omit<Problem, "message">; vipUnknown?: boolean; globalsFile: string },
): Problem[] {
  const problems: Problem[] = [];
  const enabledNames = new Set(enabled.map((r) => r.def.name));
  const vipNeededBy: { role: string; hosts: number }[] = [];
  const hostsOfRole = (r: LoadedRole): Set<string> => {
    const s = new Set<string>();
    for (const g of r.def.groups) if (inv.hasGroup(g)) for (const h of inv.hostsOf(g)) s.add(h.name);
    return s;
  };

  for (const role of enabled) {
    role.def.groups.forEach((g, i) => {
      if (!inv.hasGroup(g)) {
        problems.push({ ...role.source.locate(["groups", i]), message: `group "${g}" of role ${role.def.name} is not in the inventory ${inv.file} (set enable_${role.def.name.replace(/-/g, "_")}: false to leave the service out)` });
      } else if (inv.hostsOf(g).length === 0) {
        problems.push({ ...inv.groupLocation(g), message: `group "${g}" has no hosts, but role ${role.def.name} runs on it` });
      }
    });
    (role.def.dependsOn ?? []).forEach((dep, i) => {
      if (!enabledNames.has(dep)) problems.push({ ...role.source.locate(["dependsOn", i]), message: `role ${role.def.name} depends on ${dep}, which is disabled` });
    });
    (role.def.loadbalancer ?? []).forEach((e, i) => {
      // A backend group that is one of the role's own groups is reported once, above.
      if (!inv.hasGroup(e.backendGroup) && !role.def.groups.includes(e.backendGroup)) problems.push({ ...role.source.locate(["loadbalancer", i, "backendGroup"]), message: `backend group "${e.backendGroup}" is not in the inventory` });
    });
    const gateKinds = new Set(enabled.map((r) => r.def.rollout?.gate?.kind));
    if (role.def.database && !gateKinds.has("galera")) {
      problems.push({ ...role.source.locate(["database"]), message: `role ${role.def.name} registers a database, but no database cluster role (gate galera) is enabled` });
    }
    if (role.def.messaging && !gateKinds.has("rabbitmq")) {
      problems.push({ ...role.source.locate(["messaging"]), message: `role ${role.def.name} registers a queue user, but no RabbitMQ role is enabled` });
    }
    const members = hostsOfRole(role);
    if (role.def.rollout?.gate?.kind === "galera" && members.size % 2 === 0 && members.size > 0) {
      const g = role.def.groups.find((x) => inv.hasGroup(x)) ?? role.def.groups[0]!;
      problems.push({ ...inv.groupLocation(g), message: `the Galera group "${g}" has ${members.size} members: it needs an odd number, so that a split leaves a majority` });
    }
    if (role.def.rollout?.vipLast && members.size > 1 && (globals.vip === null || globals.vip === undefined || globals.vip === "")) {
      vipNeededBy.push({ role: role.def.name, hosts: members.size });
    }
  }
  if (vipNeededBy.length && !globals.vipUnknown) {
    const who = vipNeededBy.map((x) => x.role).join(" and ");
    const hosts = Math.max(...vipNeededBy.map((x) => x.hosts));
    // `vip_address:` with nothing after it is null: point at that line.
    problems.push({ ...(globals.vipSource ?? { file: globals.globalsFile, path: "vip_address" }), message: `vip_address must be set: ${who} run${vipNeededBy.length === 1 ? "s" : ""} on ${hosts} hosts (keepalived moves the VIP between them)` });
  }

  if (typeof globals.vip === "string" && globals.vip && !globals.vipUnknown) {
    for (const h of inv.hostNames()) {
      const addr = inv.hostsOf("all").find((x) => x.name === h)?.address;
      if (addr === globals.vip) problems.push({ ...(globals.vipSource ?? { file: globals.globalsFile }), message: `vip_address ${globals.vip} is the address of host ${h}: the VIP must be a free address` });
    }
  }

  for (const h of inv.hostNames()) {
    if (inv.groupsOf(h).length === 0) problems.push({ ...inv.hostLocation(h), message: `host "${h}" is in no group, so it would run nothing` });
  }
  return problems;
}

/** Where a user set a parameter for a host (an inventory var, else globals.yml), or undefined for its default. */
export type ParameterOrigin = (host: string, name: string) => Omit<Problem, "message"> | undefined;

/**
 * Two services on one host must not bind the same port (all containers use host networking). The clash is
 * reported where the user set the port that collides (an inventory host var, globals.yml), and at the role's
 * port entry only when both ports are the roles' defaults; the other side is named second.
 */
export function portProblems(state: DesiredState, roles: Map<string, LoadedRole>, originOf: ParameterOrigin = () => undefined): Problem[] {
  const problems: Problem[] = [];
  const reported = new Set<string>();
  /** Where the port at `index` of a container was set: the user's value of a parameter its template names. */
  const userSetAt = (host: string, service: string, container: string, index: number): Omit<Problem, "message"> | undefined => {
    const entry = roles.get(service)?.def.containers?.[container]?.ports?.[index];
    if (typeof entry !== "string") return undefined;
    for (const m of entry.matchAll(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g)) {
      const at = originOf(host, m[1]!);
      if (at) return at;
    }
    return undefined;
  };
  for (const host of state.hosts.values()) {
    const owner = new Map<number, { service: string; container: string; index: number }>();
    for (const svc of host.services) {
      for (const c of svc.containers) {
        c.ports.forEach((port, index) => {
          const prior = owner.get(port);
          if (prior && prior.service !== svc.name) {
            const key = `${prior.service}/${svc.name}/${port}`;
            if (!reported.has(key)) {
              reported.add(key);
              const mine = userSetAt(host.name, svc.name, c.name, index);
              const theirs = userSetAt(host.name, prior.service, prior.container, prior.index);
              const roleAt = (service: string, container: string, i: number): Omit<Problem, "message"> => roles.get(service)!.source.locate(["containers", container, "ports", i]);
              const describeAt = (l: Omit<Problem, "message">): string => `${l.file}${l.line ? `:${l.line}` : ""}`;
              if (!mine && theirs) {
                problems.push({
                  ...theirs,
                  message: `port ${port} of ${prior.service}/${prior.container} on host ${host.name} is also bound by ${svc.name}/${c.name} (${describeAt(roleAt(svc.name, c.name, index))})`,
                });
              } else {
                const other = theirs ?? roleAt(prior.service, prior.container, prior.index);
                problems.push({
                  ...(mine ?? roleAt(svc.name, c.name, index)),
                  message: `port ${port}${mine ? ` of ${svc.name}/${c.name}` : ""} is also bound by ${prior.service}/${prior.container} on host ${host.name} (${describeAt(other)})`,
                });
              }
            }
          } else if (!prior) owner.set(port, { service: svc.name, container: c.name, index });
        });
      }
    }
  }
  return problems;
}
