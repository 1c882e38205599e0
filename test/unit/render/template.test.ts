// The template compiler against Handlebars itself: every shipped template, tricky cases and generated
// templates of the supported subset render byte for byte as Handlebars renders them (strict, noEscape,
// knownHelpersOnly each/if/unless), with and without the {{#each}} memo; the rest is refused, located.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import Handlebars from "handlebars";
import { compileTemplate, RenderMemo, TemplateError } from "../../../src/render/template.js";
import { contextFor, loadShippedRoles, type FakeHost } from "../roles/role-fixture.js";
import { stringsIn } from "../roles/template-names.js";

// What lading compiled templates with before this compiler (src/model/roles.ts): the reference.
const REFERENCE_OPTIONS = {
  strict: true,
  noEscape: true,
  knownHelpersOnly: true,
  knownHelpers: { each: true, if: true, unless: true, with: false, lookup: false, log: false },
  assumeObjects: true,
} as const;
const plainHandlebars = Handlebars.create();

// Handlebars joins adjacent appends with a bare `+` ("return a + b"), so {{a}}{{b}} with a = 1, b = 2
// renders "3" and {{@index}}{{@first}} renders 1 for the first item. Our compiler renders "12" and "0true",
// as the template says. The generated cases compare with Handlebars whose appends are made strings first
// (its documented way to customise the code generator); the shipped templates compare with plain Handlebars.
type CompilerMethod = (this: object, ...args: unknown[]) => unknown;
interface CompilerClass {
  (this: object, ...args: unknown[]): void;
  prototype: Record<string, CompilerMethod | CompilerClass>;
}
const fixedHandlebars = Handlebars.create() as typeof Handlebars & { JavaScriptCompiler: CompilerClass };
const BaseCompiler = fixedHandlebars.JavaScriptCompiler;
const StringAppendsCompiler = function (this: object, ...args: unknown[]): void {
  BaseCompiler.apply(this, args);
} as CompilerClass;
StringAppendsCompiler.prototype = Object.create(BaseCompiler.prototype) as CompilerClass["prototype"];
StringAppendsCompiler.prototype.compiler = StringAppendsCompiler;
StringAppendsCompiler.prototype.appendToBuffer = function (this: object, source: unknown, location: unknown, explicit: unknown): unknown {
  const parts = Array.isArray(source) ? source : [source];
  return (BaseCompiler.prototype.appendToBuffer as CompilerMethod).call(this, ['"" + (', ...parts, ")"], location, explicit);
};
fixedHandlebars.JavaScriptCompiler = StringAppendsCompiler;

type Outcome = { ok: true; text: string } | { ok: false; message: string };

