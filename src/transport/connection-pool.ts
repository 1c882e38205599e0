// One connection per host for a whole run, opened with bounded parallelism (`--forks`), with at most
// ConnectOptions.maxHandshakes of them in their handshake at once (src/transport/handshake-limiter.ts).
import pLimit from "p-limit";
import { HostError } from "../errors.js";
import { connect, JumpConnections } from "./connect.js";
import { HandshakeLimiter } from "./handshake-limiter.js";
import type { ConnectOptions, SshTarget, Transport } from "./transport.js";

export const DEFAULT_FORKS = 10;

export interface ConnectionFailure {
  host: string;
  error: HostError;
}

/**
 * Runs `fn` for every host, at most `forks` at a time. Every host runs even when others fail; the
 * caller judges the settled results, which are in the order of `hosts`.
 */
export function forEachHost<H, R>(hosts: readonly H[], forks: number, fn: (host: H) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const limit = pLimit(Math.max(1, forks));
  return Promise.allSettled(hosts.map((host) => limit(() => fn(host))));
}

export class ConnectionPool {
  private readonly opts: ConnectOptions;
  private readonly forks: number;
  private readonly jumps = new JumpConnections();
  /** One bound on the handshakes under way for the whole run, whatever --forks is. */
  readonly handshakes: HandshakeLimiter;
  private readonly transports = new Map<string, Transport>();

  constructor(opts: ConnectOptions = {}, forks: number = DEFAULT_FORKS) {
    this.opts = opts;
    this.forks = forks;
    this.handshakes = new HandshakeLimiter({ maxHandshakes: opts.maxHandshakes });
  }

  /**
   * Opens a connection to every target not yet connected. Unreachable hosts are reported in `failures`,
   * not thrown, so the caller decides whether the run goes on without them. `opened` runs for each host as soon
   * as its connection is up, in the same --forks slot (the facts): hosts connected early do not wait for the
   * slowest handshake. It must not reject.
   */
  async openAll(targets: readonly SshTarget[], opened?: (host: string, transport: Transport) => Promise<void>): Promise<{ transports: Map<string, Transport>; failures: ConnectionFailure[] }> {
    const failures: ConnectionFailure[] = [];
    const missing = targets.filter((t) => !this.transports.has(t.name));
    const results = await forEachHost(missing, this.forks, async (target) => {
      const transport = await connect(target, this.opts, this.jumps, this.handshakes);
      if (opened) await opened(target.name, transport);
      return transport;
    });
    results.forEach((result, index) => {
      const target = missing[index]!;
      if (result.status === "fulfilled") {
        this.transports.set(target.name, result.value);
      } else {
        const reason: unknown = result.reason;
        const error = reason instanceof HostError ? reason : new HostError(target.name, String((reason as Error)?.message ?? reason), { cause: reason });
        failures.push({ host: target.name, error });
      }
    });
    const transports = new Map(targets.filter((t) => this.transports.has(t.name)).map((t) => [t.name, this.transports.get(t.name)!]));
    return { transports, failures };
  }

  /**
   * Replaces a host's lost connection with a new one (logs -f after a host dropped). Rejects with HostError
   * while the host is still unreachable; the caller retries with its own backoff.
   */
  async reconnect(target: SshTarget): Promise<Transport> {
    const old = this.transports.get(target.name);
    this.transports.delete(target.name);
    if (old) await old.close().catch(() => undefined);
    const t = await connect(target, this.opts, this.jumps);
    this.transports.set(target.name, t);
    return t;
  }

  get(host: string): Transport | undefined {
    return this.transports.get(host);
  }

  /** Connection and round-trip counts per host, for benchmarks. */
  stats(): Map<string, { connections: number; execs: number }> {
    return new Map([...this.transports].map(([host, t]) => [host, { ...t.stats }]));
  }

  async closeAll(): Promise<void> {
    const open = [...this.transports.values()];
    this.transports.clear();
    await Promise.allSettled(open.map((t) => t.close()));
    await this.jumps.closeAll();
  }
}
