// history: the revisions recorded on each host, per service (one exec per host).
import type { Command } from "commander";
import { readRevisions, revisionIsRunning } from "../../lifecycle/revisions.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("history"))
    .description("list the revisions recorded on each host (what rollback can go back to)")
    .action((opts: EngineOptions) =>
      withEngine("history", opts, async (ctx) => {
        const rows: string[][] = [];
        const json: unknown[] = [];
        for (const h of ctx.desired.hosts.values()) {
          const t = ctx.session.transports.get(h.name);
          const f = ctx.session.facts.get(h.name);
          if (!t || !f) continue;
          const { revisions } = await readRevisions(t, h.stateFile, h.services.map((s) => s.name));
          for (const r of revisions) {
            const running = revisionIsRunning(r, f);
            const images = Object.values(r.images).map((i) => `${i.ref}${i.id ? ` (${i.id.replace(/^sha256:/, "").slice(0, 12)})` : ""}`).join(", ");
            rows.push([h.name, r.service, String(r.rev), r.time, r.command, images, running ? "running" : ""]);
            json.push({ type: "revision", host: h.name, service: r.service, rev: r.rev, time: r.time, command: r.command, images: r.images, running });
          }
        }
        if (opts.json) {
          for (const j of json) process.stdout.write(`${JSON.stringify(j)}\n`);
          return EXIT.ok;
        }
        if (!rows.length) {
          process.stdout.write("no revisions recorded\n");
          return EXIT.ok;
        }
        const head = ["HOST", "SERVICE", "REV", "TIME", "COMMAND", "IMAGES", ""];
        const widths = head.map((x, i) => Math.max(x.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [head, ...rows]) process.stdout.write(`${ctx.redact(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd())}\n`);
        return EXIT.ok;
      }),
    );
}