function byHandlebars(text: string, context: unknown, reference: typeof Handlebars = fixedHandlebars): Outcome {
  try {
    return { ok: true, text: reference.compile(text, REFERENCE_OPTIONS)(context) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function byCompiler(text: string, context: unknown, memo?: RenderMemo): Outcome {
  try {
    return { ok: true, text: compileTemplate(text).render(context, memo) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** Both render the same text, or both fail. Returns whether they rendered. */
function assertSameAsHandlebars(text: string, context: unknown, memo?: RenderMemo, reference: typeof Handlebars = fixedHandlebars): boolean {
  const expected = byHandlebars(text, context, reference);
  const actual = byCompiler(text, context, memo);
  if (expected.ok && actual.ok) assert.equal(actual.text, expected.text, `template ${JSON.stringify(text)}`);
  else assert.equal(actual.ok, expected.ok, `template ${JSON.stringify(text)}: Handlebars ${JSON.stringify(expected)}, compiler ${JSON.stringify(actual)}`);
  return expected.ok;
}

function refusal(text: string): { message: string; line?: number; column?: number } {
  try {
    compileTemplate(text);
  } catch (err) {
    assert.ok(err instanceof TemplateError, `not a TemplateError: ${String(err)}`);
    return { message: err.message, line: err.line, column: err.column };
  }
  assert.fail(`compiled: ${JSON.stringify(text)}`);
}

function renderError(text: string, context: unknown): { message: string; line?: number; column?: number } {
  try {
    compileTemplate(text).render(context);
  } catch (err) {
    assert.ok(err instanceof TemplateError, `not a TemplateError: ${String(err)}`);
    return { message: err.message, line: err.line, column: err.column };
  }
  assert.fail(`rendered: ${JSON.stringify(text)}`);
}

const hostsOf = (n: number): FakeHost[] => Array.from({ length: n }, (_, i) => ({ name: `lab${i + 1}`, address: `10.98.0.${11 + i}` }));

describe("template compiler", () => {
  describe("the shipped templates render as with Handlebars", () => {
    const roles = loadShippedRoles();
    const variants: [string, FakeHost[], Record<string, unknown>][] = [
      ["one host", hostsOf(1), {}],
      ["three hosts", hostsOf(3), {}],
      ["five hosts, other settings", hostsOf(5), { vip_address: "10.98.0.100", enable_tls: true, haproxy_log_level: "debug" }],
    ];
    for (const role of roles) {
      for (const [label, hosts, overrides] of variants) {
        it(`${role.role.name}: every template and role.yaml string (${label})`, () => {
          const memo = new RenderMemo();
          for (const host of hosts) {
            const context = contextFor(role, roles, hosts, host, overrides);
            for (const f of role.role.files ?? []) {
              assertSameAsHandlebars(readFileSync(join(role.dir, "templates", f.template), "utf8"), context, memo, plainHandlebars);
            }
            for (const { text } of stringsIn(role.role)) if (text.includes("{{")) assertSameAsHandlebars(text, context, memo, plainHandlebars);
          }
        });
      }
    }
  });

  describe("tricky cases render as with Handlebars", () => {
    const ctx = {
      name: "root",
      port: 5432,
      zero: 0,
      empty: "",
      no: false,
      yes: true,
      nothing: null,
      none: [],
      tags: ["a", "b", "c"],
      nums: [1, 2, 1],
      map: { x: 1, y: "two" },
      nested: { deep: { value: "v" } },
      hosts: [
        { name: "n1", address: "10.0.0.1", first: true, ports: [1, 2] },
        { name: "n2", address: "10.0.0.2", first: false, ports: [] },
        { name: "n3", address: "10.0.0.3", first: false, ports: [3] },
      ],
      listOfLists: [["a", "b"], [], ["c"]],
      withNull: [null, "x", undefined],
    };
    const cases: string[] = [
      "plain text\nwith lines\n",
      "{{name}} {{{name}}} {{port}} {{zero}} {{empty}}|{{no}} {{yes}} {{nothing}}|{{tags}} {{map}} {{nested.deep.value}}",
      "{{this.name}} {{./port}} {{this}}",
      "{{#each hosts}}{{name}}@{{address}}:{{../port}}{{#if first}} seed{{/if}}\n{{/each}}",
      "{{#each hosts}}{{@index}}{{@key}}{{@first}}{{@last}},{{/each}}",
      "{{#each map}}{{@key}}={{this}}{{#unless @last}};{{/unless}}{{/each}}",
      "{{#each hosts}}{{#each ports}}{{../name}}:{{this}}:{{../../port}}:{{@index}} {{else}}{{name}} has none {{/each}}{{/each}}",
      "{{#each none}}x{{else}}empty {{name}}{{/each}}",
      "{{#each nothing}}x{{else}}null{{/each}}{{#each missing}}x{{else}}missing{{/each}}{{#each name}}x{{else}}string{{/each}}",
      "{{#if zero}}a{{else}}b{{/if}}{{#if empty}}a{{else}}b{{/if}}{{#if none}}a{{else}}b{{/if}}{{#if nothing}}a{{else}}b{{/if}}{{#if tags}}a{{/if}}{{#if map}}m{{/if}}{{#if missing}}a{{else}}b{{/if}}",
      "{{#unless yes}}a{{else}}b{{/unless}}{{#unless no}}c{{/unless}}",
      "{{#if no}}a{{else if zero}}b{{else if yes}}c{{else}}d{{/if}}",
      // Whitespace: standalone block lines disappear, ~ strips
      "a\n{{#each tags}}\n  - {{this}}\n{{/each}}\nb\n",
      "a\n  {{#if yes}}  \n  in\n  {{else}}\n  out\n  {{/if}}\nb\n",
      "  {{! a comment }}\n{{!-- a long\ncomment --}}\nx  {{~name~}}  y\n{{~#if yes~}}  z  {{~/if~}}\n",
      "{{#each tags~}}\n   {{this}}\n{{~/each}}",
      "\r\n{{#if yes}}\r\nwin\r\n{{/if}}\r\n",
      "{{#each hosts}}\n{{#if first}}\n first {{name}}\n{{else}}\n other {{name}}\n{{/if}}\n{{/each}}",
      // Loops over the same list: Handlebars adds no ../ level where the item equals the context
      "{{#each tags}}{{#each ../tags}}{{this}}{{../this}}{{/each}}|{{/each}}",
      "{{#each nums}}{{#each ../nums}}[{{this}}{{../this}}]{{/each}}{{/each}}",
      "{{#each listOfLists}}({{#each this}}{{this}}{{else}}none{{/each}}){{/each}}",
      "{{#each withNull}}[{{this}}]{{/each}}",
      // Missing values: both fail
      "{{missing}}",
      "{{nested.nope}}",
      "{{nested.nope.deeper}}",
      "{{#each hosts}}{{nope}}{{/each}}",
      "{{#each withNull}}{{#if x}}{{/if}}{{/each}}",
      "{{port.x}}",
    ];
    for (const text of cases) {
      it(JSON.stringify(text), () => {
        assertSameAsHandlebars(text, ctx);
        assertSameAsHandlebars(text, ctx, new RenderMemo());
      });
    }
  });

  describe("refuses what templates may not do, located", () => {
    const refused: [string, string, number, number][] = [
      ["# notes\nname = {{upper host.name}}\n", 'unknown helper "upper": templates are logic-less (each, if, unless only)', 2, 8],
      ["{{#with host}}{{name}}{{/with}}", 'unknown helper "with": templates are logic-less (each, if, unless only)', 1, 1],
      ["x {{> partial}}", "partials ({{> name}}) are not supported: templates are logic-less (each, if, unless only)", 1, 3],
      ["{{#> layout}}x{{/layout}}", "partials ({{> name}}) are not supported: templates are logic-less (each, if, unless only)", 1, 1],
      ["{{* deco}}", "decorators ({{* name}}) are not supported: templates are logic-less (each, if, unless only)", 1, 1],
      ["{{#if (eq a b)}}x{{/if}}", 'unknown helper "eq": templates are logic-less (each, if, unless only)', 1, 7],
      ["{{#each list key=1}}x{{/each}}", "{{#each}} takes no hash arguments (key=value)", 1, 1],
      ["{{#each list as |item|}}{{item}}{{/each}}", "block parameters (as |item|) are not supported: templates are logic-less (each, if, unless only)", 1, 1],
      ["{{#each}}x{{/each}}", "{{#each}} takes exactly one value, e.g. {{#each list}}", 1, 1],
      ["{{#if a b}}x{{/if}}", "{{#if}} takes exactly one value, e.g. {{#if value}}", 1, 1],
      ["{{#if true}}x{{/if}}", "{{#if}} takes a value from the context, not a literal", 1, 7],
      ["{{#list}}x{{/list}}", "only {{#each list}}, {{#if value}} and {{#unless value}} blocks are supported, not {{#list}}", 1, 1],
      ["{{^list}}x{{/list}}", "only {{#each list}}, {{#if value}} and {{#unless value}} blocks are supported, not {{^list}}", 1, 1],
      ["{{each}}", "{{each}} must be a block: {{#each …}}…{{/each}}", 1, 1],
      ['{{"text"}}', "literal values in {{ }} are not supported: write the text itself", 1, 1],
      ["a\n{{@index}}", '"@index" is only defined inside {{#each}}', 2, 3],
      ["{{#each l}}{{@root.x}}{{/each}}", 'unknown data variable "@root.x": only @index, @first, @last and @key (inside {{#each}})', 1, 14],
      ["{{#each l}}{{../../x}}{{/each}}", '"../../x" climbs above the template: only 1 {{#each}} level(s) enclose it', 1, 14],
      ["{{#each l}}{{else}}{{../x}}{{/each}}", '"../x" climbs above the template: only 0 {{#each}} level(s) enclose it', 1, 22],
    ];
    for (const [text, message, line, column] of refused) {
      it(JSON.stringify(text), () => assert.deepEqual(refusal(text), { message, line, column }));
    }

    it("points a syntax error at the block or tag left open, not at the end of the file", () => {
      assert.deepEqual(refusal("# notes\nport = {{notes_port}}\n{{#each hosts}}\nname = {{name}}\n"), {
        message: "{{#each}} is never closed with {{/each}}",
        line: 3,
        column: 1,
      });
      assert.deepEqual(refusal("a\n{{#if x}}{{#each l}}{{.}}{{/each}}\nb\n"), { message: "{{#if}} is never closed with {{/if}}", line: 2, column: 1 });
      assert.deepEqual(refusal("port = {{notes_port\ncolour = {{notes_colour}}\n"), { message: "a {{ tag is never closed with }}", line: 1, column: 8 });
      assert.deepEqual(refusal("x\n  {{ colour"), { message: "a {{ tag is never closed with }}", line: 2, column: 3 });
      assert.deepEqual(refusal("{{!-- {{#each}} --}}\n{{! note }}\n{{#if a}}"), { message: "{{#if}} is never closed with {{/if}}", line: 3, column: 1 });
      assert.equal(refusal("{{#if a}}x{{/each}}").message, "if doesn't match each");
    });

    it("names the expression of the tag left open", () => {
      assert.throws(() => compileTemplate("a {{#unless ready}}\n"), (e: unknown) => e instanceof TemplateError && e.path === "unless");
      assert.throws(() => compileTemplate("a {{ notes_port\n{{b}}"), (e: unknown) => e instanceof TemplateError && e.path === "notes_port");
    });

    it("keeps Handlebars' own message where no tag or block is left open", () => {
      const r = refusal("{{a b=}}");
      assert.equal(r.line, 1);
      assert.notEqual(r.message, "");
    });
  });

  it("joins adjacent values as text where Handlebars added numbers", () => {
    const context = { a: 1, b: 2, l: ["x", "y"] };
    const text = "{{a}}{{b}} {{#each l}}{{@index}}{{@first}},{{/each}}";
    assert.deepEqual(byHandlebars(text, context, plainHandlebars), { ok: true, text: "3 1,1," });
    assert.equal(compileTemplate(text).render(context), "12 0true,1false,");
  });

  describe("missing values", () => {
    it("names the value, its line and column", () => {
      assert.deepEqual(renderError("# notes\ncolour = {{notes_colour}}\n", { host: { name: "n1" } }), {
        message: 'missing value "notes_colour": not a parameter, secret, computed value or context key',
        line: 2,
        column: 12,
      });
    });

    it("names a dotted path up to the step that is missing", () => {
      assert.equal(renderError("{{host.nmae}}", { host: { name: "n1" } }).message.split(":")[0], 'missing value "host.nmae"');
      assert.equal(renderError("x\n  {{a.b.c}}", {}).message.split(":")[0], 'missing value "a"');
      assert.deepEqual(renderError("x\n  {{a.b.c}}", {}).line, 2);
      assert.equal(renderError("{{#each l}}{{../port}}{{/each}}", { l: [1] }).message.split(":")[0], 'missing value "../port"');
    });

    it("refuses inherited properties, which Handlebars rendered as empty", () => {
      assert.equal(renderError("{{constructor}}", {}).message.split(":")[0], 'missing value "constructor"');
    });
  });

  describe("{{#each}} memo", () => {
    const text = "{{host}}\n{{#each peers}}peer {{name}}:{{../port}}{{#if first}} seed{{/if}}\n{{/each}}";
    const peers = Array.from({ length: 50 }, (_, i) => ({ name: `n${i}`, first: i === 0 }));

    it("renders a shared list once for contexts that read the same outer values", () => {
      const memo = new RenderMemo();
      const t = compileTemplate(text);
      for (let h = 0; h < 10; h++) {
        const context = { host: `h${h}`, port: 80, peers };
        assert.deepEqual({ ok: true, text: t.render(context, memo) }, byHandlebars(text, context));
      }
      assert.equal(memo.misses, 1);
      assert.equal(memo.hits, 9);
    });

    it("renders again when an outer value read by the body differs, or the list is another object", () => {
      const memo = new RenderMemo();
      const t = compileTemplate(text);
      const a = t.render({ host: "a", port: 80, peers }, memo);
      const b = t.render({ host: "b", port: 81, peers }, memo);
      const c = t.render({ host: "c", port: 80, peers: peers.map((p) => ({ ...p, name: `${p.name}x` })) }, memo);
      assert.match(a, /n1:80\n/);
      assert.match(b, /n1:81\n/);
      assert.match(c, /n1x:80\n/);
      assert.equal(memo.misses, 3);
      assert.equal(t.render({ host: "d", port: 81, peers }, memo), b.replace(/^b/, "d"));
      assert.equal(memo.hits, 1);
    });
  });

  describe("generated templates of the subset render as with Handlebars", () => {
    it("for any template and context, with and without the memo", function () {
      this.timeout(120000);
      let rendered = 0;
      let memoHits = 0;
      const runs = Number(process.env.TEMPLATE_RUNS ?? 400);
      fc.assert(
        fc.property(templateArb, contextArb, contextArb, (text, c1, c2) => {
          // c2 shares c1's lists, so that the memo sees the same list objects with other outer values.
          const shared = { ...c2, list: c1.list, tags: c1.tags };
          const memo = new RenderMemo();
          if (assertSameAsHandlebars(text, c1)) rendered++;
          assertSameAsHandlebars(text, c1, memo);
          assertSameAsHandlebars(text, shared, memo);
          assertSameAsHandlebars(text, c1, memo);
          memoHits += memo.hits;
        }),
        { numRuns: runs },
      );
      // The comparison means something only if most generated templates render (some read "missing").
      assert.ok(rendered > runs / 2, `only ${rendered} of ${runs} generated templates rendered`);
      assert.ok(memoHits > 0, "the memo was never used");
      if (process.env.TEMPLATE_RUNS) console.log(`rendered ${rendered}/${runs}, memo hits ${memoHits}`);
    });
  });
});

// --- Generators: a context of a fixed shape with random values, and templates that read it ---

// Plain objects, as YAML and the renderer make them. (fast-check may make objects without a prototype;
// Handlebars then throws where it compares such an object with a string to decide on a `../` level, and
// whether it compares at all depends on how it deduplicates identical blocks: not worth imitating.)
const plain = { noNullPrototype: true } as const;
const scalarArb = fc.oneof(
  fc.constantFrom("", "a", "b c", " x ", "line\nbreak", "{", "}", "\\", "<&>"),
  fc.integer({ min: -2, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const itemArb = fc.record({
  name: fc.constantFrom("n1", "n2", "", "n 3"),
  v: scalarArb,
  flag: fc.boolean(),
  sub: fc.array(fc.record({ x: scalarArb }, plain), { maxLength: 3 }),
}, plain);
const contextArb = fc.record({
  s: scalarArb,
  n: scalarArb,
  b: fc.boolean(),
  obj: fc.record({ k: scalarArb }, plain),
  list: fc.array(itemArb, { maxLength: 4 }),
  tags: fc.array(fc.constantFrom("t1", "t2", "t3"), { maxLength: 4 }),
}, plain);

/** What a scope's context holds: value names, list names (with their item scope), and whether `this` is a value. */
interface ScopeShape {
  values: string[];
  lists: [string, ScopeShape][];
}
const subShape: ScopeShape = { values: ["x"], lists: [] };
const tagShape: ScopeShape = { values: ["this", "."], lists: [] };
const itemShape: ScopeShape = { values: ["name", "v", "flag", "this.name"], lists: [["sub", subShape]] };
const rootShape: ScopeShape = { values: ["s", "n", "b", "obj.k", "this.s"], lists: [["list", itemShape], ["tags", tagShape]] };

const textArb = fc.array(fc.constantFrom(" ", "  ", "\n", "\t", "a", "b c", "\r\n", "-", ":"), { minLength: 1, maxLength: 4 }).map((xs) => xs.join(""));
const tilde = fc.constantFrom("", "", "~");
const nl = fc.constantFrom("", "", "\n", "  \n", "\n  ");

/** Templates valid in a scope stack (innermost last), `depth` levels of blocks at most. */
function statementsArb(stack: ScopeShape[], depth: number): fc.Arbitrary<string> {
  const inEach = stack.length > 1;
  const pathArb = (kind: "value" | "list"): fc.Arbitrary<string | undefined> => {
    const options: string[] = [];
    stack.forEach((scope, i) => {
      const up = stack.length - 1 - i;
      const names = kind === "value" ? scope.values : scope.lists.map(([n]) => n);
      for (const name of names) {
        if (up > 0 && (name === "." || name.startsWith("this"))) options.push(`${"../".repeat(up)}${name === "." ? "this" : name.replace(/^this\./, "")}`);
        else options.push(name);
      }
    });
    if (kind === "value" && inEach) options.push("@index", "@first", "@last", "@key");
    if (kind === "value") options.push("missing");
    return options.length ? fc.constantFrom(...options) : fc.constant(undefined);
  };
  const mustache = fc.tuple(tilde, pathArb("value"), tilde, fc.boolean()).map(([a, p, b, triple]) => (triple ? `{{${a}{${p}}${b}}}` : `{{${a}${p}${b}}}`));
  const comment = fc.constantFrom("{{! note }}", "{{!-- {{x}} --}}");
  const leaves = [textArb, mustache, comment, nl];
  if (depth <= 0) return fc.array(fc.oneof(...leaves), { maxLength: 4 }).map((xs) => xs.join(""));

  const inner = (s: ScopeShape[]): fc.Arbitrary<string> => statementsArb(s, depth - 1);
  const condition = fc.tuple(fc.constantFrom("if", "unless"), fc.oneof(pathArb("value"), pathArb("list")), tilde, nl, inner(stack), fc.option(inner(stack)), tilde, nl)
    .map(([h, p, t, n1, body, alt, t2, n2]) => `${n1}{{${t}#${h} ${p}${t2}}}${n1}${body}${alt !== null ? `{{${t2}else${t}}}${n2}${alt}` : ""}{{${t}/${h}${t2}}}${n2}`);
  const listOptions: [string, ScopeShape][] = [];
  stack.forEach((scope, i) => {
    const up = stack.length - 1 - i;
    for (const [name, shape] of scope.lists) listOptions.push([`${"../".repeat(up)}${name}`, shape]);
  });
  if (!listOptions.length) return fc.array(fc.oneof(...leaves, condition), { maxLength: 4 }).map((xs) => xs.join(""));
  const each = fc.constantFrom(...listOptions).chain(([path, shape]) =>
    fc.tuple(tilde, nl, inner([...stack, shape]), fc.option(inner(stack)), tilde, nl)
      .map(([t, n1, body, alt, t2, n2]) => `${n1}{{${t}#each ${path}${t2}}}${n1}${body}${alt !== null ? `{{else}}${n2}${alt}` : ""}{{${t}/each${t2}}}${n2}`),
  );
  return fc.array(fc.oneof(...leaves, condition, each), { maxLength: 4 }).map((xs) => xs.join(""));
}

const templateArb = statementsArb([rootShape], 3);
