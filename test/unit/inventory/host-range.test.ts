import assert from "node:assert/strict";
import fc from "fast-check";
import { expandHostRange, HostRangeError } from "../../../src/inventory/host-range.js";

describe("expandHostRange", () => {
  it("keeps a name without a range", () => {
    assert.deepEqual(expandHostRange("web1.example.com"), ["web1.example.com"]);
  });
  it("expands numbers with leading zeros to a fixed width", () => {
    assert.deepEqual(expandHostRange("control[01:03]"), ["control01", "control02", "control03"]);
    assert.deepEqual(expandHostRange("n[08:11].lab"), ["n08.lab", "n09.lab", "n10.lab", "n11.lab"]);
  });
  it("expands numbers without padding", () => {
    assert.deepEqual(expandHostRange("db[9:11]"), ["db9", "db10", "db11"]);
  });
  it("expands letters, lower and upper case in Python's ascii_letters order", () => {
    assert.deepEqual(expandHostRange("host-[a:c]"), ["host-a", "host-b", "host-c"]);
    assert.deepEqual(expandHostRange("h[y:B]"), ["hy", "hz", "hA", "hB"]);
  });
  it("applies a step", () => {
    assert.deepEqual(expandHostRange("n[1:10:2]"), ["n1", "n3", "n5", "n7", "n9"]);
    assert.deepEqual(expandHostRange("x[a:e:2]"), ["xa", "xc", "xe"]);
  });
  it("takes an empty begin as 0", () => {
    assert.deepEqual(expandHostRange("n[:2]"), ["n0", "n1", "n2"]);
  });
  it("expands several ranges as a product, first range outermost", () => {
    assert.deepEqual(expandHostRange("r[1:2]-[a:b]"), ["r1-a", "r1-b", "r2-a", "r2-b"]);
  });
  const bad: [string, string][] = [
    ["n[3:1]", "host range [3:1]: begin must not exceed end"],
    ["n[c:a]", "host range [c:a]: begin must not come after end"],
    ["n[01:100]", "host range [01:100]: begin and end must have the same width when zero-padded"],
    ["n[1:]", "host range [1:] has no end"],
    ["n[1:5:0]", "host range [1:5:0]: the step must be a positive integer"],
    ["n[1]", "host range [1] must be begin:end or begin:end:step"],
    ["n[a:5]", "host range [a:5] must be numbers (01:10) or single letters (a:f)"],
    ["n[1:2", 'host range in "n[1:2" has no closing "]"'],
  ];
  for (const [pattern, message] of bad) {
    it(`rejects ${pattern}`, () => {
      assert.throws(() => expandHostRange(pattern), (e: unknown) => e instanceof HostRangeError && e.message === message);
    });
  }

  it("matches a direct enumeration for any numeric range (property)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/),
        fc.nat(300),
        fc.nat(40),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.stringMatching(/^(\.[a-z]{1,5})?$/),
        (head, begin, span, step, pad, tail) => {
          const end = begin + span;
          const width = String(end).length + 1;
          const b = pad ? String(begin).padStart(width, "0") : String(begin);
          const e = pad ? String(end).padStart(width, "0") : String(end);
          const expected: string[] = [];
          for (let i = begin; i <= end; i += step) expected.push(head + (pad ? String(i).padStart(width, "0") : String(i)) + tail);
          assert.deepEqual(expandHostRange(`${head}[${b}:${e}:${step}]${tail}`), expected);
        },
      ),
    );
  });
});
