import assert from "node:assert/strict";
import { runJob } from "../../../src/docker/commands.js";
import { operatorFilesOf } from "../../../src/lifecycle/operator-files.js";
import { buildPlan, jobInputsHash, type Step } from "../../../src/plan/plan.js";
import { formatPlan } from "../../../src/plan/format.js";
import type { DesiredJob } from "../../../src/render/desired.js";
import { container, facts, file, service, state } from "./fixtures.js";

const ks = container("keystone", "keystone", { volumes: [{ kind: "bind", source: "/etc/lading/keystone", target: "/etc/keystone", readOnly: true }], environment: { OS_KEYSTONE_CONFIG_FILES: "/etc/keystone/keystone.conf" } });
const conf = file("keystone", "keystone.conf", "[token]\nexpiration = 3600\n");
const db = file("keystone", "database.conf", "[database]\nconnection = x\n");
const dbSync: DesiredJob = { name: "db_sync", container: ks, command: ["keystone-manage", "db_sync"], inputs: [db.path], timeout: "10m" };
const desired = (files = [conf, db], jobs = [dbSync]) =>
  state({ h1: [service("keystone", files, [ks], { jobs })], h2: [service("keystone", files, [ks], { jobs })] });
const jobsOf = (steps: Step[]) => steps.filter((s): s is Extract<Step, { kind: "job" }> => s.kind === "job");

describe("jobs", () => {
  it("plans a job that never ran once, on the service's first host, before the container", () => {
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", facts()], ["h2", facts()]]), secrets: {}, mode: "deploy" });
    const h1 = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(h1.map((s) => s.kind), ["write", "write", "job", "create"]);
    assert.equal(h1[2]!.reason, "job db_sync: never ran");
    assert.deepEqual(jobsOf(plan.hosts.get("h2")!.services[0]!.steps), []);
    assert.match(formatPlan(plan, { redact: (s) => s, diffs: false }), /job +db_sync: keystone-manage db_sync +# job db_sync: never ran/);
  });

  it("skips a job recorded with the same inputs, on any host, and says so", () => {
    const value = jobInputsHash(dbSync, (p) => [conf, db].find((f) => f.path === p)?.content);
    const recorded = facts({ state: { registrations: { "job/keystone/db_sync": value } } });
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", facts()], ["h2", recorded]]), secrets: {}, mode: "reconfigure" });
    assert.deepEqual(jobsOf(plan.hosts.get("h1")!.services[0]!.steps), []);
    assert.ok(plan.hosts.get("h1")!.services[0]!.unchanged.includes("job db_sync: ran with these inputs"));
  });

  it("runs it again when an input file changes, but not when another file does", () => {
    const before = jobInputsHash(dbSync, (p) => [conf, db].find((f) => f.path === p)?.content);
    const recorded = () => new Map([["h1", facts({ state: { registrations: { "job/keystone/db_sync": before } } })], ["h2", facts()]]);
    const otherChanged = desired([{ ...conf, content: "[token]\nexpiration = 7200\n" }, db]);
    assert.deepEqual(jobsOf(buildPlan({ desired: otherChanged, facts: recorded(), secrets: {}, mode: "deploy" }).hosts.get("h1")!.services[0]!.steps), []);
    const inputChanged = desired([conf, { ...db, content: "[database]\nconnection = y\n" }]);
    const steps = jobsOf(buildPlan({ desired: inputChanged, facts: recorded(), secrets: {}, mode: "deploy" }).hosts.get("h1")!.services[0]!.steps);
    assert.deepEqual(steps.map((s) => s.reason), ["job db_sync: its inputs changed (image, command or input files)"]);
  });

  it("runs it again when the image or the command changes", () => {
    const base = jobInputsHash(dbSync, () => "x");
    assert.notEqual(jobInputsHash({ ...dbSync, container: { ...ks, image: "lading/keystone:1.1" } }, () => "x"), base);
    assert.notEqual(jobInputsHash({ ...dbSync, command: ["keystone-manage", "db_sync", "--expand"] }, () => "x"), base);
    assert.equal(jobInputsHash({ ...dbSync }, () => "x"), base);
  });

  it("plans no job in genconfig", () => {
    const plan = buildPlan({ desired: desired(), facts: new Map([["h1", facts()], ["h2", facts()]]), secrets: {}, mode: "genconfig" });
    assert.deepEqual(jobsOf(plan.hosts.get("h1")!.services[0]!.steps), []);
  });

  it("runs in the foreground with the container's image, environment and mounts, the job's command as argv", () => {
    assert.deepEqual(runJob("keystone", dbSync), [
      "docker", "run", "--rm", "--name", "lading-job-keystone-db_sync", "--network", "host", "--label", "lading.job=keystone/db_sync",
      "--env", "OS_KEYSTONE_CONFIG_FILES=/etc/keystone/keystone.conf",
      "--mount", "type=bind,source=/etc/lading/keystone,target=/etc/keystone,readonly",
      ks.image, "keystone-manage", "db_sync",
    ]);
  });
});

describe("operator files", () => {
  it("takes each service's files from its first host, under the deployment folder", () => {
    const d = state({
      h1: [service("keystone", [], [ks], { operatorFiles: [{ dest: "clouds.yaml", content: "from h1" }] })],
      h2: [service("keystone", [], [ks], { operatorFiles: [{ dest: "clouds.yaml", content: "from h2" }] })],
    });
    assert.deepEqual(operatorFilesOf(d, "/deploy"), [{ service: "keystone", path: "/deploy/clouds.yaml", content: "from h1" }]);
  });
});
