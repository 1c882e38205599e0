// ps: what runs where, from the facts round trip a plan reads (src/ops/ps.ts builds the rows).
import type { Command } from "commander";
import { buildPlan } from "../../plan/plan.js";
import { formatPsTable, psRows } from "../../ops/ps.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("ps"))
    .description("list the containers lading manages on each host: state, health and since when, image and digest, uptime, revision, and whether the host differs from the desired state")
    .action((opts: EngineOptions) =>
      withEngine(
        "ps",
        opts,
        async (ctx) => {
          const plan = buildPlan({ desired: ctx.desired, facts: ctx.session.facts, secrets: ctx.project.secrets, mode: "deploy" });
          const now = Date.now();
          const rows = psRows({ desired: ctx.desired, facts: ctx.session.facts, plan, unreachable: ctx.session.unreachable, now });
          if (opts.json) {
            for (const r of rows) process.stdout.write(`${ctx.redact(JSON.stringify({ type: "container", ...r }))}\n`);
            return EXIT.ok;
          }
          process.stdout.write(rows.length ? ctx.redact(formatPsTable(rows, now)) : "no containers: no service runs on the selected hosts\n");
          const drifted = rows.filter((r) => r.drift.length || r.state !== "running" || (r.health && r.health !== "healthy"));
          if (drifted.length) process.stdout.write(`${drifted.length} container(s) not as desired: lading plan shows the changes, lading deploy makes them\n`);
          return EXIT.ok;
        },
        undefined,
        { progressOut: process.stderr },
      ),
    );
}
