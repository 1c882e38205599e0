// Options are checked at the edge: every numeric and duration option of every command (the whole commander
// tree) has a declared parser, and a malformed value is bad input, exit 3 naming the option, before any file
// is read or any host dialled (the deployment's hosts are loopback listeners that count connections).
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { Command, type Option } from "commander";
import { registerAllCommands } from "../../../src/cli/commands/index.js";
import { batchOption, choiceOption, countOption, durationOption } from "../../../src/cli/option-parsers.js";
import { InputError } from "../../../src/errors.js";
import { packageRoot } from "../../../src/paths.js";
import { startConnectionCounter, type ConnectionCounter } from "../hostile/connection-counter.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { runCli } from "../run-cli.js";

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `an InputError, not ${String(err)}`);
    assert.equal(err.problems.length, 1);
    return `${err.problems[0]!.file}: ${err.problems[0]!.message}`;
  }
  assert.fail("accepted");
}

describe("option parsers", () => {
  it("countOption takes decimal whole numbers from its minimum, and refuses every other spelling naming the option", () => {
    const forks = countOption("--forks");
    assert.equal(forks("1"), 1);
    assert.equal(forks("10"), 10);
    assert.equal(forks(" 25 "), 25);
    for (const bad of ["abc", "0", "-1", "1.5", "1e1", "0x10", "", " ", "10abc", "Infinity", "99999999999999999999"]) {
      assert.match(refusal(() => forks(bad)), /^--forks: must be a whole number of at least 1, got /, bad);
    }
    assert.match(refusal(() => countOption("--n", { min: 2, max: 5 })("6")), /^--n: must be a whole number from 2 to 5, got "6"$/);
  });

  it("batchOption takes a number of hosts or a percentage from 1% to 100%", () => {
    const serial = batchOption("--serial");
    assert.equal(serial("1"), 1);
    assert.equal(serial("3"), 3);
    assert.equal(serial("30%"), "30%");
    assert.equal(serial("100%"), "100%");
    assert.equal(serial("007%"), "7%");
    for (const bad of ["abc", "0", "-1", "1.5", "%", "30 %", "30%%", "1.5%", "-5%", "x%"]) {
      assert.match(refusal(() => serial(bad)), /^--serial: must be a number of hosts \(at least 1\) or a percentage \(30%\), got /, bad);
    }
    for (const bad of ["0%", "101%", "150%"]) assert.match(refusal(() => serial(bad)), /^--serial: a percentage must be from 1% to 100%, got /, bad);
  });

  it("durationOption takes role.yaml's durations, in milliseconds, and refuses zero unless allowed", () => {
    const wait = durationOption("--lock-wait");
    assert.equal(wait("500ms"), 500);
    assert.equal(wait("30s"), 30_000);
    assert.equal(wait("1h30m"), 5_400_000);
    assert.equal(durationOption("--x", { allowZero: true })("0s"), 0);
    for (const bad of ["abc", "5", "-5s", "1.5s", "5x", "s", "", "5 s"]) assert.match(refusal(() => wait(bad)), /^--lock-wait: must be a duration such as 500ms, 30s, 5m or 1h30m, got /, bad);
    assert.match(refusal(() => wait("0s")), /^--lock-wait: must be a duration longer than 0/);
  });

  it("choiceOption takes one of its words", () => {
    const format = choiceOption("--format", ["text", "json"] as const);
    assert.equal(format("json"), "json");
    assert.equal(refusal(() => format("xml")), '--format: must be one of text, json, got "xml"');
  });
});

/** Options that take a number or a duration, by their value's name or their own. */
function isNumericOption(o: Option): boolean {
  return /<(n|count|rev|duration|seconds|ms)>/.test(o.flags) || /forks|serial|timeout|wait|interval|retries|batch/.test(o.long ?? "");
}

/** Every command below `program` with its full name (`lab up`), depth first. */
function commandsOf(cmd: Command, prefix: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((c) => [{ path: [...prefix, c.name()], cmd: c }, ...commandsOf(c, [...prefix, c.name()])]);
}

describe("every numeric and duration option of every command is checked before any connection", function () {
  this.timeout(60_000);
  let counter: ConnectionCounter;
  let dir: string;
  const numeric: { path: string[]; option: Option }[] = [];

  before(async () => {
    counter = await startConnectionCounter(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    // The corpus's valid base deployment, whose hosts are the counter's listeners.
    dir = copyDeployment(join(packageRoot, "test", "corpus", "broken", "_base"), "lading-options-");
    const inventory = join(dir, "inventory.yml");
    writeFileSync(inventory, readFileSync(inventory, "utf8").replaceAll("@PORT@", String(counter.port)));
    writeFakePasswords(dir);
    const program = new Command("lading");
    await registerAllCommands(program);
    for (const { path, cmd } of commandsOf(program)) for (const option of cmd.options) if (isNumericOption(option)) numeric.push({ path, option });
  });
  after(async () => {
    await counter?.close();
    if (dir) removeDeployment(dir);
  });

  it("finds the numeric options (--forks on every engine command, --serial, --to, lab up --hosts), each with a declared parser", () => {
    const names = new Set(numeric.map((n) => `${n.path.join(" ")} ${n.option.long}`));
    for (const expected of ["deploy --forks", "check --forks", "deploy --serial", "upgrade --serial", "rollback --serial", "rollback --to", "lab up --hosts"]) {
      assert.ok(names.has(expected), `${expected} among ${[...names].join(", ")}`);
    }
    assert.ok(numeric.length >= 15, `${numeric.length} numeric options`);
    const unparsed = numeric.filter((n) => typeof n.option.parseArg !== "function").map((n) => `${n.path.join(" ")} ${n.option.long}`);
    assert.deepEqual(unparsed, [], "every numeric option declares its parser (src/cli/option-parsers.ts)");
  });

  it("refuses a malformed value of each with exit 3 naming the option, dialling nobody", async () => {
    for (const { path, option } of numeric) {
      const values = option.long === "--serial" || option.long === "--forks" ? ["abc", "0", "-1", "1.5"] : ["abc"];
      for (const value of values) {
        // `-s notes` satisfies commands that need one service (rollback), so that only the option is wrong.
        const run = await runCli([...path, ...(path[0] === "lab" ? [] : ["-d", dir, "-s", "notes"]), `${option.long!}=${value}`]);
        const where = `${path.join(" ")} ${option.long!}=${value}`;
        assert.equal(run.code, 3, `${where}: exit ${run.code}\n${run.out}${run.err}`);
        assert.match(run.err, new RegExp(`^error: ${option.long!}: .+, got "${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"$`, "m"), where);
        assert.match(run.err, /nothing was changed on any host/, where);
      }
    }
    assert.deepEqual(counter.connections, [], "no connection to any host");
  });
});
