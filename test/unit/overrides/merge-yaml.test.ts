import assert from "node:assert/strict";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { deepMerge, isPlainMap } from "../../../src/overrides/deep-merge.js";
import { mergeJson } from "../../../src/overrides/merge-json.js";
import { mergeYaml } from "../../../src/overrides/merge-yaml.js";
import { problemsOf } from "../problems-of.js";

const over = (text: string, file = "override.yml") => ({ file, text });

const base = [
  "# rendered by lading",
  "listeners:",
  "  tcp: 5672 # AMQP",
  "  ssl: false",
  "cluster:",
  "  nodes: [rabbit@lab1, rabbit@lab2]",
  "  partition_handling: autoheal",
  "log:",
  "  level: info",
  "",
].join("\n");

describe("mergeYaml", () => {
  it("merges maps recursively, keeping the base's comments and untouched keys", () => {
    const out = mergeYaml(base, [over("listeners:\n  tcp: 5673\nlog:\n  file: /var/log/x.log\n")]);
    assert.equal(
      out,
      [
        "# rendered by lading",
        "listeners:",
        "  tcp: 5673 # AMQP",
        "  ssl: false",
        "cluster:",
        "  nodes: [ rabbit@lab1, rabbit@lab2 ]",
        "  partition_handling: autoheal",
        "log:",
        "  level: info",
        "  file: /var/log/x.log",
        "",
      ].join("\n"),
    );
  });

  it("replaces lists whole: an override repeats the list to add to it", () => {
    const out = parse(mergeYaml(base, [over("cluster:\n  nodes: [rabbit@lab3]\n")])) as { cluster: { nodes: string[] } };
    assert.deepEqual(out.cluster.nodes, ["rabbit@lab3"]);
  });

  it("sets a key to null on `key: null` (does not delete it), as Kolla-Ansible does", () => {
    const out = parse(mergeYaml(base, [over("log:\n  level:\ncluster: null\n")])) as Record<string, unknown>;
    assert.deepEqual(out.log, { level: null });
    assert.equal(out.cluster, null);
    assert.ok("cluster" in out);
  });

  it("replaces a scalar by a map and a map by a scalar", () => {
    const out = parse(mergeYaml(base, [over("log: quiet\nlisteners:\n  ssl: {port: 5671, verify: true}\n")])) as Record<string, unknown>;
    assert.equal(out.log, "quiet");
    assert.deepEqual(out.listeners, { tcp: 5672, ssl: { port: 5671, verify: true } });
  });

  it("appends new keys at the end of their map", () => {
    const out = mergeYaml("a: 1\nb: {c: 2}\n", [over("z: 3\nb: {d: 4}\n")]);
    assert.deepEqual(Object.keys(parse(out) as object), ["a", "b", "z"]);
    assert.deepEqual((parse(out) as { b: object }).b, { c: 2, d: 4 });
  });

  it("merges into an aliased map without changing the anchored one", () => {
    const out = parse(mergeYaml("defaults: &d {x: 1, y: 2}\nsite: *d\n", [over("site: {y: 3}\n")])) as Record<string, unknown>;
    assert.deepEqual(out, { defaults: { x: 1, y: 2 }, site: { x: 1, y: 3 } });
  });

  it("keeps key types: 8080 and '8080' are different keys", () => {
    const out = parse(mergeYaml("ports:\n  8080: web\n", [over("ports:\n  8080: api\n  '9090': admin\n")]), { mapAsMap: true }) as Map<string, Map<unknown, unknown>>;
    assert.deepEqual([...out.get("ports")!], [[8080, "api"], ["9090", "admin"]]);
  });

  it("returns the base text itself for no override or empty ones", () => {
    assert.equal(mergeYaml(base, []), base);
    assert.equal(mergeYaml(base, [over(""), over("# only a comment\n"), over("~\n")]), base);
  });

  it("fills an empty base", () => {
    assert.equal(mergeYaml("", [over("a: {b: 1}\n")]), "a:\n  b: 1\n");
  });

  it("applies several overrides in order", () => {
    const out = parse(mergeYaml(base, [over("log: {level: debug}\n", "a.yml"), over("log: {level: warning}\n", "b.yml")])) as { log: object };
    assert.deepEqual(out.log, { level: "warning" });
  });

  it("locates errors: bad YAML, an override that is not a map, a base that is not a map", () => {
    assert.deepEqual(
      problemsOf(() => mergeYaml(base, [over("a: [1\n", "config/x.yml")])).map((p) => [p.file, p.message.split(":")[0]]),
      [["config/x.yml", "invalid YAML"]],
    );
    assert.deepEqual(problemsOf(() => mergeYaml(base, [over("\n- a\n- b\n", "config/x.yml")])), [
      { file: "config/x.yml", line: 2, column: 1, path: "", message: "an override must be a map of keys to merge" },
    ]);
    assert.deepEqual(problemsOf(() => mergeYaml("- a\n", [over("a: 1\n")], { baseFile: "t/x.yml.hbs" })), [
      { file: "t/x.yml.hbs", line: 1, message: "takes overrides, so it must be a map" },
    ]);
  });
});

