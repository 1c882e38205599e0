import assert from "node:assert/strict";
import { batchesOf, batchSize } from "../../../src/apply/rollout.js";
import { parseDuration } from "../../../src/apply/duration.js";

const hosts = ["a", "b", "c", "d", "e", "f", "g"];

describe("batchesOf", () => {
  it("defaults to rolling one host at a time", () => {
    assert.deepEqual(batchesOf(hosts.slice(0, 3), {}), [["a"], ["b"], ["c"]]);
  });
  it("runs parallel services in one batch", () => {
    assert.deepEqual(batchesOf(hosts, { strategy: "parallel" }), [hosts]);
  });
  it("takes Ansible's list form, repeating the last size", () => {
    assert.deepEqual(batchesOf(hosts, { strategy: "rolling", batch: [1, 2, "50%"] }), [["a"], ["b", "c"], ["d", "e", "f"], ["g"]]);
  });
  it("takes a percentage of the hosts, at least one", () => {
    assert.equal(batchSize("10%", 3), 1);
    assert.equal(batchSize("50%", 7), 3);
  });
  it("lets --serial override the declared policy", () => {
    assert.deepEqual(batchesOf(hosts.slice(0, 4), { strategy: "parallel" }, 2), [["a", "b"], ["c", "d"]]);
  });
});

describe("parseDuration", () => {
  it("reads ms, s, m, h and combinations", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("45s"), 45_000);
  });
  it("refuses what it cannot read", () => {
    assert.throws(() => parseDuration("5 minutes"), /invalid duration/);
    assert.throws(() => parseDuration(""), /invalid duration/);
  });
});
