import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../../src/errors.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { applySets } from "../../../src/lifecycle/upgrade.js";
import { packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { runCli } from "../run-cli.js";
import { versionGateProblems } from "../../../src/lifecycle/upgrade-run.js";
import type { EngineContext } from "../../../src/cli/engine-command.js";
import { facts, runningFact } from "../engine/fixtures.js";

describe("lifecycle commands (no host)", () => {
  let dir: string;
  before(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"), "lading-lifecycle-");
    writeFakePasswords(dir);
  });
  after(() => removeDeployment(dir));

  it("--set values go above every other source, checked as the parameter they set", () => {
    const project = loadProject({ dir });
    applySets(project, ["webapp_tag=1.1", "webapp_port=8081"]);
    const desired = renderProject(project, { services: ["webapp"] });
    const c = desired.hosts.get("lab2")!.services[0]!.containers[0]!;
    assert.equal(c.image, "lading/webapp:1.1");
    assert.deepEqual(c.ports, [8081]);
    const bad = loadProject({ dir });
    assert.throws(() => applySets(bad, ["webapp_tag=not a tag", "webap_tag=1", "nonsense"]), (err: unknown) => {
      assert.ok(err instanceof InputError);
      const messages = err.problems.map((p) => `${p.file} ${p.message}`);
      assert.equal(messages.length, 3);
      assert.match(messages[0]!, /^--set parameter "webapp_tag" /);
      assert.match(messages[1]!, /unknown parameter "webap_tag" \(did you mean "webapp_tag"\?\)/);
      assert.match(messages[2]!, /"nonsense" is not KEY=VALUE/);
      return true;
    });
  });

  it("refuses bad usage before connecting to any host (exit 3)", async () => {
    const destroy = await runCli(["destroy", "-d", dir]);
    assert.equal(destroy.code, 3);
    assert.match(destroy.err, /name one --service to destroy, or --all/);
    const both = await runCli(["destroy", "-d", dir, "--all", "-s", "webapp"]);
    assert.equal(both.code, 3);
    const rollback = await runCli(["rollback", "-d", dir]);
    assert.equal(rollback.code, 3);
    assert.match(rollback.err, /exactly one --service/);
    const to = await runCli(["rollback", "-d", dir, "-s", "webapp", "--to", "zero"]);
    assert.equal(to.code, 3);
    const upgrade = await runCli(["upgrade", "-d", dir, "--set", "webapp_tag=bad tag"]);
    assert.equal(upgrade.code, 3);
    assert.match(upgrade.err, /--set: webapp_tag: parameter "webapp_tag"/);
  });

  it("checks RabbitMQ's version gate against the image each host runs", () => {
    const gateFor = (tag: string, running: string) => {
      const project = loadProject({ dir });
      applySets(project, [`image_tag=${tag}`]);
      const desired = renderProject(project, { services: ["rabbitmq"] });
      const f = new Map([...desired.hosts.values()].map((h) => {
        const c = h.services[0]!.containers[0]!;
        const hf = facts();
        hf.containers.set(c.name, runningFact({ ...c, image: `lading/rabbitmq:${running}` }, "x"));
        return [h.name, hf];
      }));
      const ctx = { project, desired, session: { facts: f } } as unknown as EngineContext;
      return versionGateProblems(ctx).map((p) => `${p.path}: ${p.message}`);
    };
    assert.deepEqual(gateFor("3.13", "3.12"), []);
    assert.deepEqual(gateFor("3.13", "3.13"), []);
    const skip = gateFor("3.13", "3.11");
    assert.equal(skip.length, 1, "one problem per service, not one per host");
    assert.match(skip[0]!, /^image_tag: rabbitmq on lab1: 3\.11 -> 3\.13 skips minor versions/);
    assert.match(gateFor("3.12", "3.13")[0]!, /downgrade/);
  });
});
