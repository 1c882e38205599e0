// The corpus of broken inputs (test/corpus/broken/<case>/): each case is a folder of files laid over the
// valid base deployment (test/corpus/broken/_base) and an expected.txt naming where the error must point.
// Every case runs the real CLI as a process (`lading deploy`, and `lading plan`) against hosts on loopback
// addresses where this test listens and counts every TCP connection: a broken input must exit with code 3,
// name file, line and path in its message, and open no connection at all.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { InputError } from "../../../src/errors.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir, packageRoot } from "../../../src/paths.js";
import type { DeclaredSecrets } from "../../../src/secrets/declared-secrets.js";
import { copyDeployment, declaredSecretsOf, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { startConnectionCounter, type ConnectionCounter } from "./connection-counter.js";

const CORPUS = join(packageRoot, "test", "corpus", "broken");
const BASE = join(CORPUS, "_base");
/** The kinds of input the issue names; a case's folder name starts with its kind. */
const KINDS = ["inventory", "params", "passwords", "role", "template", "config"] as const;

interface Expected {
  file: string;
  /** undefined: the file as a whole (a link loop), no line. */
  line: number | undefined;
  /** "": the file or line as a whole (a byte that is not UTF-8), no path. */
  path: string;
}

interface BrokenCase {
  name: string;
  dir: string;
  kind: (typeof KINDS)[number];
  /** What the case breaks (the first comment line of expected.txt). */
  title: string;
  expected: Expected[];
  /** expected.txt has a `# one message` line: exactly the expected problems are reported, no more. */
  oneMessage: boolean;
}

/**
 * expected.txt: `# title`, then one line per problem that must be reported: `<file>:<line> <path>` (the path
 * is the rest of the line, spaces included)
 * (file relative to the deployment; `<lading>/...` for the package's own roles). Other `#` lines are comments.
 * Special files of a case: `remove.txt` lists base files to delete; `passwords.yml` holds broken entries, which
 * the test puts first, followed by a fake value for every other declared secret (mode 0600 unless
 * `passwords-mode.txt` says otherwise).
 */
function readCase(name: string): BrokenCase {
  const dir = join(CORPUS, name);
  const lines = readFileSync(join(dir, "expected.txt"), "utf8").split("\n");
  const title = (lines.find((l) => l.startsWith("# ")) ?? "").slice(2);
  const expected = lines
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\S+?)(?::(\d+))? (.+)$/.exec(l);
      if (!m) throw new Error(`${name}/expected.txt: "${l}" is not "<file>:<line> <path>"`);
      return { file: m[1]!, line: m[2] === undefined ? undefined : Number(m[2]), path: m[3] === "-" ? "" : m[3]! };
    });
  const kind = KINDS.find((k) => name.startsWith(`${k}-`));
  if (!kind) throw new Error(`${name}: a case's name starts with its kind (${KINDS.join(", ")})`);
  return { name, dir, kind, title, expected, oneMessage: lines.includes("# one message") };
}

const CASES: BrokenCase[] = readdirSync(CORPUS)
  .filter((n) => !n.startsWith("_") && statSync(join(CORPUS, n)).isDirectory())
  .sort()
  .map(readCase);

const SPECIAL = new Set(["expected.txt", "remove.txt", "passwords-mode.txt", "links.txt"]);

/** Every file below `dir`, relative to it. */
function filesBelow(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesBelow(join(dir, e.name), base) : [relative(base, join(dir, e.name))]));
}

