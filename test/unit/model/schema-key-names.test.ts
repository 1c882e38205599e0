// A key whose name a schema refuses (propertyNames) is reported once, at the key's own line, naming it.
import assert from "node:assert/strict";
import { checkSchema } from "../../../src/model/schema-check.js";
import { parseYaml } from "../../../src/model/source.js";

describe("schema check of key names", () => {
  it("points at a bad host name in an inventory, by name and line", () => {
    const src = parseYaml("inventory.yml", "hosts:\n  good1: { address: 10.0.0.1 }\n  'bad host;rm': { address: 10.0.0.2 }\n");
    const problems = checkSchema("inventory.schema.json", src);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0]!.line, 3);
    assert.deepEqual(problems[0]!.path, "hosts/bad host;rm");
    assert.match(problems[0]!.message, /^key "bad host;rm" must match pattern/);
  });

  it("points at a bad secret name in passwords.yml", () => {
    const src = parseYaml("passwords.yml", "database_password: x\n9lives: y\n");
    const problems = checkSchema("passwords.schema.json", src);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0]!.line, 2);
    assert.match(problems[0]!.message, /^key "9lives" must match pattern/);
  });
});
