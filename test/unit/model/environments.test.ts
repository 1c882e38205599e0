import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../../src/errors.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { validateDeployment } from "../../../src/model/validate-deployment.js";
import { packageRoot } from "../../../src/paths.js";
import { runCli } from "../run-cli.js";
import { copyDeployment, removeDeployment, writeDeploymentFile, writeFakePasswords } from "./deployment-fixture.js";

const ONE_HOST = `hosts:
  lab1:
    address: 10.98.0.11
groups:
  control:
    hosts: [lab1]
  loadbalancer: { children: [control] }
  mariadb: { children: [control] }
  rabbitmq: { children: [control] }
  memcached: { children: [control] }
  webapp: { children: [control] }
`;

describe("environments (environments/NAME/ in one deployment folder)", () => {
  let dir: string;
  beforeEach(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"), "lading-env-");
    writeFakePasswords(dir);
    writeDeploymentFile(dir, "environments/staging/inventory.yml", ONE_HOST);
    writeDeploymentFile(dir, "environments/staging/globals.yml", "# staging\nmemcached_memory_mb: 32\n");
  });
  afterEach(() => removeDeployment(dir));

  it("-e takes the environment's inventory and layers its globals.yml over the folder's", () => {
    const base = loadProject({ dir });
    const staging = loadProject({ dir, environment: "staging" });
    assert.equal(staging.environment, "staging");
    assert.equal(staging.inventoryFile, join(dir, "environments/staging/inventory.yml"));
    assert.deepEqual([...staging.inventory.hosts.keys()], ["lab1"]);
    assert.equal(staging.hostParams.get("lab1")!.memcached_memory_mb, 32);
    assert.equal(base.hostParams.get("lab1")!.memcached_memory_mb, 64);
    // Parameters the environment does not set come from the folder's globals.yml.
    assert.equal(staging.hostParams.get("lab1")!.vip_address, "10.98.0.100");
    assert.equal(staging.passwordsFile, join(dir, "passwords.yml"), "no passwords.yml of its own: the folder's");
    writeFakePasswords(dir, undefined, join(dir, "environments/staging/passwords.yml"));
    assert.equal(loadProject({ dir, environment: "staging" }).passwordsFile, join(dir, "environments/staging/passwords.yml"));
    assert.equal(renderProject(staging).hosts.size, 1);
  });

  it("a missing environment is an input error naming it and the ones there are", () => {
    assert.throws(() => loadProject({ dir, environment: "prod" }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.problems[0]!.file, "--environment");
      assert.match(err.problems[0]!.message, /environment "prod" not found: .*environments holds "staging"/);
      return true;
    });
    assert.throws(() => loadProject({ dir, environment: "../staging" }), /environment "\.\.\/staging" not found/);
  });

  it("validate with no -e checks the folder and every environment, naming file and line of a bad one", async () => {
    writeDeploymentFile(dir, "environments/broken/inventory.yml", ONE_HOST);
    writeDeploymentFile(dir, "environments/broken/globals.yml", "# broken\nmemcached_memory_mb: 8\n");
    assert.throws(() => validateDeployment({ dir }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.problems.length, 1, err.message);
      const p = err.problems[0]!;
      assert.equal(p.file, join(dir, "environments/broken/globals.yml"));
      assert.equal(p.line, 2);
      assert.match(p.message, /memcached_memory_mb/);
      return true;
    });
    const cli = await runCli(["validate", "-d", dir]);
    assert.equal(cli.code, 3);
    assert.match(cli.err, /environments\/broken\/globals\.yml:2:\d+: memcached_memory_mb:/);
    // The others alone are fine.
    assert.deepEqual(validateDeployment({ dir, environment: "staging" }).map((v) => [v.environment, v.hosts]), [["staging", 1]]);
    writeDeploymentFile(dir, "environments/broken/globals.yml", "memcached_memory_mb: 16\n");
    const ok = await runCli(["validate", "-d", dir]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^ok \(the folder's own files\): 3 hosts/m);
    assert.match(ok.out, /^ok broken: 1 hosts/m);
    assert.match(ok.out, /^ok staging: 1 hosts/m);
    assert.match(ok.out, /3 environment\(s\) checked/);
    const missing = await runCli(["validate", "-d", dir, "-e", "prod"]);
    assert.equal(missing.code, 3);
    assert.match(missing.err, /--environment: environment "prod" not found/);
  });
});
