// Every schema of schemas/ is a valid JSON Schema (draft 2020-12): createAjv skips this check at run time.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { schemasDir } from "../../../src/paths.js";
import { createAjv, validatorFor } from "../../../src/model/schema-check.js";
import { parameterSchema } from "../../../src/model/params.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir } from "../../../src/paths.js";

describe("schemas/", () => {
  const files = readdirSync(schemasDir).filter((f) => f.endsWith(".schema.json"));

  it("holds the schemas the model checks files with", () => {
    assert.ok(files.length >= 4, files.join(", "));
  });

  for (const file of files) {
    it(`${file} is valid against the draft 2020-12 meta-schema and compiles`, () => {
      const meta = new Ajv2020({ strict: false });
      const schema = JSON.parse(readFileSync(join(schemasDir, file), "utf8")) as object;
      assert.equal(meta.validateSchema(schema), true, JSON.stringify(meta.errors, null, 2));
      assert.equal(typeof validatorFor(file), "function");
    });
  }

  it("every parameter of the shipped roles gives a valid schema", () => {
    const meta = new Ajv2020({ strict: false });
    const ajv = createAjv();
    for (const p of loadRoles([builtinRolesDir]).parameters.values()) {
      const schema = parameterSchema(p.decl);
      assert.equal(meta.validateSchema(schema), true, `${p.name}: ${JSON.stringify(meta.errors)}`);
      assert.equal(typeof ajv.compile(schema), "function");
    }
  });
});
