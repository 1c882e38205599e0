import assert from "node:assert/strict";
import { LabError } from "../../../src/errors.js";
import { assertRoot } from "../../../src/lab/prerequisites.js";

describe("assertRoot", () => {
  it("lets root through", () => {
    assert.doesNotThrow(() => assertRoot(0));
  });
  it("refuses any other user, saying how to fix it", () => {
    assert.throws(() => assertRoot(65534), (err: unknown) => err instanceof LabError && /must run as root.*sudo lading lab up/.test(err.message));
  });
});
