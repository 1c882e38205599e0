// The service drivers' registry: every capability a role may provide has exactly one driver, every gate kind a
// probe, and lading finds the database, the queue and the identity service by what roles provide, never by
// their gate kind.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { clusterInDesired, identityInDesired, registrationClusters } from "../../../src/apply/registrations.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir, schemasDir } from "../../../src/paths.js";
import type { DesiredState } from "../../../src/render/desired.js";
import type { Topology } from "../../../src/render/computed.js";
import { galeraDriver } from "../../../src/services/galera/driver.js";
import { DRIVERS, driverFor, driverOf, gateProbe, probedGateKinds } from "../../../src/services/index.js";
import { rabbitmqDriver } from "../../../src/services/rabbitmq/driver.js";
import { container, service } from "../engine/fixtures.js";

const roleSchema = JSON.parse(readFileSync(join(schemasDir, "role.schema.json"), "utf8")) as {
  properties: { provides: { enum: string[] } };
  $defs: { gate: { oneOf?: { properties: { kind: { const: string } } }[]; anyOf?: { properties: { kind: { const: string } } }[] } };
};

function desiredWith(...services: ReturnType<typeof service>[]): DesiredState {
  return { hosts: new Map(["h1", "h2"].map((h) => [h, { name: h, address: "10.0.0.1", stateFile: "/s", services }])) };
}

describe("service drivers: the registry", () => {
  it("has one driver for every value of provides in role.schema.json, and none other", () => {
    const capabilities = roleSchema.properties.provides.enum;
    assert.deepEqual([...DRIVERS.map((d) => d.provides)].sort(), [...capabilities].sort());
    for (const c of capabilities) assert.equal(driverFor(c as never).provides, c);
  });

  it("has a probe for every gate kind of role.schema.json", () => {
    const variants = roleSchema.$defs.gate.oneOf ?? roleSchema.$defs.gate.anyOf ?? [];
    const kinds = variants.map((v) => v.properties.kind.const);
    assert.ok(kinds.length >= 7, `gate kinds read from the schema: ${kinds.join(", ")}`);
    assert.deepEqual([...probedGateKinds()].sort(), [...kinds].sort());
    for (const k of kinds) assert.equal(gateProbe(k as never).kind, k);
  });

  it("looks a service's driver up by what it provides, not by its gate", () => {
    assert.equal(driverOf({ provides: "database" }), galeraDriver);
    assert.equal(driverOf({ provides: "queue" }), rabbitmqDriver);
    assert.equal(driverOf({}), undefined);
    assert.throws(() => driverFor("storage" as never), /no service driver provides storage/);
  });

  it("gives every shipped role that other roles rely on the driver of its kind", () => {
    const byRole = Object.fromEntries(loadRoles([builtinRolesDir]).roles.map((r) => [r.def.name, driverOf(r.def)?.name]));
    assert.deepEqual(byRole, { mariadb: "galera", rabbitmq: "rabbitmq", haproxy: "haproxy", keepalived: "keepalived", keystone: "keystone", memcached: "memcached", webapp: undefined });
  });

  it("the Galera driver's quorum rule wants an odd number of members", () => {
    const rule = galeraDriver.quorum!.memberCountProblem!;
    assert.equal(rule("mariadb", 3), undefined);
    assert.equal(rule("mariadb", 0), undefined);
    assert.equal(rule("mariadb", 4), 'the Galera group "mariadb" has 4 members: it needs an odd number, so that a split leaves a majority');
    assert.equal(rabbitmqDriver.quorum!.memberCountProblem, undefined);
  });
});

describe("service drivers: finding the services registrations run in", () => {
  const db = container("db", "mariadb");

  it("finds the database by provides: a galera gate alone does not make a service the database", () => {
    const galeraGated = service("galera-lookalike", [], [db], { rollout: { gate: { kind: "galera", container: "db" } } });
    assert.equal(clusterInDesired(desiredWith(galeraGated), "database"), undefined);
    const provider = service("sql", [], [db], { provides: "database", rollout: { gate: { kind: "tcp", port: 3306 } } });
    assert.deepEqual(clusterInDesired(desiredWith(galeraGated, provider), "database"), { container: db.name, hosts: ["h1", "h2"] });
    assert.equal(clusterInDesired(desiredWith(provider), "queue"), undefined);
  });

  it("finds the identity service by provides identity, with its identity:", () => {
    const identity = { container: "ks", command: ["register"], url: "http://x/v3", user: "admin", project: "admin", domain: "Default", passwordSecret: "pw", region: "R" };
    const ks = container("ks", "keystone");
    assert.equal(identityInDesired(desiredWith(service("ks", [], [ks], { identity }))), undefined);
    assert.equal(identityInDesired(desiredWith(service("ks", [], [ks], { provides: "identity", identity })))?.service, "ks");
  });

  it("takes registration clusters from the roles that provide database and queue", () => {
    const roles = loadRoles([builtinRolesDir]).roles;
    const topology: Topology = { hostsOf: (g) => (g === "mariadb" || g === "rabbitmq" ? [{ name: `${g}1`, address: "10.0.0.1" }] : []) };
    const clusters = registrationClusters(roles, topology);
    assert.deepEqual([...clusters.keys()].sort(), ["database", "queue"]);
    // A role of its own that provides nothing is not a cluster to register in, whatever its gate.
    const withoutProvides = roles.map((r) => (r.def.name === "mariadb" ? { ...r, def: { ...r.def, provides: undefined } } : r));
    assert.deepEqual([...registrationClusters(withoutProvides, topology).keys()], ["queue"]);
  });
});
