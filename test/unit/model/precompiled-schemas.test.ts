import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { checkPrecompiledSchema, precompiledValidator, type PrecompiledSchemaFile } from "../../../src/model/precompiled-schemas.js";
import { checkSchema, validatorFor } from "../../../src/model/schema-check.js";
import { parseYaml, type YamlSource } from "../../../src/model/source.js";
import { packageRoot } from "../../../src/paths.js";

const SCHEMA_OF: Record<string, PrecompiledSchemaFile> = {
  "role.yaml": "role.schema.json",
  "global.yaml": "global.schema.json",
  "globals.yml": "globals.schema.json",
  "inventory.yml": "inventory.schema.json",
  "passwords.yml": "passwords.schema.json",
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every YAML file of the repository that one of the schemas checks: the built-in roles, examples, the broken corpus. */
function documents(): { file: string; schema: PrecompiledSchemaFile; source: YamlSource }[] {
  const docs = [];
  for (const top of ["roles", "examples", join("test", "corpus")]) {
    for (const file of filesUnder(join(packageRoot, top))) {
      const schema = SCHEMA_OF[basename(file)];
      if (!schema) continue;
      try {
        const source = parseYaml(file, readFileSync(file, "utf8"));
        source.value();
        docs.push({ file: relative(packageRoot, file), schema, source });
      } catch {
        // not YAML at all (or an alias bomb of the corpus, refused before any schema): no schema sees it
      }
    }
  }
  return docs;
}

/** Stand-ins that break each kind of rule a schema holds: types, patterns, formats (a duration of days), enums. */
const BAD_VALUES: unknown[] = [7, "5d", "Bad Name!", {}];

/** The document with one place changed: every value replaced by each stand-in, every map given an unknown key and each key removed. */
function mutationsOf(value: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (v: unknown, put: (x: unknown) => unknown): void => {
    for (const bad of BAD_VALUES) out.push(put(bad));
    if (Array.isArray(v)) v.forEach((item, i) => visit(item, (x) => put(v.map((y, j) => (j === i ? x : y)))));
    else if (v !== null && typeof v === "object") {
      const map = v as Record<string, unknown>;
      out.push(put({ ...map, "Bad Key!": 1 }));
      for (const k of Object.keys(map)) {
        const { [k]: _dropped, ...without } = map;
        void _dropped;
        out.push(put(without));
        visit(map[k], (x) => put({ ...map, [k]: x }));
      }
    }
  };
  visit(value, (x) => x);
  return out;
}

describe("precompiled schema validators", () => {
  const docs = documents();

  it("finds documents of every schema", () => {
    assert.deepEqual([...new Set(docs.map((d) => d.schema))].sort(), Object.values(SCHEMA_OF).sort());
  });

  it("report exactly the errors the run-time validators report, on every document and its mutations", function () {
    this.timeout(60_000);
    let compared = 0;
    for (const d of docs) {
      const runtime = validatorFor(d.schema);
      const generated = precompiledValidator(d.schema);
      // The problems a user sees are built from these errors by the same code (problemsFrom).
      assert.deepEqual(checkPrecompiledSchema(d.schema, d.source), checkSchema(d.schema, d.source), d.file);
      for (const value of mutationsOf(d.source.value())) {
        const ok = runtime(value);
        assert.equal(generated(value), ok);
        if (!ok) assert.deepEqual(generated.errors, runtime.errors, `${d.file}: ${JSON.stringify(value).slice(0, 300)}`);
        compared++;
      }
    }
    assert.ok(compared > 5_000, `compared ${compared}`);
  });
});
