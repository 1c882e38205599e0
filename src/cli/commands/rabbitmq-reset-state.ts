// lading rabbitmq-reset-state: the last resort for a broken RabbitMQ cluster (its queues and messages go).
import type { Command } from "commander";
import { registerMessaging } from "../../apply/registrations.js";
import { resetRabbitmq, type RabbitmqMember } from "../../apply/rabbitmq-reset.js";
import { HostError } from "../../errors.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("rabbitmq-reset-state"))
    .description("stop every RabbitMQ node, wipe its cluster state, queues and messages, form the cluster again node by node and register the queue users again")
    .option("--yes-i-really-mean-it", "confirm that every queue and message is deleted")
    .action((opts: EngineOptions & { yesIReallyMeanIt?: boolean }) =>
      withEngine("rabbitmq-reset-state", opts, async (ctx) => {
        if (!opts.yesIReallyMeanIt) {
          ctx.reporter.emit({ type: "warning", message: "rabbitmq-reset-state deletes every queue and message: run it again with --yes-i-really-mean-it; nothing was changed" });
          return EXIT.usage;
        }
        const members: RabbitmqMember[] = [];
        for (const h of ctx.desired.hosts.values()) {
          const service = h.services.find((s) => s.rollout.gate?.kind === "rabbitmq");
          const transport = ctx.session.transports.get(h.name);
          if (service && transport) members.push({ host: h.name, address: h.address, service, transport, facts: ctx.session.facts.get(h.name) });
        }
        if (!members.length) {
          ctx.reporter.emit({ type: "warning", message: "no RabbitMQ service (rollout gate rabbitmq) on the selected hosts: nothing to reset" });
          return EXIT.failed;
        }
        const users = new Map<string, { vhost: string; user: string; passwordSecret: string }>();
        for (const h of ctx.desired.hosts.values()) for (const s of h.services) if (s.messaging) users.set(`${s.messaging.vhost}\0${s.messaging.user}`, s.messaging);
        try {
          await resetRabbitmq(members, (e) => ctx.reporter.emit(e), async (first) => {
            const container = first.service.containers[0]!.name;
            for (const u of users.values()) {
              const secret = ctx.project.secrets[u.passwordSecret];
              await registerMessaging(first.transport, container, u.vhost, u.user, typeof secret === "string" ? secret : "");
            }
          });
          ctx.reporter.emit({ type: "recap", hosts: members.map((m) => ({ host: m.host, ok: 1, changed: 1, failed: 0, unreachable: false, skipped: false })), ms: Date.now() - ctx.started, ok: true });
          return EXIT.ok;
        } catch (err) {
          if (!(err instanceof HostError)) throw err;
          ctx.reporter.emit({ type: "halt", service: members[0]!.service.name, host: err.host, reason: err.message, untouched: [] });
          ctx.reporter.emit({ type: "recap", hosts: members.map((m) => ({ host: m.host, ok: 0, changed: 0, failed: 1, unreachable: false, skipped: false })), ms: Date.now() - ctx.started, ok: false });
          return EXIT.failed;
        }
      }),
    );
}
