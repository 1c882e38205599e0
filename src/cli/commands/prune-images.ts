// prune-images: removes the images of lading's repositories that no container uses, no recorded revision
// needs (rollback targets) and the deployment does not want. --dry-run lists them.
import type { Command } from "commander";
import { readRevisions } from "../../lifecycle/revisions.js";
import { decidePrune, listImages, removeImageArgvs, repositoryOf } from "../../lifecycle/prune.js";
import { EXIT } from "../exit-codes.js";
import { lockForChanges, withEngine, withEngineOptions, type EngineContext, type EngineOptions } from "../engine-command.js";

interface PruneOptions extends EngineOptions {
  dryRun?: boolean;
}

export function register(program: Command): void {
  withEngineOptions(program.command("prune-images"))
    .description("remove images of lading's repositories that no container, revision or service needs; --dry-run lists them")
    .option("--dry-run", "list what would be removed, remove nothing")
    .action((opts: PruneOptions) => withEngine(opts.dryRun ? "prune-images --dry-run" : "prune-images", opts, (ctx) => runPrune(ctx, !!opts.dryRun)));
}

async function runPrune(ctx: EngineContext, dryRun: boolean): Promise<number> {
  // A rollback must not find its image gone mid-way: removing holds the deploy lock.
  if (!dryRun && !(await lockForChanges(ctx))) return EXIT.failed;
  const allServices = ctx.project.roles.roles.map((r) => r.def.name);
  let failed = false;
  const repositories = new Set<string>();
  for (const h of ctx.desired.hosts.values()) for (const s of h.services) for (const c of s.containers) repositories.add(repositoryOf(c.image));
  for (const h of ctx.desired.hosts.values()) {
    const t = ctx.session.transports.get(h.name);
    if (!t) continue;
    const [{ images, used }, { revisions }] = await Promise.all([listImages(t), readRevisions(t, h.stateFile, allServices)]);
    const revisionRefs = new Set<string>();
    for (const r of revisions) for (const img of Object.values(r.images)) for (const ref of [img.ref, img.id, ...img.digests]) if (ref) revisionRefs.add(ref);
    const desiredRefs = new Set(h.services.flatMap((s) => s.containers.map((c) => c.image)));
    for (const d of decidePrune(images, used, { revisionRefs, desiredRefs, repositories })) {
      const name = d.image.tags.join(", ") || d.image.digests.join(", ") || d.image.id;
      if (!d.remove) {
        if (repositories.has(repositoryOf(d.image.tags[0] ?? d.image.digests[0] ?? ""))) process.stdout.write(`${h.name}: keep   ${name} (${d.reason})\n`);
        continue;
      }
      if (dryRun) {
        process.stdout.write(`${h.name}: would remove ${name} (${d.reason})\n`);
        continue;
      }
      for (const argv of removeImageArgvs(d.image)) {
        const r = await t.exec(argv, { become: true });
        const ok = r.code === 0;
        if (!ok) failed = true;
        ctx.reporter.emit({ type: "step", host: h.name, kind: "remove-image", target: argv[argv.length - 1]!, reason: d.reason, status: ok ? "ok" : "failed", error: ok ? undefined : r.stderr.trim().split("\n").slice(-1)[0] });
      }
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}
