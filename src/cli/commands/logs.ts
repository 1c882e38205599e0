// logs: a service's container logs from every host, merged in time order; -f follows them (src/ops/logs.ts).
import type { Command } from "commander";
import { renderProject } from "../../model/project.js";
import { describeNotice, parseLogsQuery, runLogs } from "../../ops/logs.js";
import type { DesiredState } from "../../render/desired.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, type EngineOptions } from "../engine-command.js";
import { colourWanted, hostPrefixer } from "../host-prefix.js";
import { countOption, durationOption } from "../option-parsers.js";
import { withDeploymentOptions } from "../project-options.js";

interface LogsOptions extends EngineOptions {
  follow?: boolean;
  since?: number;
  tail?: number;
  grep?: string;
}

/** The desired state of one service: only the hosts that run it. */
export function serviceOnly(service: string, limit?: string): (p: Parameters<typeof renderProject>[0]) => DesiredState {
  return (project) => {
    const desired = renderProject(project, { limit, services: [service] });
    for (const [host, h] of desired.hosts) if (!h.services.length) desired.hosts.delete(host);
    return desired;
  };
}

export function register(program: Command): void {
  withDeploymentOptions(program.command("logs"))
    .description("show a service's container logs from every host, prefixed by host and merged in time order; -f follows them")
    .argument("<service>", "the service (as lading ps names it)")
    .option("-l, --limit <pattern>", "only hosts matching the pattern")
    .option("-f, --follow", "keep following: across container restarts and lost connections, until Ctrl-C (exit 0)")
    .option("--since <duration>", "only lines newer than this (e.g. 30s, 10m, 2h)", durationOption("--since"))
    .option("--tail <n>", "only the last N lines of each host's container", countOption("--tail", { min: 0 }))
    .option("--grep <regexp>", "only lines matching this regular expression (JavaScript syntax)")
    .option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts")
    .option("--keep-going", "go on with the reachable hosts when some are unreachable")
    .action(async (service: string, opts: LogsOptions) => {
      // Checked before any connection: a typo in an option costs no round trip.
      const query = parseLogsQuery(opts);
      const engineOpts: EngineOptions = { ...opts, forks: 10, service: [service] };
      await withEngine(
        "logs",
        engineOpts,
        async (ctx) => {
          const targets = [...ctx.desired.hosts.values()].map((h) => ({ host: h.name, container: h.services[0]!.containers[0]!.name })).filter((t) => ctx.session.transports.has(t.host));
          const prefix = hostPrefixer(targets.map((t) => t.host), colourWanted());
          let interrupted = false;
          const stopped = new Promise<void>((resolve) => {
            process.once("SIGINT", () => {
              interrupted = true;
              resolve();
            });
          });
          const result = await runLogs({
            targets,
            query,
            transportOf: (h) => ctx.session.transports.get(h),
            reconnect: (h) => ctx.session.reconnect(h),
            onLine: (l) => process.stdout.write(`${prefix(l.host)}${ctx.redact(l.text)}\n`),
            onNotice: (n) => process.stdout.write(`${prefix(n.host)}${ctx.redact(describeNotice(n))}\n`),
            stopped: query.follow ? stopped : undefined,
          });
          const failed = [...result].filter(([, r]) => !r.ok);
          for (const [host, r] of failed) process.stderr.write(`${host}: ${ctx.redact(r.error ?? "failed")}\n`);
          if (interrupted) return EXIT.ok;
          return failed.length ? EXIT.failed : EXIT.ok;
        },
        serviceOnly(service, opts.limit),
        { progressOut: process.stderr },
      );
    });
}
