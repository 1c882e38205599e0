import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { globalsSchema } from "../../../src/model/globals-schema.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir, schemasDir } from "../../../src/paths.js";
import { createAjv } from "../../../src/model/schema-check.js";
import { parse } from "yaml";

describe("schemas/globals.schema.json", () => {
  it("is up to date with the roles' parameters (regenerate with `lading schemas`)", () => {
    const committed = JSON.parse(readFileSync(join(schemasDir, "globals.schema.json"), "utf8")) as unknown;
    assert.deepEqual(committed, globalsSchema(loadRoles([builtinRolesDir])));
  });

  it("accepts the examples' globals.yml and refuses a wrong type, as editors will show", () => {
    const ajv = createAjv();
    const validate = ajv.getSchema("https://lading.dev/schemas/globals.schema.json")!;
    for (const ex of ["lab", "all-in-one"]) {
      const globals = parse(readFileSync(join(schemasDir, "..", "examples", ex, "globals.yml"), "utf8")) as unknown;
      assert.equal(validate(globals), true, JSON.stringify(validate.errors));
    }
    assert.equal(validate({ mariadb_port: "3306" }), false);
    assert.equal(validate({ no_such_parameter: 1 }), false);
  });
});
