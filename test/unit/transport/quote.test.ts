import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { quoteArg, quoteArgv } from "../../../src/transport/quote.js";

/** Runs a command line with the real /bin/sh and returns what `printf '%s\001' "$@"`-style argv printed. */
function argvSeenBySh(commandLine: string): string[] {
  const result = spawnSync("/bin/sh", ["-c", commandLine]);
  assert.equal(result.status, 0, result.stderr.toString());
  const out = result.stdout.toString("utf8");
  return out === "" ? [] : out.slice(0, -1).split("\x01");
}

// printf with an octal escape in the format: every argument arrives followed by \001.
const PRINT_ARGS = ["printf", "%s\\001"];

describe("quoteArgv", () => {
  it("leaves plainly safe words alone and quotes the rest", () => {
    assert.equal(quoteArgv(["docker", "restart", "mariadb"]), "docker restart mariadb");
    assert.equal(quoteArgv(["ls", "-la", "/etc/my.cnf"]), "ls -la /etc/my.cnf");
    assert.equal(quoteArg(""), "''");
    assert.equal(quoteArg("it's"), `'it'\\''s'`);
    assert.equal(quoteArg("a b"), "'a b'");
    assert.equal(quoteArg("A=b"), "'A=b'");
    assert.equal(quoteArg("~root"), "'~root'");
    assert.equal(quoteArg("if"), "'if'");
  });

  it("rejects NUL bytes and empty commands", () => {
    assert.throws(() => quoteArgv(["echo", "a\0b"]), /NUL/);
    assert.throws(() => quoteArgv([]), /empty/);
  });

  it("delivers nasty values byte for byte through the real sh", () => {
    const nasty = [
      "", " ", "it's", `"double"`, "$(touch /tmp/lading-pwned)", "`id`", "a\nb\n", "; rm -rf / | cat & echo",
      "*", "/etc/*", "?", "[a-z]", "~", "~root", "héllo wörld ✓ 日本", "-n", "--help", "-e", "\\", "\\n", "$HOME", "${x:-y}",
      "A=b", "!", "#comment", "\t", "'", "''", "'\\''", "{a,b}", "if", "then",
    ];
    assert.deepEqual(argvSeenBySh(quoteArgv([...PRINT_ARGS, ...nasty])), nasty);
  });

  it("round-trips any argv through the real sh (property)", function () {
    this.timeout(60_000);
    const arg = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\0") && !s.includes("\x01"));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 5 }), (args) => {
        assert.deepEqual(argvSeenBySh(quoteArgv([...PRINT_ARGS, ...args])), args);
      }),
      { numRuns: 300 },
    );
  });
});

/** Runs a command line with `<shell> -c` and returns the arguments a NUL-separated printer received. */
function argvSeenBy(shell: string, commandLine: string): string[] {
  const result = spawnSync(shell, ["-c", commandLine]);
  assert.equal(result.status, 0, result.stderr.toString());
  const out = result.stdout.toString("utf8");
  return out === "" ? [] : out.slice(0, -1).split("\0");
}

// A fixed script that prints its positional parameters NUL-separated (with none, printf prints one empty
// field: hence at least one argument below), run as `sh -c SCRIPT sh ARGS...`:
// the pattern remote pipelines use, with every value a separate argument.
const PRINT_NUL = ["sh", "-c", `printf '%s\\0' "$@"`, "sh"];

describe("quoteArgv under bash and sh, NUL-separated (properties)", function () {
  this.timeout(120_000);
  // Any string but NUL (which no argument can carry); unicode, newlines, quotes and every metacharacter included.
  const arg = fc.oneof(
    fc.string({ unit: "binary", maxLength: 30 }),
    fc.constantFrom(";", "|", "&", "&&", "`id`", "$(touch /tmp/lading-pwned)", "'", '"', "\\", "\n", " ", "*", "?", "-e", "--", "~", "!", "$?", "ü ✓"),
    fc.array(fc.constantFrom(";", "|", "&", "`", "$", "(", ")", "'", '"', "\\", "\n", " ", "*", "-", "!", "{", "}", "#", "=", "~", "\t", "<", ">"), { maxLength: 12 }).map((a) => a.join("")),
  ).filter((s) => !s.includes("\0"));

  for (const shell of ["/bin/bash", "/bin/sh"]) {
    it(`${shell} -c on the quoted argv gives back exactly the argv`, () => {
      fc.assert(
        fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (args) => {
          assert.deepEqual(argvSeenBy(shell, quoteArgv([...PRINT_NUL, ...args])), args);
        }),
        { numRuns: 200 },
      );
    });
  }

  it("a quoted argument never ends the command: whatever follows a quoted value is still an argument", () => {
    fc.assert(
      fc.property(arg, arg, (a, b) => {
        // `printf ... A B` where A and B are quoted: exactly two arguments, whatever A holds.
        assert.deepEqual(argvSeenBy("/bin/bash", `${quoteArgv(PRINT_NUL)} ${quoteArg(a)} ${quoteArg(b)}`), [a, b]);
      }),
      { numRuns: 200 },
    );
  });
});
