import assert from "node:assert/strict";
import type { HostFacts } from "../../../src/facts/parse.js";
import { databaseRegistrationSql, registrationClusters, registrationMember, runSql } from "../../../src/apply/registrations.js";
import type { Transport } from "../../../src/transport/index.js";
import type { Topology } from "../../../src/render/computed.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir } from "../../../src/paths.js";

const groups: Record<string, string[]> = { mariadb: ["db1", "db2", "db3"], rabbitmq: ["mq1", "mq2"], control: ["db1", "db2", "db3"] };
const topology: Topology = { hostsOf: (g) => (groups[g] ?? []).map((name) => ({ name, address: "10.0.0.1" })) };

function factsWith(running: Record<string, string[]>): Map<string, HostFacts> {
  return new Map(
    Object.entries(running).map(([host, names]) => [host, { containers: new Map(names.map((n) => [n, { running: true }])) } as unknown as HostFacts]),
  );
}

describe("registration clusters", () => {
  const roles = loadRoles([builtinRolesDir]).roles;

  it("come from the enabled roles and the inventory, not from what a run deploys", () => {
    const clusters = registrationClusters(roles, topology);
    assert.deepEqual(clusters.get("galera"), { container: "mariadb", hosts: ["db1", "db2", "db3"] });
    assert.deepEqual(clusters.get("rabbitmq"), { container: "rabbitmq", hosts: ["mq1", "mq2"] });
  });

  it("are absent when the role that serves them is disabled", () => {
    const clusters = registrationClusters(roles.filter((r) => r.def.name !== "mariadb"), topology);
    assert.equal(clusters.has("galera"), false);
    assert.equal(clusters.has("rabbitmq"), true);
  });

  it("register on a reachable member whose container runs, else the first reachable one", () => {
    const cluster = { container: "mariadb", hosts: ["db1", "db2", "db3"] };
    assert.deepEqual(registrationMember(cluster, factsWith({ db2: ["mariadb"], db3: ["mariadb"] }), () => true), { host: "db2", container: "mariadb" });
    assert.deepEqual(registrationMember(cluster, factsWith({ db2: ["mariadb"], db3: ["mariadb"] }), (h) => h !== "db2"), { host: "db3", container: "mariadb" });
    assert.deepEqual(registrationMember(cluster, factsWith({}), (h) => h === "db3"), { host: "db3", container: "mariadb" });
    assert.equal(registrationMember(cluster, factsWith({ db1: ["mariadb"] }), () => false), undefined);
  });
});

describe("runSql", () => {
  it("sends the SQL on stdin, never the password in argv, to a mysql client that reads it as UTF-8", async () => {
    const calls: { argv: string[]; stdin?: string }[] = [];
    const t = {
      host: "db1",
      exec: async (argv: string[], opts: { stdin?: string } = {}) => {
        calls.push({ argv, stdin: opts.stdin });
        return { code: 0, stdout: "", stderr: "" };
      },
    } as unknown as Transport;
    await runSql(t, "mariadb", databaseRegistrationSql("app", "app", "pässwörd"));
    assert.equal(calls.length, 1);
    assert.ok(calls[0]!.argv.includes("--default-character-set=utf8mb4"), calls[0]!.argv.join(" "));
    assert.ok(!calls[0]!.argv.join(" ").includes("pässwörd"), "the password is not in argv");
    assert.match(calls[0]!.stdin ?? "", /IDENTIFIED BY 'pässwörd'/);
  });
});
