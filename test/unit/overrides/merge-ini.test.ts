import assert from "node:assert/strict";
import fc from "fast-check";
import { mergeIni } from "../../../src/overrides/merge-ini.js";
import { iniOptions, parseIni } from "../../../src/overrides/parse-ini.js";
import { problemsOf } from "../problems-of.js";

const over = (text: string, file = "override.ini") => ({ file, text });
const lines = (...l: string[]) => `${l.join("\n")}\n`;

const base = lines(
  "# webapp configuration, rendered by lading",
  "[DEFAULT]",
  "debug = false",
  "",
  "[http]",
  "# where to listen",
  "bind = 10.98.0.11",
  "port = 8080",
  "",
  "[cors]",
  "allowed_origin = https://a.example",
  "allowed_origin = https://b.example",
  "max_age = 3600",
);

describe("mergeIni", () => {
  it("replaces a key's value in place, keeping every other line and comment", () => {
    assert.equal(
      mergeIni(base, [over("[http]\nport=9090\n")]),
      base.replace("port = 8080", "port = 9090"),
    );
  });

  it("trims whitespace around = and accepts : as oslo.config does", () => {
    assert.equal(mergeIni(base, [over("[http]\n  \nport   :   9090   \n")]), base.replace("port = 8080", "port = 9090"));
  });

  it("treats [DEFAULT] like any other section", () => {
    assert.equal(mergeIni(base, [over("[DEFAULT]\ndebug = true\n")]), base.replace("debug = false", "debug = true"));
  });

  it("replaces a multi-valued option's whole list with the override's list", () => {
    const out = mergeIni(base, [over("[cors]\nallowed_origin = https://c.example\nallowed_origin = https://d.example\nallowed_origin = https://e.example\n")]);
    assert.equal(
      out,
      base.replace(
        "allowed_origin = https://a.example\nallowed_origin = https://b.example",
        "allowed_origin = https://c.example\nallowed_origin = https://d.example\nallowed_origin = https://e.example",
      ),
    );
  });

  it("replaces a multi-valued option with a single value when the override names it once", () => {
    const out = mergeIni(base, [over("[cors]\nallowed_origin = https://only.example\n")]);
    assert.deepEqual(iniOptions(parseIni("x", out)).get("cors")?.get("allowed_origin"), [["https://only.example"]]);
    assert.ok(out.includes("allowed_origin = https://only.example\nmax_age = 3600"));
  });

  it("appends new keys after the section's last option, before the blank line that ends it", () => {
    assert.equal(
      mergeIni(base, [over("[http]\nworkers = 4\n")]),
      base.replace("port = 8080\n", "port = 8080\nworkers = 4\n"),
    );
  });

  it("appends new sections at the end, separated by a blank line, in override order", () => {
    assert.equal(mergeIni(base, [over("[zeta]\nz = 1\n[alpha]\na = 1\n")]), `${base}\n[zeta]\nz = 1\n\n[alpha]\na = 1\n`);
  });

  it("is case-sensitive for keys and sections", () => {
    const out = mergeIni(base, [over("[HTTP]\nPort = 1\n[http]\nPort = 2\n")]);
    assert.ok(out.includes("port = 8080\nPort = 2\n"));
    assert.ok(out.endsWith("\n[HTTP]\nPort = 1\n"));
  });

  it("keeps continuation lines with their value, and replaces them with the key", () => {
    const b = lines("[a]", "hosts = one", "    two", "\tthree", "after = x");
    assert.deepEqual(iniOptions(parseIni("b", b)).get("a")?.get("hosts"), [["one", "two", "three"]]);
    assert.equal(mergeIni(b, [over("[a]\nafter = y\n")]), lines("[a]", "hosts = one", "    two", "\tthree", "after = y"));
    assert.equal(mergeIni(b, [over("[a]\nhosts = four\n   five\n")]), lines("[a]", "hosts = four", "    five", "after = x"));
  });

  it("ends a continuation at a blank line or a comment", () => {
    const doc = parseIni("b", lines("[a]", "k = 1", "# note", "  # indented note", "j = 2", "", "  # also a note"));
    assert.deepEqual(iniOptions(doc).get("a"), new Map([["k", [["1"]]], ["j", [["2"]]]]));
  });

  it("writes an empty value as `key =`", () => {
    assert.equal(mergeIni("[a]\nk = 1\n", [over("[a]\nk =\n")]), "[a]\nk =\n");
  });

  it("merges a key spread over a repeated section once, at its first place", () => {
    const b = lines("[a]", "k = 1", "[b]", "x = 1", "[a]", "k = 2", "m = 3");
    assert.equal(mergeIni(b, [over("[a]\nk = 9\nn = 4\n")]), lines("[a]", "k = 9", "[b]", "x = 1", "[a]", "m = 3", "n = 4"));
  });

  it("applies several overrides in order, the later winning", () => {
    const out = mergeIni(base, [over("[http]\nport = 1\nworkers = 2\n", "a.ini"), over("[http]\nport = 3\n", "b.ini")]);
    assert.ok(out.includes("port = 3\nworkers = 2\n"));
  });

  it("drops the overrides' comments but keeps the base's", () => {
    const out = mergeIni(base, [over("# why: the LB talks to 9090\n[http]\n# really\nport = 9090\n")]);
    assert.equal(out, base.replace("port = 8080", "port = 9090"));
  });

  it("normalises CRLF to LF and adds the final newline", () => {
    assert.equal(mergeIni("[a]\r\nk = 1\r\n# c\r\nj = 2", []), "[a]\nk = 1\n# c\nj = 2\n");
  });

  it("locates errors: an option before any section, a line that is none, a bad header", () => {
    assert.deepEqual(problemsOf(() => mergeIni(base, [over("# fine\nport = 1\n[http]\nnonsense\n[broken\n  stray\n", "config/webapp.ini")])), [
      { file: "config/webapp.ini", line: 2, column: 1, message: 'option "port" before any [section]' },
      { file: "config/webapp.ini", line: 4, column: 1, message: 'expected "key = value", a [section] or a # comment' },
      { file: "config/webapp.ini", line: 5, column: 1, message: "invalid section header: expected [name]" },
      { file: "config/webapp.ini", line: 6, column: 1, message: "indented line continues no option (nothing above it to continue)" },
    ]);
  });

  it("names the base file in its errors", () => {
    assert.deepEqual(problemsOf(() => mergeIni("k = 1\n", [], { baseFile: "webapp/webapp.ini.hbs" })), [
      { file: "webapp/webapp.ini.hbs", line: 1, column: 1, message: 'option "k" before any [section]' },
    ]);
  });
});

