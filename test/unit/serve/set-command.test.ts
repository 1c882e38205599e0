// `lading set`: the edit lading serve makes, from the command line (one core: src/model/edit-parameter.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { runCli } from "../run-cli.js";

describe("lading set", () => {
  let dir: string;
  beforeEach(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"), "lading-set-");
    writeFakePasswords(dir);
  });
  afterEach(() => removeDeployment(dir));

  it("refuses a value the validators refuse (exit 3, file:line path), writing nothing", async () => {
    const before = readFileSync(join(dir, "globals.yml"));
    const r = await runCli(["set", "vip_netmask_bits", "40", "-d", dir]);
    assert.equal(r.code, 3);
    assert.match(r.err, /globals\.yml:9:19: vip_netmask_bits: parameter "vip_netmask_bits" must be <= 32/);
    assert.deepEqual(readFileSync(join(dir, "globals.yml")), before);
  });

  it("writes a YAML-typed value into globals.yml or a host's vars, keeping the rest of the file", async () => {
    const before = readFileSync(join(dir, "globals.yml"), "utf8");
    const r = await runCli(["set", "keepalived_virtual_router_id", "77", "-d", dir]);
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(join(dir, "globals.yml"), "utf8"), before.replace("keepalived_virtual_router_id: 51", "keepalived_virtual_router_id: 77"));
    const h = await runCli(["set", "keepalived_priority", "150", "--host", "lab3", "-d", dir]);
    assert.equal(h.code, 0, h.err);
    assert.match(readFileSync(join(dir, "inventory.yml"), "utf8"), /  lab3:\n    address: 10\.98\.0\.13\n    vars:\n      keepalived_priority: 150\n/);
    const check = await runCli(["set", "keepalived_priority", "--unset", "--host", "lab3", "--check", "-d", dir]);
    assert.equal(check.code, 0, check.err);
    assert.match(check.out, /not written \(--check\)/);
    assert.match(readFileSync(join(dir, "inventory.yml"), "utf8"), /keepalived_priority: 150/);
  });
});
