// `lading validate --format github|gitlab|junit`: the reports CI systems show inline, from the real command on
// the corpus's base deployment (valid, then with two bad values in globals.yml).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { githubAnnotations, gitlabCodeQuality, junitXml } from "../../../src/cli/problem-formats.js";
import { packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { runCli } from "../run-cli.js";

const BAD = "notes_colour: green\nnotes_port: 0\n";

describe("validate --format github, gitlab, junit", function () {
  this.timeout(30_000);
  let dir: string;
  let globals: string;
  let validGlobals: string;
  const rel = (f: string): string => relative(dir, f);
  const cwd = process.cwd();

  before(() => {
    dir = copyDeployment(join(packageRoot, "test", "corpus", "broken", "_base"), "lading-formats-");
    const inventory = join(dir, "inventory.yml");
    writeFileSync(inventory, readFileSync(inventory, "utf8").replaceAll("@PORT@", "22"));
    writeFakePasswords(dir);
    globals = join(dir, "globals.yml");
    validGlobals = readFileSync(globals, "utf8").replace("notes_colour: blue\n", "");
    // As in CI: run from the repository's root, which holds the deployment; reports name files relative to it.
    process.chdir(dir);
  });
  afterEach(() => writeFileSync(globals, validGlobals));
  after(() => {
    process.chdir(cwd);
    if (dir) removeDeployment(dir);
  });

  it("github: one ::error workflow command per problem, with file, line and column; exit 3", async () => {
    writeFileSync(globals, validGlobals + BAD);
    const run = await runCli(["validate", "-d", dir, "--format", "github"]);
    assert.equal(run.code, 3, run.err);
    const lines = run.out.trimEnd().split("\n");
    assert.deepEqual(lines, [
      `::error file=${rel(globals)},line=3,col=15,title=lading validate::notes_colour: parameter "notes_colour" must be one of "red", "blue"`,
      `::error file=${rel(globals)},line=4,col=13,title=lading validate::notes_port: parameter "notes_port" must be >= 1`,
    ]);
    writeFileSync(globals, validGlobals);
    const ok = await runCli(["validate", "-d", dir, "--format", "github"]);
    assert.equal(ok.code, 0, ok.err);
    assert.doesNotMatch(ok.out, /::error/);
  });

  it("github: escapes what would end a workflow command (%, newline, and : , in properties)", () => {
    const out = githubAnnotations([{ file: "/x/a,b:c.yml", line: 2, message: "100% bad\nsecond line" }], "/x");
    assert.equal(out, "::error file=a%2Cb%3Ac.yml,line=2,title=lading validate::100%25 bad%0Asecond line\n");
  });

  it("gitlab: a code-quality report whose fingerprints stay the same when lines above move", async () => {
    writeFileSync(globals, validGlobals + BAD);
    const first = await runCli(["validate", "-d", dir, "--format", "gitlab"]);
    assert.equal(first.code, 3);
    const issues = JSON.parse(first.out) as { description: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } }[];
    assert.deepEqual(
      issues.map((i) => [i.location.path, i.location.lines.begin, i.severity, i.description]),
      [
        [rel(globals), 3, "major", 'notes_colour: parameter "notes_colour" must be one of "red", "blue"'],
        [rel(globals), 4, "major", 'notes_port: parameter "notes_port" must be >= 1'],
      ],
    );
    assert.equal(new Set(issues.map((i) => i.fingerprint)).size, 2);
    writeFileSync(globals, `# a comment moves every line down\n${validGlobals}${BAD}`);
    const moved = JSON.parse((await runCli(["validate", "-d", dir, "--format", "gitlab"])).out) as typeof issues;
    assert.deepEqual(moved.map((i) => i.location.lines.begin), [4, 5]);
    assert.deepEqual(moved.map((i) => i.fingerprint), issues.map((i) => i.fingerprint));
    writeFileSync(globals, validGlobals);
    const ok = await runCli(["validate", "-d", dir, "--format", "gitlab"]);
    assert.equal(ok.code, 0);
    assert.deepEqual(JSON.parse(ok.out), []);
  });

  it("gitlab: equal problems at different lines keep distinct fingerprints", () => {
    const p = { file: "a.yml", path: "x", message: "bad" };
    const issues = JSON.parse(gitlabCodeQuality([{ ...p, line: 1 }, { ...p, line: 9 }], "/")) as { fingerprint: string }[];
    assert.notEqual(issues[0]!.fingerprint, issues[1]!.fingerprint);
  });

  it("junit: one test case per file checked, the failing file's case holding its problems", async () => {
    writeFileSync(globals, validGlobals + BAD);
    const run = await runCli(["validate", "-d", dir, "--format", "junit"]);
    assert.equal(run.code, 3);
    const cases = [...run.out.matchAll(/<testcase classname="lading.validate" name="([^"]+)"/g)].map((m) => m[1]);
    const expected = ["inventory.yml", "globals.yml", "passwords.yml", "roles/notes/role.yaml", "roles/notes/templates/notes.conf.hbs"].map((f) => rel(join(dir, f)));
    assert.deepEqual(cases, expected);
    assert.match(run.out, /<testsuite name="lading validate" tests="5" failures="1" errors="0"/);
    const failure = /<testcase[^>]+name="([^"]+)"[^/]*?>\s*<failure message="([^"]+)"/.exec(run.out);
    assert.equal(failure?.[1], rel(globals));
    assert.equal(failure?.[2], "2 problems: notes_colour: parameter &quot;notes_colour&quot; must be one of &quot;red&quot;, &quot;blue&quot;");
    writeFileSync(globals, validGlobals);
    const ok = await runCli(["validate", "-d", dir, "--format", "junit"]);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /tests="5" failures="0"/);
    assert.doesNotMatch(ok.out, /<failure/);
  });

  it("junit: escapes XML and drops characters XML cannot hold", () => {
    const xml = junitXml(["/d/a.yml"], [{ file: "/d/a.yml", line: 1, message: "<&\"\u0001>" }], 5, "/d");
    assert.match(xml, /message="1 problem: &lt;&amp;&quot;\uFFFD&gt;"/);
  });

  it("an unknown format is exit 3 naming --format", async () => {
    const run = await runCli(["validate", "-d", dir, "--format", "xml"]);
    assert.equal(run.code, 3);
    assert.match(run.err, /^error: --format: must be one of text, json, github, gitlab, junit, got "xml"$/m);
  });
});
