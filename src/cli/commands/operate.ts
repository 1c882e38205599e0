// Commands that inspect or stop what runs: check (drift, for alerting), stop, prechecks.
import type { Command } from "commander";
import * as docker from "../../docker/commands.js";
import { clusterMemberProblems, describeMemberProblem } from "../../apply/cluster-health.js";
import { containerHealth } from "../../engine/container-health.js";
import { LISTENERS_ARGV, parseListeners, wildcardListeners } from "../../engine/listeners.js";
import { evaluatePrechecks, precheckArgv } from "../../engine/prechecks.js";
import { buildPlan, hasChanges } from "../../plan/plan.js";
import { formatPlan } from "../../plan/format.js";
import { EXIT } from "../exit-codes.js";
import { DEFAULT_EXPIRY_WARNING_DAYS, describeExpiring, expiringCertificates } from "../../tls/expiry.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("check"))
    .description("report drift: hosts that differ from the desired state, containers down or unhealthy, images gone; exit 2 on drift")
    .action((opts: EngineOptions) =>
      withEngine("check", opts, async (ctx) => {
        const plan = buildPlan({ desired: ctx.desired, facts: ctx.session.facts, secrets: ctx.project.secrets, mode: "deploy" });
        const problems: string[] = [];
        const notes: string[] = [];
        for (const [host, h] of ctx.desired.hosts) {
          const f = ctx.session.facts.get(host);
          if (!f) continue;
          for (const s of h.services) {
            for (const c of s.containers) {
              const cf = f.containers.get(c.name);
              if (!cf) continue;
              const verdict = containerHealth(host, c, cf, Date.now());
              if (!verdict.ok) problems.push(verdict.problem);
              else if (verdict.note) notes.push(verdict.note);
              if (!f.images.has(c.image)) problems.push(`${host}: image ${c.image} of ${c.name} is gone from the host: a restart would fail (run lading pull)`);
            }
          }
        }
        // Where the managed services listen: a declared port on every address is a service not as deployed.
        await Promise.all(
          [...ctx.desired.hosts.values()].map(async (h) => {
            const t = ctx.session.transports.get(h.name);
            if (!t) return;
            const r = await t.exec(LISTENERS_ARGV, { become: true });
            if (r.code === 0) problems.push(...wildcardListeners(h, parseListeners(r.stdout)));
            else notes.push(`${h.name}: listening sockets not checked (ss: ${(r.stderr.trim() || `exit ${r.code}`).split("\n")[0]})`);
          }),
        );
        // A whole Galera cluster down needs recovery, not a deploy.
        const galera = new Map<string, { down: number; total: number }>();
        for (const [host, h] of ctx.desired.hosts)
          for (const s of h.services.filter((x) => x.rollout.gate?.kind === "galera")) {
            const g = galera.get(s.name) ?? { down: 0, total: 0 };
            g.total++;
            const c = ctx.session.facts.get(host)?.containers.get(s.containers[0]!.name);
            if (c && !c.running) g.down++;
            galera.set(s.name, g);
          }
        for (const [svc, g] of galera) if (g.total > 0 && g.down === g.total) problems.push(`${svc}: every node of the Galera cluster is down: run lading mariadb-recovery`);
        // A member can run, healthy by its own healthcheck, outside its cluster: asked of each cluster itself.
        for (const p of await clusterMemberProblems(ctx.desired, ctx.session.facts, ctx.session.transports)) problems.push(describeMemberProblem(p));
        // Certificates that expire soon, deployed or in the deployment (an alert, with a JSON event each).
        const warningDays = (host: string): number => Number(ctx.project.hostParams.get(host)?.tls_expiry_warning ?? DEFAULT_EXPIRY_WARNING_DAYS);
        const certs = ctx.project.certificates;
        const expiring = expiringCertificates({
          desired: ctx.desired,
          facts: ctx.session.facts,
          warningDays,
          deployment: certs && { file: certs.leaf.file, pem: certs.bundle, warningDays: Number(ctx.project.resolver.forHost(new Map()).tls_expiry_warning ?? DEFAULT_EXPIRY_WARNING_DAYS) },
          now: Date.now(),
        });
        for (const c of expiring) {
          ctx.reporter.emit({ type: "certificate-expiring", host: c.host, file: c.file, subject: c.subject, expires: c.expires, daysLeft: c.daysLeft, warningDays: c.warningDays });
          problems.push(describeExpiring(c));
        }
        const drift = hasChanges(plan);
        if (drift) process.stdout.write(ctx.redact(formatPlan(plan, { redact: ctx.redact, diffs: false })));
        for (const n of notes) process.stdout.write(`${ctx.redact(n)}\n`);
        for (const p of problems) process.stdout.write(`${ctx.redact(p)}\n`);
        const clean = !drift && problems.length === 0;
        process.stdout.write(clean ? "no drift: every host is as desired\n" : `drift found${drift ? ": configuration not deployed" : ""}${problems.length ? `; ${problems.length} health problem(s)` : ""}\n`);
        return clean ? EXIT.ok : EXIT.changes;
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