// Generated INI text: a few sections and keys (so that they collide), repeated keys, comments, blank lines,
// continuation lines.
const sectionName = fc.constantFrom("DEFAULT", "a", "b", "c");
const key = fc.constantFrom("k1", "k2", "k3", "K1", "multi");
const word = fc.stringMatching(/^[a-z0-9:/.]{1,8}$/);
const optionLines = fc.tuple(key, word, fc.array(word, { maxLength: 2 })).map(([k, v, more]) => [`${k} = ${v}`, ...more.map((m) => `    ${m}`)]);
const bodyLine = fc.oneof(
  { weight: 4, arbitrary: optionLines },
  { weight: 1, arbitrary: fc.constant(["# a comment"]) },
  { weight: 1, arbitrary: fc.constant([""]) },
);
const section = fc.tuple(sectionName, fc.array(bodyLine, { maxLength: 6 })).map(([name, body]) => [`[${name}]`, ...body.flat()]);
const iniText = fc.tuple(fc.constantFrom([], ["# header"]), fc.array(section, { maxLength: 4 })).map(([pre, secs]) => lines(...pre, ...secs.flat()));
const overrideText = fc.array(section, { maxLength: 3 }).map((secs) => (secs.length ? lines(...secs.flat()) : ""));

/** What a service reading the file sees: section -> key -> values, order of keys ignored. */
function normalized(text: string): unknown {
  const options = iniOptions(parseIni("x", text));
  return Object.fromEntries([...options].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, keys]) => [s, Object.fromEntries([...keys].sort(([a], [b]) => (a < b ? -1 : 1)))]));
}

describe("mergeIni properties", function () {
  // A hundred generated cases each; the machine is shared, so allow for a slow moment.
  this.timeout(60_000);

  it("merging an empty override is the identity", () => {
    fc.assert(
      fc.property(iniText, (b) => {
        assert.deepEqual(normalized(mergeIni(b, [over("")])), normalized(b));
        assert.equal(mergeIni(b, [over("")]), mergeIni(b, []));
      }),
    );
  });

  it("merging A then B equals merging the key-wise union of A and B (B winning)", () => {
    fc.assert(
      fc.property(iniText, overrideText, overrideText, (b, x, y) => {
        const inTurn = mergeIni(b, [over(x), over(y)]);
        assert.equal(mergeIni(mergeIni(b, [over(x)]), [over(y)]), inTurn);
        assert.deepEqual(normalized(mergeIni(b, [over(mergeIni(x, [over(y)]))])), normalized(inTurn));
      }),
    );
  });

  it("is idempotent: merging the same override twice equals merging it once", () => {
    fc.assert(
      fc.property(iniText, overrideText, (b, x) => {
        const once = mergeIni(b, [over(x)]);
        assert.equal(mergeIni(b, [over(x), over(x)]), once);
      }),
    );
  });

  it("gives every key of the override exactly the override's values, and leaves the others", () => {
    fc.assert(
      fc.property(iniText, overrideText, (b, x) => {
        const merged = iniOptions(parseIni("m", mergeIni(b, [over(x)])));
        const wanted = iniOptions(parseIni("o", x));
        const before = iniOptions(parseIni("b", b));
        for (const [s, keys] of wanted) for (const [k, v] of keys) assert.deepEqual(merged.get(s)?.get(k), v);
        for (const [s, keys] of before) for (const [k, v] of keys) if (!wanted.get(s)?.has(k)) assert.deepEqual(merged.get(s)?.get(k), v);
      }),
    );
  });
});