/** The base deployment with the case laid over it, in a new temp folder, its hosts listening on `port`. */
function materialize(c: BrokenCase | undefined, port: number): string {
  const dir = copyDeployment(BASE, "lading-corpus-");
  if (c) {
    for (const rel of filesBelow(c.dir)) if (!SPECIAL.has(rel)) cpSync(join(c.dir, rel), join(dir, rel));
    const removeList = join(c.dir, "remove.txt");
    if (existsSync(removeList)) {
      for (const rel of readFileSync(removeList, "utf8").split("\n").filter(Boolean)) rmSync(join(dir, rel), { recursive: true, force: true });
    }
  }
  for (const rel of filesBelow(dir)) {
    const file = join(dir, rel);
    // Byte for byte ("latin1" maps each byte to one character): a case's bytes that are not UTF-8 must stay so.
    const text = readFileSync(file, "latin1");
    if (text.includes("@PORT@")) writeFileSync(file, text.replaceAll("@PORT@", String(port)), "latin1");
  }
  let declared: DeclaredSecrets;
  try {
    declared = declaredSecretsOf(dir);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // The case breaks the user role: the built-in roles' secrets, and the base role's token.
    declared = loadRoles([builtinRolesDir, join(BASE, "roles")]).secrets;
  }
  // Symbolic links last (`path -> target` lines of links.txt): a link loop must not trip the copy above.
  const links = c ? join(c.dir, "links.txt") : "";
  if (c && existsSync(links)) {
    for (const l of readFileSync(links, "utf8").split("\n").filter(Boolean)) {
      const [rel, target] = l.split(" -> ");
      mkdirSync(dirname(join(dir, rel!)), { recursive: true });
      symlinkSync(target!, join(dir, rel!));
    }
  }
  writeFakePasswords(dir, declared);
  if (c && existsSync(join(c.dir, "passwords.yml"))) {
    // The case's entries first (so that its lines are its own), then the fake value of every other secret.
    const own = readFileSync(join(c.dir, "passwords.yml"), "latin1");
    const named = new Set([...own.matchAll(/^"?([^":\s]+)"?:/gm)].map((m) => m[1]!));
    const fake = readFileSync(join(dir, "passwords.yml"), "utf8").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
    const others = fake.filter((l, i) => {
      const owner = fake.slice(0, i + 1).reverse().find((x) => !x.startsWith(" "))!;
      return !named.has(owner.split(":")[0]!);
    });
    writeFileSync(join(dir, "passwords.yml"), `${own}${others.join("\n")}\n`, "latin1");
    const modeFile = join(c.dir, "passwords-mode.txt");
    chmodSync(join(dir, "passwords.yml"), existsSync(modeFile) ? parseInt(readFileSync(modeFile, "utf8").trim(), 8) : 0o600);
  }
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runLading(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot, "bin", "lading.js"), ...args], {
      env: { ...process.env, CI: "true", NO_COLOR: "1", LADING_DIR: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 255, stdout, stderr }));
  });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The `error:` lines with the deployment's folder shown as nothing and the package's as `<lading>`. */
function errorLines(run: Run, dir: string): string[] {
  return run.stderr
    .split("\n")
    .filter((l) => l.startsWith("error: "))
    .map((l) => l.split(`${dir}/`).join("").split(`${packageRoot}/`).join("<lading>/"));
}

describe("broken-input corpus: the real CLI refuses each case with file, line and path, and dials nobody", function () {
  this.timeout(120_000);
  let counter: ConnectionCounter;
  before(async () => {
    counter = await startConnectionCounter(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
  });
  after(async () => counter?.close());

  it("holds at least 40 cases, at least 5 of each kind, each with an expectation", () => {
    const perKind = Object.fromEntries(KINDS.map((k) => [k, CASES.filter((c) => c.kind === k).length]));
    assert.ok(CASES.length >= 40, `${CASES.length} cases`);
    for (const k of KINDS) assert.ok(perKind[k]! >= 5, `${k}: ${perKind[k]} cases`);
    for (const c of CASES) assert.ok(c.expected.length >= 1 && c.title, `${c.name}: expected.txt names a title and at least one problem`);
  });

  it("control: the valid base deployment does dial its hosts, so the counter would see a broken case that did", async () => {
    const dir = materialize(undefined, counter.port);
    try {
      const before = counter.connections.length;
      const run = await runLading(["plan", "-d", dir]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout + run.stderr, /UNREACHABLE|unreachable/);
      assert.ok(counter.connections.length > before, "the listeners saw the connections of a valid deployment");
      counter.connections.length = 0;
    } finally {
      removeDeployment(dir);
    }
  });

  // Every case through `deploy` (the command that would change most); every third one through `plan` as well.
  CASES.forEach((c, i) => {
    for (const command of i % 3 === 0 ? ["deploy", "plan"] : ["deploy"]) {
      it(`${c.name} (${command}): ${c.title}`, async () => {
        const dir = materialize(c, counter.port);
        counter.connections.length = 0;
        try {
          const run = await runLading([command, "-d", dir]);
          if (process.env.LADING_DUMP_CASES) process.stderr.write(`${c.name}: exit ${run.code}\n${errorLines(run, dir).join("\n")}\n`);
          const errors = errorLines(run, dir);
          assert.equal(run.code, 3, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
          assert.match(run.stderr, /nothing was changed on any host/);
          for (const e of c.expected) {
            const where = e.line === undefined ? escapeRe(e.file) : `${escapeRe(e.file)}:${e.line}(:\\d+)?`;
            const re = new RegExp(`^error: ${where}: ${e.path ? `${escapeRe(e.path)}: ` : ""}\\S`);
            assert.ok(errors.some((l) => re.test(l)), `no error at ${e.file}:${e.line ?? ""} ${e.path}; got:\n${errors.join("\n")}`);
          }
          // A case marked `# one message` must say it once, not once per schema branch.
          if (c.oneMessage) assert.equal(errors.length, c.expected.length, `one message per problem; got:\n${errors.join("\n")}`);
          // Refused before any connection (how fast is bench/'s business, not a test's: a busy machine took 3.9 s).
          assert.deepEqual(counter.connections, [], "no connection to any host");
        } finally {
          removeDeployment(dir);
        }
      });
    }
  });
});
