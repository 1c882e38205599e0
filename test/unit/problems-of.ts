// The problems an InputError carries, for tests of bad input; fails the test when nothing is thrown.
import assert from "node:assert/strict";
import { InputError, type Problem } from "../../src/errors.js";

export function problemsOf(fn: () => unknown): Problem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  assert.fail("expected an InputError");
}
