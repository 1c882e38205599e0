// The plain (CI) progress of a rollout: batches, a line per long gate wait, reverts and halts.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createReporter } from "../../../src/cli/reporter.js";

function capture(): { out: Writable; text: () => string } {
  let text = "";
  const out = new Writable({ write: (chunk, _enc, cb) => ((text += String(chunk)), cb()) });
  return { out, text: () => text };
}

describe("plain rollout progress", () => {
  it("shows the batch, a wait line every 10 s per host with the gate's detail, the revert and the halt", async () => {
    const c = capture();
    const r = await createReporter({ json: false, tty: false, redact: (s) => s, out: c.out });
    r.emit({ type: "batch", service: "mariadb", index: 2, total: 3, hosts: ["lab2"] });
    for (const ms of [1000, 9000, 10_500, 12_000, 20_100]) r.emit({ type: "gate", host: "lab2", service: "mariadb", gate: "galera", status: "waiting", elapsedMs: ms, detail: "Joined, Primary, cluster size 2/3" });
    r.emit({ type: "gate", host: "lab2", service: "mariadb", gate: "galera", status: "passed", elapsedMs: 25_000, detail: "Synced, Primary, cluster size 3/3" });
    r.emit({ type: "revert", service: "webapp", host: "lab1", status: "ok" });
    r.emit({ type: "halt", service: "webapp", host: "lab1", reason: "gate failed", untouched: ["lab2", "lab3"] });
    assert.equal(
      c.text(),
      [
        "-- mariadb: batch 2/3 [lab2]",
        "waiting lab2: mariadb gate galera for 11s: Joined, Primary, cluster size 2/3",
        "waiting lab2: mariadb gate galera for 20s: Joined, Primary, cluster size 2/3",
        "healthy lab2: mariadb gate galera (25.0s) Synced, Primary, cluster size 3/3",
        "reverted lab1: webapp runs its previous config and image again, and passed its gate",
        "HALTED at webapp on lab1: gate failed",
        "  untouched: lab2, lab3",
        "",
      ].join("\n"),
    );
  });
});
