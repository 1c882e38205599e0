// The driver of the service that provides queue: a RabbitMQ cluster. Its gate asks a node whether every member
// runs with no partition; a rollout never takes it below quorum, and rabbitmq-reset-state is the last resort
// after a broken cluster. Other roles' queue users and vhosts are registered in it with rabbitmqctl.
import type { Gate } from "../../generated/role.js";
import * as docker from "../../docker/commands.js";
import { containerOf, type GateProbe, type ServiceDriver } from "../driver.js";
import { registerMessaging, removeMessaging } from "./rabbitmqctl.js";

export const rabbitmqProbe: GateProbe<Extract<Gate, { kind: "rabbitmq" }>> = {
  kind: "rabbitmq",
  async check(g, ctx) {
    const r = await ctx.transport.exec(docker.exec(containerOf(g, ctx.service), ["rabbitmqctl", "--quiet", "cluster_status", "--formatter", "json"]), { become: true });
    if (r.code !== 0) return { ok: false, detail: `rabbitmqctl: ${r.stderr.trim().split("\n")[0] ?? "not running"}` };
    try {
      const s = JSON.parse(r.stdout) as { running_nodes?: string[]; partitions?: Record<string, unknown> | unknown[] };
      const running = s.running_nodes?.length ?? 0;
      const partitions = Array.isArray(s.partitions) ? s.partitions.length : Object.keys(s.partitions ?? {}).length;
      return { ok: running >= ctx.expectedMembers && partitions === 0, detail: `${running}/${ctx.expectedMembers} nodes running${partitions ? `, ${partitions} partitions` : ""}` };
    } catch {
      return { ok: false, detail: "unreadable cluster_status" };
    }
  },
};

export const rabbitmqDriver: ServiceDriver = {
  name: "rabbitmq",
  provides: "queue",
  probes: [rabbitmqProbe],
  clusterGate: true,
  quorum: { recovery: "rabbitmq-reset-state" },
  async register(t, container, r) {
    if (r.kind === "messaging") await registerMessaging(t, container, r.vhost, r.user, r.password);
  },
  async unregister(t, container, r) {
    if (r.kind === "messaging") await removeMessaging(t, container, r.vhost, r.user);
  },
};
