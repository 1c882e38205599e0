// history: the revisions recorded on each host, per service (src/ops/history.ts: one exec per host).
import type { Command } from "commander";
import { listRevisions } from "../../ops/history.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("history"))
    .description("list the revisions recorded on each host (what rollback can go back to)")
    .action((opts: EngineOptions) =>
      withEngine("history", opts, async (ctx) => {
        const revisions = await listRevisions(ctx);
        if (opts.json) {
          for (const r of revisions) process.stdout.write(`${JSON.stringify({ type: "revision", ...r })}\n`);
          return EXIT.ok;
        }
        if (!revisions.length) {
          process.stdout.write("no revisions recorded\n");
          return EXIT.ok;
        }
        const rows = revisions.map((r) => {
          const images = Object.values(r.images).map((i) => `${i.ref}${i.id ? ` (${i.id.replace(/^sha256:/, "").slice(0, 12)})` : ""}`).join(", ");
          return [r.host, r.service, String(r.rev), r.time, r.command, images, r.running ? "running" : ""];
        });
        const head = ["HOST", "SERVICE", "REV", "TIME", "COMMAND", "IMAGES", ""];
        const widths = head.map((x, i) => Math.max(x.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [head, ...rows]) process.stdout.write(`${ctx.redact(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd())}\n`);
        return EXIT.ok;
      }),
    );
}
