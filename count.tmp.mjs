import { Command } from "commander";
import { registerAllCommands } from "/work/wt/harden/dist/src/cli/commands/index.js";
const p = new Command("lading"); await registerAllCommands(p);
const walk = (c, pre=[]) => c.commands.flatMap((x) => [[[...pre, x.name()], x], ...walk(x, [...pre, x.name()])]);
let n = 0, vals = 0;
for (const [path, c] of walk(p)) for (const o of c.options) if (/<(n|count|rev|duration|seconds|ms)>/.test(o.flags) || /forks|serial|timeout|wait|interval|retries|batch/.test(o.long ?? "")) { n++; vals += (o.long === "--serial" || o.long === "--forks") ? 4 : 1; }
console.log(n, vals);
