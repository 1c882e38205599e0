// Where registrations run: the database and queue user of a role (role.yaml database:, messaging:) in the service
// that provides database or queue, its catalogue entry (catalog:) in the one that provides identity. What a
// registration does is the providing service's driver's (src/services).
import type { HostFacts } from "../facts/parse.js";
import type { LoadedRole } from "../model/roles.js";
import type { Topology } from "../render/computed.js";
import type { DesiredState, IdentityProvider } from "../render/desired.js";
import type { Capability } from "../services/driver.js";

/** A shared cluster that registrations run in: its container and its hosts in inventory order. */
export interface RegistrationCluster {
  container: string;
  hosts: string[];
}

/** The capabilities whose services registrations run in (the identity service is found in the desired state). */
const REGISTERED_IN: ReadonlySet<Capability> = new Set(["database", "queue"]);

/**
 * The clusters registrations run in, by capability (database, queue), from the enabled roles and the inventory,
 * whatever services a run is limited to: `deploy --service webapp` registers webapp's database in a MariaDB
 * cluster the run does not deploy. Pure.
 */
export function registrationClusters(enabled: LoadedRole[], topology: Topology): Map<Capability, RegistrationCluster> {
  const out = new Map<Capability, RegistrationCluster>();
  for (const r of enabled) {
    const provides = r.def.provides;
    if (!provides || !REGISTERED_IN.has(provides) || out.has(provides)) continue;
    const gate = r.def.rollout?.gate;
    const container = (gate && "container" in gate ? gate.container : undefined) ?? Object.keys(r.def.containers ?? {})[0];
    if (!container) continue;
    const hosts = [...new Set(r.def.groups.flatMap((g) => topology.hostsOf(g).map((h) => h.name)))];
    out.set(provides, { container, hosts });
  }
  return out;
}

/** The cluster of the service providing `capability` as far as `desired` shows it: the hosts running it, its first container. */
export function clusterInDesired(desired: DesiredState, capability: Capability): RegistrationCluster | undefined {
  let container: string | undefined;
  const hosts: string[] = [];
  for (const h of desired.hosts.values()) {
    const svc = h.services.find((s) => s.provides === capability);
    if (!svc?.containers[0]) continue;
    container ??= svc.containers[0].name;
    hosts.push(h.name);
  }
  return container ? { container, hosts } : undefined;
}

/** The first member of `cluster` lading reaches whose container runs (the facts say so), else the first one it reaches. */
export function registrationMember(cluster: RegistrationCluster, facts: Map<string, HostFacts>, reachable: (host: string) => boolean): { host: string; container: string } | undefined {
  const candidates = cluster.hosts.filter(reachable);
  const running = candidates.find((h) => facts.get(h)?.containers.get(cluster.container)?.running);
  const host = running ?? candidates[0];
  return host === undefined ? undefined : { host, container: cluster.container };
}

/** The identity service of a desired state (the service that provides identity, with its identity:) and the hosts it runs on. */
export function identityInDesired(desired: DesiredState): { service: string; identity: IdentityProvider; hosts: string[] } | undefined {
  let found: { service: string; identity: IdentityProvider; hosts: string[] } | undefined;
  for (const h of desired.hosts.values()) {
    const svc = h.services.find((s) => s.provides === "identity" && s.identity);
    if (!svc?.identity) continue;
    found ??= { service: svc.name, identity: svc.identity, hosts: [] };
    found.hosts.push(h.name);
  }
  return found;
}

