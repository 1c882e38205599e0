// Host addresses are dialled and rendered into config files (`bind = {{host.address}}`): the inventory accepts
// IP addresses and DNS names only, so a value with spaces, `;`, quotes or a newline never reaches a file.
import assert from "node:assert/strict";
import fc from "fast-check";
import { isHostAddress } from "../../../src/inventory/host-address.js";

describe("isHostAddress", () => {
  it("accepts IPv4, IPv6 and DNS names", () => {
    for (const ok of ["10.98.0.11", "127.0.0.1", "255.255.255.255", "lab1", "db-1.example.org", "db_1", "example.org.", "::1", "fe80::1%eth0", "2001:db8::42"]) {
      assert.equal(isHostAddress(ok), true, ok);
    }
  });

  it("refuses shell metacharacters, spaces, quotes, newlines and malformed numbers", () => {
    for (const bad of ["", " ", "127.0.0.1; touch /tmp/pwned", "$(id)", "`id`", "a b", "a\nb", "'x'", '"x"', "-oProxyCommand=x", "10.0.0.256", "10.1", "host|cat", "a&b", "-lab1", "lab1-", "a..b", "*", "~root"]) {
      assert.equal(isHostAddress(bad), false, JSON.stringify(bad));
    }
  });

  it("refuses every string holding a character outside [A-Za-z0-9_.:%-] (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), (s) => {
        if (/[^A-Za-z0-9_.:%-]/.test(s)) assert.equal(isHostAddress(s), false, JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
  });
});
