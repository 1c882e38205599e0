// Reset of a broken RabbitMQ cluster (partitions that do not heal, nodes that refuse to rejoin): every node
// stops, forgets its cluster state and messages, and the cluster forms again by peer discovery, first node
// first; then every queue user is registered again. Messages and queues are lost: it is a last resort.
import * as docker from "../docker/commands.js";
import type { HostFacts } from "../facts/parse.js";
import type { DesiredService } from "../render/desired.js";
import type { Transport } from "../transport/index.js";
import type { Emit } from "./events.js";
import { gate, mustExec } from "./apply.js";

/** The node's database directory under the rabbitmq volume (cluster membership, queues, users). */
export const RABBITMQ_MNESIA_DIR = "/var/lib/rabbitmq/mnesia";

export interface RabbitmqMember {
  host: string;
  address: string;
  service: DesiredService;
  transport: Transport;
  facts: HostFacts | undefined;
}

/** Runs the reset on every member, in inventory order; `register` re-creates the queue users afterwards. */
export async function resetRabbitmq(members: RabbitmqMember[], emit: Emit, register: (first: RabbitmqMember) => Promise<void>): Promise<void> {
  const c = members[0]!.service.containers[0]!;
  const svc = members[0]!.service.name;
  const step = async (m: RabbitmqMember, kind: string, reason: string, fn: () => Promise<unknown>): Promise<void> => {
    emit({ type: "step", host: m.host, service: svc, kind, target: c.name, reason, status: "start" });
    const t0 = Date.now();
    try {
      await fn();
      emit({ type: "step", host: m.host, service: svc, kind, target: c.name, reason, status: "ok", ms: Date.now() - t0 });
    } catch (err) {
      emit({ type: "step", host: m.host, service: svc, kind, target: c.name, reason, status: "failed", ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  };
  emit({ type: "phase", name: `${svc} reset-state: stop` });
  // All stop before any forgets: a node that still runs would pull the others back into the old cluster.
  await Promise.all(members.map((m) => (m.facts?.containers.get(c.name)?.running ? step(m, "stop", "every node stops first", () => mustExec(m.transport, docker.stop(c.name, c.stopTimeout))) : Promise.resolve())));
  for (const m of members) {
    await step(m, "reset", `removes ${RABBITMQ_MNESIA_DIR}`, () => mustExec(m.transport, ["docker", "run", "--rm", "--network", "none", "--volumes-from", c.name, "--entrypoint", "rm", c.image, "-rf", "--", RABBITMQ_MNESIA_DIR]));
  }
  emit({ type: "phase", name: `${svc} reset-state: form the cluster again` });
  for (const [i, m] of members.entries()) {
    emit({ type: "batch", service: svc, index: i + 1, total: members.length, hosts: [m.host] });
    await step(m, "start", i === 0 ? "the first node forms the cluster" : "joins by peer discovery", () => mustExec(m.transport, docker.start(c.name)));
    await gate(m.host, m.address, m.service, m.transport, i + 1, emit);
  }
  emit({ type: "phase", name: `${svc} reset-state: queue users` });
  await register(members[0]!);
}
