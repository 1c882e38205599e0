// clusterMemberProblems: each running member of a clustered service is asked whether it sees its whole
// cluster (the cluster gates), over fake transports.
import assert from "node:assert/strict";
import { clusterMemberProblems, describeMemberProblem } from "../../../src/apply/cluster-health.js";
import type { DesiredService, DesiredState } from "../../../src/render/desired.js";
import { container, facts, runningFact, service } from "../engine/fixtures.js";
import { FakeTransport, type Responder } from "./fake-transport.js";

const HOSTS = ["h1", "h2", "h3"];

function rabbit(quorum = true): DesiredService {
  return service("rabbitmq", [], [container("rabbitmq", "rabbitmq")], { rollout: { strategy: "rolling", gate: { kind: "rabbitmq", container: "rabbitmq" }, quorum } });
}

function desiredOf(s: () => DesiredService): DesiredState {
  return { hosts: new Map(HOSTS.map((h, i) => [h, { name: h, address: `10.0.0.${i + 1}`, stateFile: "/etc/lading/.lading/state.json", services: [s()] }])) };
}

function factsWith(running: (h: string) => boolean | undefined) {
  return new Map(
    HOSTS.map((h) => {
      const f = facts();
      const r = running(h);
      if (r !== undefined) f.containers.set("rabbitmq", runningFact(container("rabbitmq", "rabbitmq"), "x", r ? {} : { status: "exited", running: false }));
      return [h, f];
    }),
  );
}

const status = (running: string[], partitions: Record<string, string[]> = {}): string => JSON.stringify({ running_nodes: running.map((h) => `rabbit@${h}`), partitions });

async function problems(d: DesiredState, f: ReturnType<typeof factsWith>, respond: Responder) {
  const log: string[] = [];
  const transports = new Map(HOSTS.map((h) => [h, new FakeTransport(h, log, respond)]));
  return { found: await clusterMemberProblems(d, f, transports), log };
}

describe("cluster member health (check)", () => {
  it("a whole cluster has no problem; every running member is asked once", async () => {
    const { found, log } = await problems(desiredOf(rabbit), factsWith(() => true), () => ({ stdout: status(HOSTS) }));
    assert.deepEqual(found, []);
    assert.equal(log.filter((l) => l.includes("cluster_status")).length, 3);
  });

  it("names each member that sees a partition, though all run (a split the metadata store did not heal)", async () => {
    const split = status(HOSTS, { "rabbit@h1": ["rabbit@h3"], "rabbit@h3": ["rabbit@h1"] });
    const { found } = await problems(desiredOf(rabbit), factsWith(() => true), () => ({ stdout: split }));
    assert.deepEqual(found.map((p) => p.host), HOSTS);
    assert.equal(describeMemberProblem(found[0]!), "h1: rabbitmq is not whole with its cluster: 3/3 nodes running, 2 partitions");
  });

  it("a member whose app stopped: it says so, the others see 2 of 3", async () => {
    const { found } = await problems(desiredOf(rabbit), factsWith(() => true), (h) =>
      h === "h2" ? { code: 69, stderr: "Error: this command requires the 'rabbit' app to be running on the target node.\n" } : { stdout: status(["h1", "h3"]) },
    );
    assert.deepEqual(
      found.map((p) => `${p.host}: ${p.detail}`),
      ["h1: 2/3 nodes running", "h2: rabbitmqctl: Error: this command requires the 'rabbit' app to be running on the target node.", "h3: 2/3 nodes running"],
    );
  });

  it("a stopped member is not asked (container health reports it); the others are expected to see the members that exist", async () => {
    const { found, log } = await problems(desiredOf(rabbit), factsWith((h) => (h === "h3" ? undefined : h === "h2" ? false : true)), () => ({ stdout: status(["h1"]) }));
    assert.equal(log.filter((l) => l.includes("cluster_status")).length, 1, "only h1 runs");
    assert.deepEqual(found.map((p) => `${p.host}: ${p.detail}`), ["h1: 1/2 nodes running"]);
  });

  it("a service without the quorum flag or without a cluster gate is not asked", async () => {
    const plain = (): DesiredService => service("app", [], [container("app", "app")], { rollout: { strategy: "rolling", quorum: true } });
    for (const d of [desiredOf(() => rabbit(false)), desiredOf(plain)]) {
      const { found, log } = await problems(d, factsWith(() => true), () => ({ stdout: status(["h1"]) }));
      assert.deepEqual(found, []);
      assert.equal(log.length, 0);
    }
  });
});
