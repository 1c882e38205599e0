import assert from "node:assert/strict";
import { hasCapability, needsRuntimeWrapper, parseCapBnd } from "../../../src/lab/capabilities.js";

const status = (capbnd: string) => `Name:\tnode\nCapEff:\t0000000000000000\nCapBnd:\t${capbnd}\nCapAmb:\t0000000000000000\n`;

describe("lab capability bounding set", () => {
  it("parses CapBnd as a 64-bit mask", () => {
    assert.equal(parseCapBnd(status("000001fffeffffff")), 0x1fffeffffffn);
    assert.equal(parseCapBnd("Name: x\n"), undefined);
  });

  it("needs the runc wrapper when bit 24 (CAP_SYS_RESOURCE) is missing", () => {
    assert.equal(needsRuntimeWrapper(status("000001fffeffffff")), true);
    assert.equal(needsRuntimeWrapper(status("000001ffffffffff")), false);
    assert.equal(hasCapability(0x1000000n, 24), true);
    assert.equal(hasCapability(0xffffffn, 24), false);
  });

  it("does not wrap when the status cannot be read", () => {
    assert.equal(needsRuntimeWrapper("garbage"), false);
  });
});
