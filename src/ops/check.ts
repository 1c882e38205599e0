// check, as a run: drift for alerting. The plan against the facts (what is not as deployed), and health: containers
// down or unhealthy, images gone, services listening on every address, a whole Galera cluster down, members
// outside their cluster, certificates about to expire. The CLI's `lading check` prints the report; lading serve
// returns it.
import { clusterMemberProblems, describeMemberProblem } from "../apply/cluster-health.js";
import { containerHealth } from "../engine/container-health.js";
import { LISTENERS_ARGV, parseListeners, wildcardListeners } from "../engine/listeners.js";
import { buildPlan, hasChanges, type Plan } from "../plan/plan.js";
import type { RunContext } from "../run/run.js";
import { DEFAULT_EXPIRY_WARNING_DAYS, describeExpiring, expiringCertificates } from "../tls/expiry.js";

export interface CheckReport {
  /** What a deploy would change: drift of the configuration. */
  plan: Plan;
  drift: boolean;
  /** Health problems, one line each (redact before showing). */
  problems: string[];
  /** What is fine but worth saying (a member counted healthy by its gate, a check that could not run). */
  notes: string[];
  /** No drift and no problem. */
  clean: boolean;
}

/** Checks every host of the run; emits a certificate-expiring event per certificate that expires soon. */
export async function checkDeployment(ctx: RunContext): Promise<CheckReport> {
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
  return { plan, drift, problems, notes, clean: !drift && problems.length === 0 };
}

/** The report's last line: "no drift: ..." or what was found. */
export function checkSummary(report: CheckReport): string {
  if (report.clean) return "no drift: every host is as desired";
  return `drift found${report.drift ? ": configuration not deployed" : ""}${report.problems.length ? `; ${report.problems.length} health problem(s)` : ""}`;
}
