// history: the revisions recorded on each host of a run, per service, and whether each is what runs (one exec per
// host). The CLI's `lading history` prints them; lading serve returns them.
import type { RevisionRow } from "../generated/api.js";
import { readRevisions, revisionIsRunning } from "../lifecycle/revisions.js";
import type { RunContext } from "../run/run.js";

export type { RevisionRow };

export async function listRevisions(ctx: RunContext): Promise<RevisionRow[]> {
  const rows: RevisionRow[] = [];
  for (const h of ctx.desired.hosts.values()) {
    const t = ctx.session.transports.get(h.name);
    const f = ctx.session.facts.get(h.name);
    if (!t || !f) continue;
    const { revisions } = await readRevisions(t, h.stateFile, h.services.map((s) => s.name));
    for (const r of revisions) rows.push({ host: h.name, service: r.service, rev: r.rev, time: r.time, command: r.command, images: r.images, running: revisionIsRunning(r, f) });
  }
  return rows;
}
