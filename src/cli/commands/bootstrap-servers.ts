// bootstrap-servers: prepares Debian/Ubuntu hosts for lading (engine, daemon.json, /etc/hosts, deploy user,
// sysctls, config directory). A changed daemon.json reloads the engines where that is enough; otherwise it
// restarts them one host at a time (live-restore turned on by a reload first, where the engine ran without it),
// and each host's services must pass their health gates before the next host.
import type { Command } from "commander";
import { deadlineOf, describeGate, gateOf, waitForGate } from "../../apply/gates.js";
import { parseDuration } from "../../apply/duration.js";
import { HostError } from "../../errors.js";
import { renderProject } from "../../model/project.js";
import { bootstrapSteps, daemonJson, daemonSettingsOf, probeHost, runBootstrapStep, type BootstrapStep } from "../../lifecycle/bootstrap.js";
import { forEachHost } from "../../transport/index.js";
import { EXIT } from "../exit-codes.js";
import { lockForChanges, withEngine, withEngineOptions, type EngineContext, type EngineOptions } from "../engine-command.js";
import { shownArgv } from "../../host-scripts/index.js";

interface BootstrapOptions extends EngineOptions {
  user?: string;
  dryRun?: boolean;
}

export function register(program: Command): void {
  withEngineOptions(program.command("bootstrap-servers"))
    .description("prepare Debian/Ubuntu hosts: docker.io, daemon.json, /etc/hosts, deploy user with sudo, sysctls, config directory")
    .option("--user <name>", "create this deploy user with passwordless sudo")
    .option("--dry-run", "list what each host needs, change nothing")
    .action((opts: BootstrapOptions) => withEngine(opts.dryRun ? "bootstrap-servers --dry-run" : "bootstrap-servers", opts, (ctx) => runBootstrap(ctx, opts), (project) => renderProject(project, { limit: opts.limit })));
}

async function runBootstrap(ctx: EngineContext, opts: BootstrapOptions): Promise<number> {
  const hosts = ctx.project.hosts.map((h) => ({ name: h.name, address: h.address }));
  const planned = new Map<string, BootstrapStep[]>();
  for (const h of ctx.desired.hosts.values()) {
    const t = ctx.session.transports.get(h.name);
    if (!t) continue;
    const configDir = h.stateFile.replace(/\/\.lading\/state\.json$/, "");
    const probe = await probeHost(t, opts.user ?? "", configDir);
    const daemon = daemonJson(daemonSettingsOf(ctx.project.hostParams.get(h.name) ?? {}));
    planned.set(h.name, bootstrapSteps(h.name, probe, { hosts, configDir, user: opts.user, daemon }));
  }
  if (opts.dryRun) {
    for (const [host, steps] of planned) for (const s of steps) process.stdout.write(`${host}: ${s.kind} ${"path" in s ? s.path : shownArgv(s.argv).join(" ")} (${s.reason})\n`);
    return EXIT.ok;
  }
  if ([...planned.values()].some((steps) => steps.length) && !(await lockForChanges(ctx))) return EXIT.failed;
  const run = async (host: string, s: BootstrapStep): Promise<void> => {
    const target = "path" in s ? s.path : shownArgv(s.argv).slice(0, 2).join(" ");
    ctx.reporter.emit({ type: "step", host, kind: s.kind, target, reason: s.reason, status: "start" });
    try {
      await runBootstrapStep(ctx.session.transports.get(host)!, s);
      ctx.reporter.emit({ type: "step", host, kind: s.kind, target, reason: s.reason, status: "ok" });
    } catch (err) {
      ctx.reporter.emit({ type: "step", host, kind: s.kind, target, reason: s.reason, status: "failed", error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  };
  // Everything but engine restarts, on every host at once: reloads too (they keep the containers), so a reload
  // that does not turn live-restore on stops the run before any engine restarts.
  const results = await forEachHost([...planned], Number(ctx.opts.forks), async ([host, steps]) => {
    for (const s of steps.filter((x) => x.kind !== "restart-engine")) await run(host, s);
  });
  if (results.some((r) => r.status === "rejected")) return EXIT.failed;
  // Engine restarts one host at a time: a clustered service never loses two members at once.
  for (const [host, steps] of planned) {
    const restart = steps.find((s) => s.kind === "restart-engine");
    if (!restart) continue;
    try {
      await run(host, restart);
      await gateHost(ctx, host);
    } catch (err) {
      ctx.reporter.emit({ type: "halt", service: "docker", host, reason: err instanceof Error ? err.message : String(err), untouched: [...planned.keys()].filter((h) => h !== host) });
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}

/** Waits until every service that ran on the host before the restart passes its gate again. */
async function gateHost(ctx: EngineContext, host: string): Promise<void> {
  const h = ctx.desired.hosts.get(host)!;
  const t = ctx.session.transports.get(host)!;
  const facts = ctx.session.facts.get(host);
  for (const svc of h.services) {
    if (!svc.containers.some((c) => facts?.containers.get(c.name)?.running)) continue;
    const members = [...ctx.desired.hosts.values()].filter((x) => x.services.some((s) => s.name === svc.name)).length;
    const g = gateOf(svc);
    const res = await waitForGate(g, { transport: t, service: svc, expectedMembers: members, address: h.address }, {
      deadlineMs: deadlineOf(svc),
      holdMs: parseDuration(svc.rollout.minHealthy ?? "0s"),
      onCheck: (r, elapsedMs) => ctx.reporter.emit({ type: "gate", host, service: svc.name, gate: describeGate(g), status: "waiting", elapsedMs, detail: r.detail }),
    });
    ctx.reporter.emit({ type: "gate", host, service: svc.name, gate: describeGate(g), status: res.ok ? "passed" : "failed", elapsedMs: res.elapsedMs, detail: res.detail });
    if (!res.ok) throw new HostError(host, `after the engine restart, gate ${describeGate(g)} of ${svc.name} failed: ${res.detail}`);
  }
}
