// The registry of service drivers, looked up by what a role provides, and of gate probes, by gate kind. Adding
// a kind of service is a folder here with its driver, one line below and one value in role.schema.json's
// provides enum.
import type { Gate } from "../generated/role.js";
import type { Capability, GateProbe, ServiceDriver } from "./driver.js";
import { galeraDriver } from "./galera/driver.js";
import { haproxyDriver } from "./haproxy/driver.js";
import { keepalivedDriver } from "./keepalived/driver.js";
import { keystoneDriver } from "./keystone/driver.js";
import { memcachedDriver } from "./memcached/driver.js";
import { commandProbe, healthcheckProbe, httpProbe, tcpProbe } from "./probes.js";
import { rabbitmqDriver } from "./rabbitmq/driver.js";

export const DRIVERS: readonly ServiceDriver[] = [galeraDriver, rabbitmqDriver, haproxyDriver, keepalivedDriver, keystoneDriver, memcachedDriver];

const byCapability = new Map<Capability, ServiceDriver>(DRIVERS.map((d) => [d.provides, d]));

const probes = new Map<Gate["kind"], GateProbe>(
  [healthcheckProbe, tcpProbe, httpProbe, commandProbe, ...DRIVERS.flatMap((d) => d.probes ?? [])].map((p) => [p.kind, p as GateProbe]),
);

/** The driver of a capability. Every value of provides has one (the schema's enum and DRIVERS agree: a unit test says so). */
export function driverFor(capability: Capability): ServiceDriver {
  const d = byCapability.get(capability);
  if (!d) throw new Error(`no service driver provides ${capability}`);
  return d;
}

/** The driver of a service, from what its role provides; undefined for a service that provides nothing to others. */
export function driverOf(service: { provides?: Capability }): ServiceDriver | undefined {
  return service.provides ? driverFor(service.provides) : undefined;
}

/** The probe of a gate kind. Every gate kind of the schema has one. */
export function gateProbe(kind: Gate["kind"]): GateProbe {
  const p = probes.get(kind);
  if (!p) throw new Error(`no probe for gate kind ${kind}`);
  return p;
}

/** The gate kinds that have a probe (for the test that every kind of the schema has one). */
export function probedGateKinds(): string[] {
  return [...probes.keys()];
}

/** The capability whose service a registration step runs in. */
export const REGISTERED_IN: Readonly<Record<"register-database" | "register-messaging" | "register-catalog", Capability>> = {
  "register-database": "database",
  "register-messaging": "queue",
  "register-catalog": "identity",
};
