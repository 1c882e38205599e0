import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLabLock } from "../../../src/lab/lab-lock.js";

describe("lab lock", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lab-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("holds our pid until released", () => {
    const release = acquireLabLock(dir);
    assert.equal(readFileSync(join(dir, "lock"), "utf8").trim(), String(process.pid));
    release();
    assert.equal(existsSync(join(dir, "lock")), false);
  });

  it("refuses while another live process holds it", () => {
    writeFileSync(join(dir, "lock"), "1\n"); // init is always alive
    assert.throws(() => acquireLabLock(dir), /another lading \(pid 1\) is working on the lab/);
  });

  it("takes over the lock of a killed run", () => {
    writeFileSync(join(dir, "lock"), "4194303\n"); // above any pid in use here
    const release = acquireLabLock(dir);
    assert.equal(readFileSync(join(dir, "lock"), "utf8").trim(), String(process.pid));
    release();
  });
});
