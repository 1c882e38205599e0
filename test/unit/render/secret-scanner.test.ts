// The piecewise secret scan finds exactly what a scan of the joined text finds, across part boundaries too.
import assert from "node:assert/strict";
import fc from "fast-check";
import { SecretScanner } from "../../../src/render/secret-scanner.js";

describe("SecretScanner", () => {
  it("finds a secret inside a part, across a boundary and across several short parts", () => {
    const scanner = new SecretScanner(["s3cr3t-value"]);
    assert.equal(scanner.inParts(["a", "x s3cr3t-value y", "b"]), true);
    assert.equal(scanner.inParts(["pass = s3cr", "3t-value\n"]), true);
    assert.equal(scanner.inParts(["s3", "cr", "3t", "-v", "alue"]), true);
    assert.equal(scanner.inParts(["s3cr3t-valu", "\n", "e"]), false);
    assert.equal(new SecretScanner([]).inParts(["anything"]), false);
  });

  it("finds a secret that crosses into or out of a long shared part", () => {
    const long = `${"peer n1 10.0.0.1\n".repeat(200)}`;
    const scanner = new SecretScanner(["topsecret", "other-secret-longer-than-that"]);
    assert.equal(scanner.inParts(["x top", `secret${long}`]), true);
    assert.equal(scanner.inParts([`${long}tops`, "ecret"]), true);
    assert.equal(scanner.inParts([`${long}`, "tail", `${long}`]), false);
    // Remembered by the long part's text, and still right with other neighbours.
    assert.equal(scanner.inParts(["top", `secret${long}`]), true);
    assert.equal(scanner.inParts(["no ", `secret${long}`]), false);
  });

  it("agrees with a scan of the joined text, for any parts and secrets", () => {
    const alphabet = fc.constantFrom("a", "b", "c", "\n");
    const text = fc.array(alphabet, { maxLength: 12 }).map((xs) => xs.join(""));
    const longText = fc.array(alphabet, { minLength: 1000, maxLength: 1300 }).map((xs) => xs.join(""));
    const secret = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((xs) => xs.join(""));
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: longText }), { maxLength: 8 }), fc.array(secret, { maxLength: 3 }), (parts, secrets) => {
        const scanner = new SecretScanner(secrets);
        const joined = parts.join("");
        assert.equal(scanner.inParts(parts), secrets.some((s) => joined.includes(s)));
        assert.equal(scanner.inParts(parts), secrets.some((s) => joined.includes(s)), "again, with remembered parts");
      }),
      { numRuns: 500 },
    );
  });
});
