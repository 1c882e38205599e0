import assert from "node:assert/strict";
import fc from "fast-check";
import { InputError } from "../../../src/errors.js";
import { parseInventory, selectHosts, splitHostPattern } from "../../../src/inventory/index.js";
import { names } from "./fixtures.js";

const inv = parseInventory(
  "p.ini",
  "lab1\n[web]\nweb1\nweb2\nweb3\n[db]\ndb1\nweb3\n[lab]\nlab2\nlab3\n[front:children]\nweb\n",
);
const select = (pattern: string): string[] => names(selectHosts(inv, pattern));
const failure = (pattern: string): string[] => {
  try {
    selectHosts(inv, pattern, { origin: "--limit" });
  } catch (err) {
    assert.ok(err instanceof InputError);
    return err.problems.map((p) => `${p.file}: ${p.message}`);
  }
  assert.fail(`${pattern} did not fail`);
};

describe("host patterns", () => {
  it("selects a host, a group (through children), all and *", () => {
    assert.deepEqual(select("web2"), ["web2"]);
    assert.deepEqual(select("front"), ["web1", "web2", "web3"]);
    assert.deepEqual(select("all"), ["lab1", "web1", "web2", "web3", "db1", "lab2", "lab3"]);
    assert.deepEqual(select("*"), select("all"));
  });
  it("matches globs and regexes against group and host names", () => {
    assert.deepEqual(select("lab*"), ["lab1", "lab2", "lab3"]);
    assert.deepEqual(select("web[1]"), ["web2"]); // a subscript, as in Ansible: the second host of `web`
    assert.deepEqual(select("web[!3]"), ["web1", "web2"]); // a glob character class
    assert.deepEqual(select("w?b?"), ["web1", "web2", "web3"]);
    assert.deepEqual(select("~(web|db)[13]"), ["web1", "web3", "db1"]);
    assert.deepEqual(select("~lab"), ["lab1", "lab2", "lab3"]); // re.match anchors at the start only
  });
  it("takes subscripts on groups", () => {
    assert.deepEqual(select("web[0]"), ["web1"]);
    assert.deepEqual(select("web[-1]"), ["web3"]);
    assert.deepEqual(select("web[1:2]"), ["web2", "web3"]);
    assert.deepEqual(select("web[1:]"), ["web2", "web3"]);
  });
  it("unions, intersections and exclusions, in Ansible's order whatever the written order", () => {
    assert.deepEqual(select("db,lab2"), ["web3", "db1", "lab2"]);
    assert.deepEqual(select("web:db"), ["web1", "web2", "web3", "db1"]);
    assert.deepEqual(select("web,&db"), ["web3"]);
    assert.deepEqual(select("web,!db"), ["web1", "web2"]);
    assert.deepEqual(select("!db,web"), ["web1", "web2"]);
    assert.deepEqual(select("!web3,&front,web,db"), ["web1", "web2"]);
    assert.deepEqual(select("!lab*"), ["web1", "web2", "web3", "db1"]);
    assert.deepEqual(select("&web"), ["web1", "web2", "web3"]);
  });
  it("splits on commas, else on colons outside brackets", () => {
    assert.deepEqual(splitHostPattern("a, b ,c"), ["a", "b", "c"]);
    assert.deepEqual(splitHostPattern("web[1:2]:db"), ["web[1:2]", "db"]);
    assert.deepEqual(splitHostPattern("host:22"), ["host:22"]);
    assert.deepEqual(splitHostPattern("fe80::1"), ["fe80::1"]);
  });
  it("names every part that matches nothing, and an empty selection", () => {
    assert.deepEqual(failure("web,nosuch,!gone*"), ['--limit: "nosuch" matches no host or group', '--limit: "gone*" matches no host or group']);
    assert.deepEqual(failure("web,&db,!web3"), ['--limit: host pattern "web,&db,!web3" selects no hosts']);
    assert.deepEqual(failure("web[7]"), ['--limit: "web[7]": no host at index 7 (the pattern "web" matches 3)']);
    assert.deepEqual(failure("~(unclosed"), ['--limit: "~(unclosed" is not a valid regular expression']);
    assert.deepEqual(failure(" , "), ['--limit: empty host pattern " , "']);
  });

  it("evaluates like set algebra in any written order (property)", () => {
    const groups = ["web", "db", "lab", "front", "ungrouped"];
    const members = (g: string) => new Set(select(g));
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...groups), { minLength: 1, maxLength: 3 }),
        fc.array(fc.constantFrom(...groups), { maxLength: 2 }),
        fc.array(fc.constantFrom(...groups), { maxLength: 2 }),
        fc.integer(),
        (unions, ands, nots, seed) => {
          const parts = [...unions, ...ands.map((g) => `&${g}`), ...nots.map((g) => `!${g}`)];
          // Shuffle deterministically from the seed: order must not matter.
          const shuffled = parts.map((p, i) => [((seed ^ (i * 2654435761)) >>> 0) % 1000, p] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
          let expected = new Set<string>();
          for (const g of unions) for (const h of members(g)) expected.add(h);
          for (const g of ands) expected = new Set([...expected].filter((h) => members(g).has(h)));
          for (const g of nots) expected = new Set([...expected].filter((h) => !members(g).has(h)));
          const want = [...inv.hosts.keys()].filter((h) => expected.has(h));
          if (want.length === 0) {
            assert.throws(() => selectHosts(inv, shuffled.join(",")), InputError);
          } else {
            assert.deepEqual(names(selectHosts(inv, shuffled.join(","))), want);
          }
        },
      ),
    );
  });
});
