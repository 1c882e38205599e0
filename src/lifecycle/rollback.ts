// rollback, as a run: puts a recorded revision of one service back (by default the one before what runs now)
// through the normal plan and apply, so its rollout policy (batches, gates) applies as for any change. The CLI's
// `lading rollback` and lading serve's rollback runs call it.
import { factsRequestOf } from "../engine/session.js";
import { gatherFacts } from "../facts/gather.js";
import type { Plan } from "../plan/plan.js";
import { OUTCOME, type Outcome } from "../run/outcome.js";
import { applyAndRecap, planFor, type RunContext } from "../run/run.js";
import { desiredFromRevision, readRevisions, rollbackTarget, type Revision } from "./revisions.js";

/**
 * The plan of putting `service` back to revision `to` (default: the one before what runs) on every host of the
 * run, with the revisions it puts back; undefined, with a warning reported, when a host has no such revision.
 */
export async function planRollback(ctx: RunContext, service: string, to: number | undefined): Promise<{ plan: Plan; revisions: Map<string, Revision> } | undefined> {
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
    return undefined;
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
  return { plan: await planFor(ctx, "reconfigure"), revisions: targets };
}

/** Rolls `service` back (planRollback, then the apply), recording what it puts back as a new revision. */
export async function runRollback(ctx: RunContext, service: string, to: number | undefined): Promise<Outcome> {
  const planned = await planRollback(ctx, service, to);
  if (!planned) return OUTCOME.failed;
  // The apply records the revision it puts back as a new one (in its final write), named after the rollback.
  return applyAndRecap(ctx, planned.plan, `rollback --to ${[...new Set([...planned.revisions.values()].map((r) => r.rev))].join(", ")}`);
}
