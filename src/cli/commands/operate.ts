// Commands that inspect or stop what runs: check (drift, for alerting), stop, prechecks.
import type { Command } from "commander";
import * as docker from "../../docker/commands.js";
import { evaluatePrechecks, precheckArgv } from "../../engine/prechecks.js";
import { checkDeployment, checkSummary } from "../../ops/check.js";
import { formatPlan } from "../../plan/format.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("check"))
    .description("report drift: hosts that differ from the desired state, containers down or unhealthy, images gone; exit 2 on drift")
    .action((opts: EngineOptions) =>
      withEngine("check", opts, async (ctx) => {
        const report = await checkDeployment(ctx);
        if (report.drift) process.stdout.write(ctx.redact(formatPlan(report.plan, { redact: ctx.redact, diffs: false })));
        for (const n of report.notes) process.stdout.write(`${ctx.redact(n)}\n`);
        for (const p of report.problems) process.stdout.write(`${ctx.redact(p)}\n`);
        process.stdout.write(`${checkSummary(report)}\n`);
        return report.clean ? EXIT.ok : EXIT.changes;
      }),
    );

  withEngineOptions(program.command("stop"))
    .description("stop the containers of every service (or --service), in reverse dependency order")
    .action((opts: EngineOptions) =>
      withEngine("stop", opts, async (ctx) => {
        let failed = false;
        const services = [...new Set([...ctx.desired.hosts.values()].flatMap((h) => h.services.map((s) => s.name)))].reverse();
        for (const svc of services) {
          ctx.reporter.emit({ type: "phase", name: `stop ${svc}` });
          await Promise.all(
            [...ctx.desired.hosts.values()].map(async (h) => {
              const s = h.services.find((x) => x.name === svc);
              const t = ctx.session.transports.get(h.name);
              if (!s || !t) return;
              for (const c of s.containers) {
                if (!ctx.session.facts.get(h.name)?.containers.get(c.name)?.running) continue;
                const r = await t.exec(docker.stop(c.name, c.stopTimeout), { become: true });
                ctx.reporter.emit({ type: "step", host: h.name, service: svc, kind: "stop", target: c.name, reason: "stop requested", status: r.code === 0 ? "ok" : "failed", error: r.code === 0 ? undefined : r.stderr.trim() });
                if (r.code !== 0) failed = true;
              }
            }),
          );
        }
        return failed ? EXIT.failed : EXIT.ok;
      }),
    );

  withEngineOptions(program.command("prechecks"))
    .description("check each host is ready: engine present and recent, disk space, clock in sync, address present, ports free")
    .action((opts: EngineOptions) =>
      withEngine("prechecks", opts, async (ctx) => {
        let failed = false;
        for (const [host, h] of ctx.desired.hosts) {
          const t = ctx.session.transports.get(host);
          if (!t) continue;
          const sent = Date.now();
          const r = await t.exec(precheckArgv(), { become: true });
          const now = Date.now();
          const results = evaluatePrechecks(r.stdout, h, ctx.session.facts.get(host), now / 1000, (now - sent) / 1000);
          for (const res of results) {
            if (!res.ok) failed = true;
            if (opts.json) process.stdout.write(`${JSON.stringify({ type: "precheck", host, ...res })}\n`);
            else process.stdout.write(`${res.ok ? "ok  " : "FAIL"} ${host}: ${res.check}: ${res.detail}\n`);
          }
        }
        return failed ? EXIT.failed : EXIT.ok;
      }),
    );
}
