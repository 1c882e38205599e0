import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Command, Help } from "commander";
import { COMMAND_MODULES, commandNameOf, registerAllCommands, registerCommands } from "../../../src/cli/commands/index.js";
import { runCli } from "../run-cli.js";

const bin = fileURLToPath(new URL("../../../../bin/lading.js", import.meta.url));

async function programFor(args: string[] | "all"): Promise<Command> {
  const p = new Command("lading").description("d").version("0.1.0");
  if (args === "all") await registerAllCommands(p);
  else await registerCommands(p, args);
  return p;
}

describe("lazy command modules", () => {
  it("lists every command with the help line its module registers", async () => {
    const full = await programFor("all");
    const help = new Help();
    const registered = full.commands.map((c) => ({ term: help.subcommandTerm(c), description: c.description() }));
    assert.deepEqual(
      COMMAND_MODULES.flatMap((e) => e.commands),
      registered,
    );
    // Each entry's module registers exactly the commands the entry lists.
    for (const entry of COMMAND_MODULES) {
      const p = new Command("lading");
      (await entry.load()).register(p);
      assert.deepEqual(
        p.commands.map((c) => c.name()),
        entry.commands.map((c) => c.term.split(" ")[0]),
      );
    }
  });

  it("prints the same top-level help without loading any module as with all of them", async () => {
    assert.equal((await programFor([])).helpInformation(), (await programFor("all")).helpInformation());
    assert.equal((await programFor(["--help"])).helpInformation(), (await programFor("all")).helpInformation());
  });

  it("registers in full only the module of the command that runs", async () => {
    const p = await programFor(["deploy", "--limit", "lab1"]);
    const byName = new Map(p.commands.map((c) => [c.name(), c]));
    assert.ok(byName.get("deploy")!.options.some((o) => o.long === "--limit"), "deploy has its options");
    assert.ok(byName.get("plan")!.options.length > 0, "plan shares deploy's module");
    assert.equal(byName.get("destroy")!.options.length, 0, "destroy is a help line only");
    assert.equal(byName.get("lab")!.commands.length, 0, "lab's subcommands are not loaded");
  });

  it("finds the command in a command line", () => {
    assert.equal(commandNameOf([]), undefined);
    assert.equal(commandNameOf(["--help"]), undefined);
    assert.equal(commandNameOf(["-V"]), undefined);
    assert.equal(commandNameOf(["plan", "-i", "x"]), "plan");
    assert.equal(commandNameOf(["help", "lab"]), "lab");
    assert.equal(commandNameOf(["lab", "up"]), "lab");
  });

  it("a command's own help, `help <command>` and an unknown command still work", async () => {
    const own = await runCli(["plan", "--help"]);
    assert.equal(own.code, 0);
    assert.match(own.out, /--no-diff/);
    const viaHelp = await runCli(["help", "lab"]);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.out, /up \[options\]/);
    const unknown = await runCli(["deplyo"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /unknown command 'deplyo'[\s\S]*Did you mean deploy\?/);
  });

  it("`lading --help` in a new process loads no command module", () => {
    // The loaded modules are observed through the ESM loader's resolve hook.
    const traced = spawnSync(process.execPath, ["--import", "data:text/javascript," + encodeURIComponent(LOADER_REGISTRATION), bin, "--help"], { encoding: "utf8" });
    assert.equal(traced.status, 0, traced.stderr);
    const loaded = traced.stderr.split("\n").filter((l) => l.startsWith("loaded "));
    assert.ok(loaded.some((l) => l.endsWith("/cli/commands/index.js")), traced.stderr);
    assert.deepEqual(loaded.filter((l) => /\/cli\/commands\/(?!index\.js)|\/engine\/|\/model\/|ssh2/.test(l)), []);
  });
});

// Registers a resolve hook that reports every module file the program loads on stderr.
const LOADER_REGISTRATION = `
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
import { writeSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith("file:")) writeSync(2, "loaded " + new URL(r.url).pathname + "\\\\n");
  return r;
}\`));
`;
