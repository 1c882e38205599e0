// Fuzzing `validate`'s core (loadProject + renderProject, what `lading validate` runs) over mutations of the
// example deployment (examples/lab, with its passwords generated, a user copy of the webapp role and a config
// override): flipped and inserted bytes, broken YAML structure, values of the wrong type, other encodings.
// Whatever the mutation, the outcome is a render or an InputError (never another exception: that would be exit
// 70 "internal error"), within a time bound, and a file that is not valid UTF-8 is never accepted.
// Fixed seed and bounded runs: the same few hundred cases at every run, in a few seconds.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { InputError } from "../../../src/errors.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { firstInvalidUtf8 } from "../../../src/model/read-text.js";
import { builtinRolesDir, packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";

/** The files a mutation may hit, relative to the deployment. */
const FILES = ["globals.yml", "inventory.yml", "passwords.yml", "config/mariadb/galera.cnf", "roles/webapp/role.yaml", "roles/webapp/templates/webapp.ini.hbs"];
const SEED = 21;
/** A load of this small deployment takes tens of milliseconds; a mutation must never make it hang. */
const BOUND_MS = 2000;

type Outcome = { ok: true } | { ok: false; error: InputError };

function validateDir(dir: string): Outcome {
  try {
    renderProject(loadProject({ dir }));
    return { ok: true };
  } catch (err) {
    if (err instanceof InputError) return { ok: false, error: err };
    throw err;
  }
}

/** Replaces the bytes of `file` for one case and puts them back after. */
function withFile<T>(dir: string, rel: string, bytes: Uint8Array, fn: () => T): T {
  const path = join(dir, rel);
  const saved = readFileSync(path);
  writeFileSync(path, bytes);
  try {
    return fn();
  } finally {
    writeFileSync(path, saved);
  }
}

// Mutations of a file's bytes.
const byteEdit = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

type ByteEdit = { kind: "flip"; at: number; value: number } | { kind: "insert"; at: number; bytes: Uint8Array } | { kind: "truncate"; at: number };

function applyByteEdit(bytes: Uint8Array, e: ByteEdit): Uint8Array {
  const at = bytes.length ? e.at % (bytes.length + 1) : 0;
  if (e.kind === "flip") {
    const out = Uint8Array.from(bytes);
    if (out.length) out[at % out.length] = e.value;
    return out;
  }
  if (e.kind === "insert") return Uint8Array.from([...bytes.subarray(0, at), ...e.bytes, ...bytes.subarray(at)]);
  return bytes.subarray(0, at);
}

// Mutations of a YAML or text file's structure and values, line by line.
const SCALARS = ["null", "~", ".nan", "-.inf", "0", "-1", "1.5", "99999999999999999999", "true", "''", '""', "[]", "{}", "[a, [b, {c: d}]]", "&x a", "*x", "!!binary aGk=", "!tag v", "'unclosed", '"unclosed', "{{host.name}}", "{{#each x}}", "\t", "key: value: more", "- item", "? complex", "%YAML 1.1", "---", "..."];
const lineEdit = fc.oneof(
  fc.record({ kind: fc.constant("value" as const), line: fc.nat(), value: fc.constantFrom(...SCALARS) }),
  fc.record({ kind: fc.constant("indent" as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat(), other: fc.nat() }),
);

type LineEdit = { kind: "value"; line: number; value: string } | { kind: "indent"; line: number; by: number } | { kind: "duplicate" | "delete"; line: number } | { kind: "swap"; line: number; other: number };

function applyLineEdit(text: string, e: LineEdit): string {
  const lines = text.split("\n");
  const i = e.line % lines.length;
  switch (e.kind) {
    case "value": {
      const colon = lines[i]!.indexOf(": ");
      lines[i] = colon >= 0 ? `${lines[i]!.slice(0, colon + 2)}${e.value}` : `${lines[i]!}${e.value}`;
      break;
    }
    case "indent":
      lines[i] = e.by >= 0 ? `${" ".repeat(e.by)}${lines[i]!}` : lines[i]!.replace(new RegExp(`^ {0,${-e.by}}`), "");
      break;
    case "duplicate":
      lines.splice(i, 0, lines[i]!);
      break;
    case "delete":
      lines.splice(i, 1);
      break;
    case "swap": {
      const j = e.other % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      break;
    }
  }
  return lines.join("\n");
}

// Other encodings of the same text.
const ENCODINGS = ["latin1", "utf16le", "utf16le-bom", "utf8-bom"] as const;
function encode(text: string, encoding: (typeof ENCODINGS)[number]): Uint8Array {
  if (encoding === "utf8-bom") return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
  if (encoding === "utf16le-bom") return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  return Buffer.from(text, encoding);
}

describe("validate under fuzzed input: a located error or a render, never an internal error, a hang or a file that is not UTF-8", function () {
  this.timeout(120_000);
  let dir: string;
  let original: Map<string, Buffer>;

  before(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"), "lading-fuzz-");
    mkdirSync(join(dir, "roles"), { recursive: true });
    cpSync(join(builtinRolesDir, "webapp"), join(dir, "roles", "webapp"), { recursive: true });
    writeFakePasswords(dir);
    original = new Map(FILES.map((f) => [f, readFileSync(join(dir, f))]));
    // The control: the unmutated deployment is valid, so that a mutation's refusal means something.
    assert.deepEqual(validateDir(dir), { ok: true });
  });
  after(() => dir && removeDeployment(dir));

  /** Runs one mutated file through validate and checks the outcome against the properties. */
  function check(rel: string, bytes: Uint8Array): void {
    const started = performance.now();
    const outcome = withFile(dir, rel, bytes, () => validateDir(dir));
    const ms = performance.now() - started;
    assert.ok(ms < BOUND_MS, `${rel}: ${Math.round(ms)} ms`);
    const invalid = firstInvalidUtf8(bytes);
    if (invalid !== undefined) {
      assert.equal(outcome.ok, false, `${rel} is not UTF-8 (byte ${invalid}) and was accepted`);
      if (!outcome.ok) assert.ok(outcome.error.problems.some((p) => p.file.endsWith(rel) && p.line !== undefined && /not valid UTF-8/.test(p.message)), `${rel}: ${outcome.error.message}`);
    }
    if (!outcome.ok) {
      for (const p of outcome.error.problems) assert.ok(p.file && p.message, `every problem names a file and says something: ${JSON.stringify(p)}`);
    }
  }

  it("byte edits (flips, inserted bytes, truncation)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FILES), fc.array(byteEdit, { minLength: 1, maxLength: 3 }), (rel, edits) => {
        check(rel, edits.reduce<Uint8Array>((b, e) => applyByteEdit(b, e), new Uint8Array(original.get(rel)!)));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("YAML structure and value types (values replaced by null, .nan, lists, anchors, tags; lines re-indented, duplicated, dropped, swapped)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FILES), fc.array(lineEdit, { minLength: 1, maxLength: 3 }), (rel, edits) => {
        const text = edits.reduce((t, e) => applyLineEdit(t, e as LineEdit), original.get(rel)!.toString("utf8"));
        check(rel, Buffer.from(text, "utf8"));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("other encodings (Latin-1 with an accented character, UTF-16, byte-order marks)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FILES), fc.constantFrom(...ENCODINGS), fc.nat(), (rel, encoding, at) => {
        const text = original.get(rel)!.toString("utf8");
        const lines = text.split("\n");
        // An accented character in a comment, so that Latin-1 differs from UTF-8 (a comment is harmless in UTF-8).
        const i = at % lines.length;
        const marker = rel.endsWith(".hbs") ? "{{!-- café --}}" : "# café";
        lines.splice(i + 1, 0, marker);
        check(rel, encode(lines.join("\n"), encoding));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
