// rollback: puts a recorded revision of one service back (by default the one before what runs now) through
// the normal plan and apply, so its rollout policy (batches, gates) applies as for any change.
import type { Command } from "commander";
import { factsRequestOf } from "../../engine/session.js";
import { gatherFacts } from "../../facts/gather.js";
import { desiredFromRevision, readRevisions, rollbackTarget, type Revision } from "../../lifecycle/revisions.js";
import { EXIT } from "../exit-codes.js";
import { applyAndRecap, planFor, printPlan, withEngine, withEngineOptions, type EngineContext, type EngineOptions } from "../engine-command.js";
import { InputError } from "../../errors.js";
import { batchOption, countOption } from "../option-parsers.js";

interface RollbackOptions extends EngineOptions {
  to?: number;
  dryRun?: boolean;
}

export function register(program: Command): void {
  withEngineOptions(program.command("rollback"))
    .description("put back the previous revision of a service (or --to REV) on its hosts, through its rollout policy")
    .option("--to <rev>", "the revision to go back to (lading history lists them)", countOption("--to"))
    .option("--serial <n>", "batch size this run (number or percentage)", batchOption("--serial"))
    .option("--dry-run", "show the plan of the rollback and change nothing")
    .action((opts: RollbackOptions) => {
      if (opts.service?.length !== 1) throw new InputError([{ file: "--service", message: "rollback needs exactly one --service" }]);
      const to = opts.to;
      return withEngine(opts.dryRun ? "rollback --dry-run" : "rollback", opts, (ctx) => runRollback(ctx, opts.service![0]!, to, !!opts.dryRun));
    });
}

export async function runRollback(ctx: EngineContext, service: string, to: number | undefined, dryRun: boolean): Promise<number> {
  const targets = new Map<string, Revision>();
  const missing: string[] = [];
  await Promise.all(
    [...ctx.desired.hosts.values()].map(async (h) => {
      const t = ctx.session.transports.get(h.name);
      const f = ctx.session.facts.get(h.name);
      if (!t || !f || !h.services.some((s) => s.name === service)) return;
      const { revisions } = await readRevisions(t, h.stateFile, [service]);
      const target = rollbackTarget(revisions, f, to);
      if (target) targets.set(h.name, target);
      else missing.push(h.name);
    }),
  );
  if (missing.length) {
    ctx.reporter.emit({ type: "warning", message: `${service}: no ${to === undefined ? "earlier revision" : `revision ${to}`} on ${missing.sort().join(", ")}: nothing was changed (lading history lists the revisions)` });
    return EXIT.failed;
  }
  // The facts must cover the revision's images: first ask for its tags; where a tag now names another image,
  // pin the recorded one (digest or id) and ask again.
  const current = new Map([...targets.keys()].map((host) => [host, ctx.desired.hosts.get(host)!.services.find((s) => s.name === service)!]));
  const put = (host: string, svc: ReturnType<typeof desiredFromRevision>): void => {
    const h = ctx.desired.hosts.get(host)!;
    h.services = h.services.map((s) => (s.name === service ? svc : s));
  };
  const regather = async (hosts: string[]): Promise<void> => {
    await Promise.all(hosts.map(async (host) => ctx.session.facts.set(host, await gatherFacts(ctx.session.transports.get(host)!, factsRequestOf(ctx.desired, host)))));
  };
  for (const [host, rev] of targets) put(host, desiredFromRevision(current.get(host)!, rev, new Map(rev.containers.map((c) => [rev.images[c.name]?.ref ?? "", { id: rev.images[c.name]?.id ?? "", repoTags: [], repoDigests: [] }]))));
  await regather([...targets.keys()]);
  const pinned: string[] = [];
  for (const [host, rev] of targets) {
    const svc = desiredFromRevision(current.get(host)!, rev, ctx.session.facts.get(host)!.images);
    if (svc.containers.some((c, i) => c.image !== ctx.desired.hosts.get(host)!.services.find((s) => s.name === service)!.containers[i]?.image)) pinned.push(host);
    put(host, svc);
    ctx.reporter.emit({ type: "warning", host, message: `${service}: back to revision ${rev.rev} (${rev.command}, ${rev.time}): ${svc.containers.map((c) => c.image).join(", ")}` });
  }
  if (pinned.length) await regather(pinned);
  const plan = await planFor(ctx, "reconfigure");
  if (dryRun) {
    printPlan(ctx, plan, { diffs: true });
    return EXIT.ok;
  }
  // The apply records the revision it puts back as a new one (in its final write), named after the rollback.
  return applyAndRecap(ctx, plan, `rollback --to ${[...new Set([...targets.values()].map((r) => r.rev))].join(", ")}`);
}
