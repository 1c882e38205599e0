// The contract of a service driver: what lading knows about one kind of service (Galera, RabbitMQ, HAProxy,
// keepalived, Keystone...) in one place. A role says what it provides (role.yaml provides: database); the
// engine, check, the schedule and the registrations ask the driver of that capability (src/services/index.ts)
// instead of switching on gate kinds or service names. Gate kinds stay what they are: how to probe a host.
import type { Gate, Role } from "../generated/role.js";
import type { DesiredService } from "../render/desired.js";
import type { Transport } from "../transport/index.js";

/** What a role provides to the others (role.yaml provides:). At most one enabled role provides each. */
export type Capability = NonNullable<Role["provides"]>;

export interface GateResult {
  ok: boolean;
  detail: string;
}

export interface GateContext {
  transport: Transport;
  service: DesiredService;
  /** How many members the cluster should have once this host is back (Galera, RabbitMQ). */
  expectedMembers: number;
  /** The host's address (tcp and http gates connect to it). */
  address: string;
  /** HAProxy: the backends that were up before the restart; they must be up again. */
  backendsUpBefore?: string[];
}

/** How one gate kind checks one host (role.yaml rollout.gate). */
export interface GateProbe<G extends Gate = Gate> {
  kind: G["kind"];
  /** How plans and messages name the gate (its kind when absent). */
  describe?(g: G): string;
  /** One check: true when the host is healthy now. */
  check(g: G, ctx: GateContext): Promise<GateResult>;
  /**
   * What the gate must find again after a restart or reload, noted before it (HAProxy: the backends up now).
   * Probes without it judge a host by itself alone.
   */
  baseline?(t: Transport, container: string, g: G): Promise<string[]>;
}

/** The container a gate probes: its own, else the service's first. */
export function containerOf(g: Gate, svc: DesiredService): string {
  return ("container" in g && g.container) || svc.containers[0]?.name || svc.name;
}

/** A registration other roles declare (role.yaml database:, messaging:), as rendered for a host. */
export type Registration =
  | { kind: "database"; name: string; user: string; password: string }
  | { kind: "messaging"; vhost: string; user: string; password: string };

/** A registration to remove (destroy of the role that declared it). */
export type Unregistration = { kind: "database"; name: string; user: string } | { kind: "messaging"; vhost: string; user: string };

/** What a driver does while a member is out of the load balancer's rotation, before it stops. */
export interface OutOfRotation {
  /** Added to the drain step's reason. */
  note: string;
  /**
   * Lets the member's own clients finish, and returns warnings. When absent, lading waits for the sessions the
   * load balancer sent the host to end.
   */
  settle(t: Transport, container: string, host: string, closeSessions: () => Promise<string[]>): Promise<string[]>;
}

export interface ServiceDriver {
  /** Its folder under src/services. */
  name: string;
  /** The capability whose role it runs. */
  provides: Capability;
  /** The gate kinds it probes (its own cluster's view of a member). */
  probes?: GateProbe[];
  /**
   * Its gate asks a member about its whole cluster, not only about itself: `check` asks every running member
   * of a quorum service of this driver (a node can run, healthy by its own healthcheck, outside its cluster).
   */
  clusterGate?: boolean;
  /** The quorum rules of its cluster. */
  quorum?: {
    /** The lading command that brings the cluster back after a full outage. */
    recovery: string;
    /**
     * Every member down is not a state a deploy can repair (no member is safe to bootstrap on its own): the
     * rollout refuses and `check` reports it. The name is the cluster's, for messages ("Galera").
     */
    fullOutageRefuses?: string;
    /** A problem with the number of members of a group, or undefined (Galera needs an odd number). */
    memberCountProblem?(group: string, members: number): string | undefined;
  };
  /** Runs other roles' registrations of its kind in its container (passwords on stdin only). */
  register?(t: Transport, container: string, r: Registration): Promise<void>;
  /** Removes one of them (destroy --service of the role that declared it). */
  unregister?(t: Transport, container: string, r: Unregistration): Promise<void>;
  /** What it does out of the load balancer's rotation, before a member stops. */
  outOfRotation?: OutOfRotation;
}
