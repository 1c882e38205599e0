// A run against the hosts: one connection per host, facts in one round trip each, then plan.
import { HostError } from "../errors.js";
import { gatherFacts, type FactsRequest } from "../facts/gather.js";
import type { HostFacts } from "../facts/parse.js";
import type { Inventory } from "../inventory/index.js";
import type { Emit } from "../apply/events.js";
import type { DesiredState } from "../render/desired.js";
import { ConnectionPool, forEachHost, type ConnectOptions, type SshTarget, type Transport } from "../transport/index.js";

export interface SessionOptions {
  forks: number;
  /** SSH handshakes under way at once (ConnectOptions.maxHandshakes). */
  maxHandshakes?: number;
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
  /** Facts include the engine's volumes (one more docker call per host; destroy needs them). Default true. */
  volumes?: boolean;
  emit: Emit;
}

export interface Session {
  transports: Map<string, Transport>;
  /** Hosts that could not be reached, with the reason. */
  unreachable: Map<string, string>;
  facts: Map<string, HostFacts>;
  /** SSH connections and round trips per host so far. */
  stats(): Map<string, { connections: number; execs: number }>;
  /** Gathers every reachable host's facts again, into `facts` (lock-wait: after another run's changes). */
  refreshFacts(): Promise<void>;
  /** A new connection to a host whose connection was lost (replaces it in `transports`). */
  reconnect(host: string): Promise<Transport>;
  close(): Promise<void>;
}

/** The facts a plan needs from one host: its managed files, wanted images and lading's state file. */
export function factsRequestOf(desired: DesiredState, host: string, volumes = true): FactsRequest {
  const h = desired.hosts.get(host)!;
  const paths: string[] = [];
  const images = new Set<string>();
  for (const s of h.services) {
    for (const f of s.files) paths.push(f.path);
    for (const c of s.containers) images.add(c.image);
  }
  return { paths, images: [...images], stateFile: h.stateFile, volumes };
}

export async function openSession(inventory: Inventory, desired: DesiredState, opts: SessionOptions): Promise<Session> {
  const targets: SshTarget[] = [...desired.hosts.keys()].map((name) => {
    const h = inventory.hosts.get(name)!;
    return { name, address: h.address, port: h.port, user: h.user, key: h.key, knownHosts: h.knownHosts, connection: h.connection, become: h.become };
  });
  const connectOpts: ConnectOptions = { acceptNewHostKeys: opts.acceptNewHostKeys, connectTimeoutMs: opts.connectTimeoutMs ?? 10_000, maxHandshakes: opts.maxHandshakes };
  const started = Date.now();
  const pool = new ConnectionPool(connectOpts, opts.forks);
  const unreachable = new Map<string, string>();
  const facts = new Map<string, HostFacts>();
  const gatherOne = async (name: string, t: Transport): Promise<void> => {
    const t0 = Date.now();
    try {
      facts.set(name, await gatherFacts(t, factsRequestOf(desired, name, opts.volumes ?? true)));
      opts.emit({ type: "facts", host: name, ms: Date.now() - t0 });
    } catch (err) {
      facts.delete(name);
      unreachable.set(name, err instanceof HostError ? err.message : String(err));
      opts.emit({ type: "connect", host: name, ok: false, error: String(err instanceof Error ? err.message : err), ms: Date.now() - t0 });
    }
  };
  // Each host's facts right after its handshake, in its --forks slot: the first facts do not wait for the last
  // connection (at 5000 hosts, connecting everything first and then gathering doubled the wall time).
  const { transports, failures } = await pool.openAll(targets, async (name, t) => {
    opts.emit({ type: "connect", host: name, ok: true, ms: Date.now() - started });
    await gatherOne(name, t);
  });
  for (const f of failures) {
    unreachable.set(f.host, f.error.message);
    opts.emit({ type: "connect", host: f.host, ok: false, error: f.error.message, ms: Date.now() - started });
  }
  // --forks bounds the hosts worked on at once here too: 5000 facts scripts at once would load every host's
  // engine (and the controller) at the same moment for no gain.
  const gatherAll = (): Promise<unknown> =>
    forEachHost([...transports], opts.forks, async ([name, t]) => {
      if (!unreachable.has(name)) await gatherOne(name, t);
    });
  return {
    transports,
    unreachable,
    facts,
    stats: () => pool.stats(),
    refreshFacts: async () => {
      await gatherAll();
    },
    reconnect: async (host) => {
      const target = targets.find((t) => t.name === host);
      if (!target) throw new HostError(host, "not a host of this run");
      const t = await pool.reconnect(target);
      transports.set(host, t);
      return t;
    },
    close: () => pool.closeAll(),
  };
}