describe("mergeJson", () => {
  it("merges like YAML: maps recursively, lists and scalars replaced, null set", () => {
    const out = mergeJson('{"a": {"b": 1, "c": [1, 2]}, "d": 5}', [over('{"a": {"c": [3], "e": null}, "f": true}', "o.json")]);
    assert.equal(out, `${JSON.stringify({ a: { b: 1, c: [3], e: null }, d: 5, f: true }, null, 2)}\n`);
  });

  it("keeps a __proto__ key as data", () => {
    const out = JSON.parse(mergeJson("{}", [over('{"__proto__": {"polluted": 1}}', "o.json")])) as object;
    assert.deepEqual(Object.keys(out), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("locates JSON errors by line and column", () => {
    assert.deepEqual(problemsOf(() => mergeJson("{}", [over('{\n  "a": 1,\n}', "o.json")])), [
      { file: "o.json", line: 3, column: 1, message: "invalid JSON: Expected double-quoted property name" },
    ]);
    assert.deepEqual(problemsOf(() => mergeJson("{}", [over("[1]", "o.json")])), [
      { file: "o.json", line: 1, message: "an override must be a JSON object of keys to merge" },
    ]);
  });
});

// Generated documents: maps over a few keys (so that they collide), nested, with lists and scalars.
const leaf = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constant(null), fc.stringMatching(/^[a-z ]{0,6}$/));
const { tree } = fc.letrec<{ tree: unknown; map: Record<string, unknown> }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(leaf, { maxLength: 3 }), tie("map")),
  map: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), tie("tree"), { maxKeys: 4, noNullPrototype: true }),
}));
const doc = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), tree, { maxKeys: 4, noNullPrototype: true });
const text = (v: Record<string, unknown>) => (Object.keys(v).length ? stringify(v) : "");

/** True when no path holds a map in `later` where `earlier` holds something else (see the property below). */
function mapsStayMaps(earlier: unknown, later: unknown): boolean {
  if (!isPlainMap(later)) return true;
  if (!isPlainMap(earlier)) return earlier === undefined;
  return Object.entries(later).every(([k, v]) => (k in earlier ? isPlainMap(earlier[k]) || !isPlainMap(v) ? mapsStayMaps(earlier[k], v) : false : true));
}

describe("mergeYaml and mergeJson properties", function () {
  // A hundred generated cases each; the machine is shared, so allow for a slow moment.
  this.timeout(60_000);

  it("agree with deepMerge on the plain values", () => {
    fc.assert(
      fc.property(doc, doc, (b, x) => {
        assert.deepEqual(parse(mergeYaml(stringify(b), [over(text(x))])) ?? {}, deepMerge(b, x));
        assert.deepEqual(JSON.parse(mergeJson(JSON.stringify(b), [over(JSON.stringify(x))])), deepMerge(b, x));
      }),
    );
  });

  it("merging an empty override is the identity", () => {
    fc.assert(
      fc.property(doc, (b) => {
        assert.equal(mergeYaml(stringify(b), [over("")]), stringify(b));
        assert.deepEqual(JSON.parse(mergeJson(JSON.stringify(b), [over("")])), b);
      }),
    );
  });

  it("is idempotent: the same override twice equals once", () => {
    fc.assert(
      fc.property(doc, doc, (b, x) => {
        assert.equal(mergeYaml(stringify(b), [over(text(x)), over(text(x))]), mergeYaml(stringify(b), [over(text(x))]));
        assert.equal(mergeJson(JSON.stringify(b), [over(JSON.stringify(x)), over(JSON.stringify(x))]), mergeJson(JSON.stringify(b), [over(JSON.stringify(x))]));
      }),
    );
  });

  // Holds except where B puts a map over A's scalar or list: applied in turn, B's map then replaces;
  // merged first, it merges into the base's map. No single override can say "replace this map".
  it("merging A then B equals merging the key-wise union of A and B", () => {
    fc.assert(
      fc.property(doc, doc, doc, (b, x, y) => {
        fc.pre(mapsStayMaps(x, y));
        const inTurn = mergeYaml(stringify(b), [over(text(x)), over(text(y))]);
        assert.deepEqual(parse(mergeYaml(stringify(b), [over(mergeYaml(text(x), [over(text(y))]))])), parse(inTurn));
        const inTurnJson = mergeJson(JSON.stringify(b), [over(JSON.stringify(x)), over(JSON.stringify(y))]);
        assert.equal(mergeJson(JSON.stringify(b), [over(mergeJson(JSON.stringify(x), [over(JSON.stringify(y))]))]), inTurnJson);
      }),
    );
  });
});
