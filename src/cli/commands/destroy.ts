// destroy: removes one service (its containers, volumes, files, load-balancer entries, registrations and
// revisions) while the others keep running, or everything lading put on the hosts. Without --yes it only
// shows the plan and exits 2.
import type { Command } from "commander";
import type { Destroy } from "../../generated/role.js";
import { InputError } from "../../errors.js";
import { renderProject } from "../../model/project.js";
import { applyDestroy, destroyAllPlan, destroyPlan, formatDestroyPlan, type DestroyPlan } from "../../lifecycle/destroy.js";
import { EXIT } from "../exit-codes.js";
import { lockForChanges, withEngine, withEngineOptions, type EngineContext, type EngineOptions } from "../engine-command.js";

interface DestroyOptions extends EngineOptions {
  all?: boolean;
  yes?: boolean;
}

export function register(program: Command): void {
  withEngineOptions(program.command("destroy"))
    .description("remove a service (--service) or everything lading deployed (--all); shows the plan, acts only with --yes")
    .option("--all", "everything lading put on the hosts")
    .option("--yes", "do it (without: show the plan and exit 2)")
    .action((opts: DestroyOptions) => {
      if (!!opts.all === !!opts.service?.length) throw new InputError([{ file: "--service", message: "name one --service to destroy, or --all" }]);
      if (opts.service && opts.service.length > 1) throw new InputError([{ file: "--service", message: "destroy takes one service at a time" }]);
      // Every service is rendered: the database and queue clusters and the load balancer live outside the one destroyed.
      return withEngine("destroy", opts, (ctx) => runDestroy(ctx, opts), (project) => renderProject(project, { limit: opts.limit }));
    });
}

async function runDestroy(ctx: EngineContext, opts: DestroyOptions): Promise<number> {
  let plan: DestroyPlan;
  if (opts.all) {
    const destroys = new Map<string, Destroy | undefined>(ctx.project.roles.roles.map((r) => [r.def.name, r.def.destroy]));
    plan = destroyAllPlan(ctx.desired, ctx.session.facts, destroys);
  } else {
    const service = opts.service![0]!;
    const role = ctx.project.roles.byName.get(service);
    if (!role) throw new InputError([{ file: "--service", message: `unknown service "${service}"` }]);
    const without = renderProject({ ...ctx.project, enabled: ctx.project.enabled.filter((r) => r.def.name !== service) }, { limit: opts.limit });
    plan = destroyPlan(ctx.desired, without, ctx.session.facts, service, role.def.destroy);
  }
  process.stdout.write(ctx.redact(formatDestroyPlan(plan)));
  if (!opts.yes) {
    process.stdout.write("nothing was done: run again with --yes to destroy\n");
    return EXIT.changes;
  }
  if (!(await lockForChanges(ctx))) return EXIT.failed;
  const ok = await applyDestroy(plan, ctx.session.transports, ctx.project.secrets, (e) => ctx.reporter.emit(e));
  const recap = new Map([...ctx.desired.hosts.keys()].map((h) => [h, { host: h, ok: 0, changed: 0, failed: 0, unreachable: ctx.session.unreachable.has(h), skipped: false }]));
  for (const s of plan.steps) recap.get(s.host)!.changed++;
  for (const r of recap.values()) r.ok = ok ? 1 : 0;
  ctx.reporter.emit({ type: "recap", hosts: [...recap.values()], ms: Date.now() - ctx.started, ok });
  if (ok && !opts.all) process.stdout.write(`${opts.service![0]} destroyed; set enable_${opts.service![0]!.replace(/-/g, "_")}: false in globals.yml, or the next deploy brings it back\n`);
  return ok ? EXIT.ok : EXIT.failed;
}
