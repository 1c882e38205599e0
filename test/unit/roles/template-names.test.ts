// The template checker itself: it must catch what the role tests rely on it to catch.
import assert from "node:assert/strict";
import { checkTemplate, type Shape } from "./template-names.js";

const root: Shape = {
  kind: "object",
  fields: {
    port: { kind: "value" },
    enabled: { kind: "boolean" },
    host: { kind: "object", fields: { name: { kind: "value" } } },
    nodes: { kind: "list", item: { kind: "object", fields: { name: { kind: "value" }, first: { kind: "boolean" } } } },
  },
};

describe("template checker", () => {
  it("accepts values, #each over lists with ../ and #if on booleans", () => {
    assert.deepEqual(checkTemplate("{{port}} {{host.name}}{{#each nodes}}{{name}}{{../port}}{{#if first}}x{{/if}}{{/each}}{{#if enabled}}y{{/if}}", root), []);
  });

  it("names an undeclared value with its line", () => {
    assert.deepEqual(checkTemplate("a\n{{prot}}", root), ['line 2: "prot" is not a parameter, secret, computed value or context key']);
  });

  it("refuses helpers and other blocks", () => {
    assert.equal(checkTemplate("{{join nodes}}", root).length, 1);
    assert.equal(checkTemplate("{{#unless enabled}}x{{/unless}}", root).length, 1);
  });

  it("refuses #if on a value and #each over a value", () => {
    assert.deepEqual(checkTemplate("{{#if port}}x{{/if}}", root), ['line 1: #if on "port", which is not a boolean']);
    assert.deepEqual(checkTemplate("{{#each port}}x{{/each}}", root), ['line 1: #each over "port", which is not a list']);
  });

  it("checks item fields inside #each and refuses an object as a value", () => {
    assert.equal(checkTemplate("{{#each nodes}}{{address}}{{/each}}", root).length, 1);
    assert.deepEqual(checkTemplate("{{host}}", root), ['line 1: "host" is an object, not a value']);
  });
});
