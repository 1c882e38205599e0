// Whether each member of a clustered service is whole with its peers, asked live of the service itself (the
// cluster gates of gates.ts): a node can run and pass its own healthcheck while outside its cluster (a RabbitMQ
// node whose metadata store stayed partitioned after a short network blip, a Galera node in a non-Primary
// component). `check` reports these; the engine's container health cannot see them.
import type { HostFacts } from "../facts/parse.js";
import type { DesiredState } from "../render/desired.js";
import type { Transport } from "../transport/index.js";
import { checkGate, containerOf, gateOf } from "./gates.js";

/** Gate kinds that ask a member about its cluster, not only about itself. */
const CLUSTER_GATES = new Set(["galera", "rabbitmq"]);

export interface MemberProblem {
  host: string;
  service: string;
  detail: string;
}

/**
 * Asks every running member of every clustered service (rollout.quorum with a cluster gate) whether it sees
 * the whole cluster: as many members as have the service's container on their host. Hosts in parallel, one
 * gate check each per service. Members whose container is not running are the container health's report.
 */
export async function clusterMemberProblems(desired: DesiredState, facts: Map<string, HostFacts>, transports: Map<string, Transport>): Promise<MemberProblem[]> {
  const checks: Promise<MemberProblem | undefined>[] = [];
  const services = new Map<string, string[]>();
  for (const h of desired.hosts.values()) for (const s of h.services) services.set(s.name, [...(services.get(s.name) ?? []), h.name]);
  for (const [name, members] of services) {
    for (const host of members) {
      const svc = desired.hosts.get(host)!.services.find((s) => s.name === name)!;
      const gate = gateOf(svc);
      if (!svc.rollout.quorum || !CLUSTER_GATES.has(gate.kind)) break;
      const container = containerOf(gate, svc);
      const existing = members.filter((m) => facts.get(m)?.containers.has(container)).length;
      const t = transports.get(host);
      if (!t || !facts.get(host)?.containers.get(container)?.running) continue;
      checks.push(
        checkGate(gate, { transport: t, service: svc, expectedMembers: existing, address: desired.hosts.get(host)!.address }).then((r) =>
          r.ok ? undefined : { host, service: name, detail: r.detail },
        ),
      );
    }
  }
  return (await Promise.all(checks)).filter((p): p is MemberProblem => p !== undefined);
}

export function describeMemberProblem(p: MemberProblem): string {
  return `${p.host}: ${p.service} is not whole with its cluster: ${p.detail}`;
}
