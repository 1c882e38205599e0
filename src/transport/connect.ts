// Opens the transport for one target: local, direct SSH, or SSH through ProxyJump bastions.
import type { Client } from "ssh2";
import { HostError } from "../errors.js";
import type { HandshakeLimiter } from "./handshake-limiter.js";
import { LocalTransport } from "./local-transport.js";
import { readSshConfig, resolveSshSettings, type SshSettings } from "./ssh-settings.js";
import { forwardThrough, openSshClient, SshTransport } from "./ssh-transport.js";
import type { ConnectOptions, SshTarget, Transport } from "./transport.js";

/**
 * Bastion connections, opened once and shared by every host behind them (a pool shares one set for a
 * whole run). Keyed by the whole chain, so `a,b` and `b` are different connections.
 */
export class JumpConnections {
  private readonly clients = new Map<string, Promise<Client>>();

  /** The connection to the last hop of `chain`, opening the hops before it as needed. */
  through(chain: readonly SshSettings[], opts: ConnectOptions, limiter?: HandshakeLimiter): Promise<Client> | undefined {
    let previous: Promise<Client> | undefined;
    let key = "";
    for (const hop of chain) {
      key += `/${hop.user}@${hop.hostname}:${hop.port}`;
      let opened = this.clients.get(key);
      if (!opened) {
        const via = previous;
        opened = (async () => {
          const openSock = via ? async () => forwardThrough(await via, hop.name, hop.hostname, hop.port, hop.connectTimeoutMs) : undefined;
          return openSshClient(hop, { acceptNewHostKeys: opts.acceptNewHostKeys, label: `bastion ${hop.name}`, openSock, limiter });
        })();
        // A failed hop is not cached: the next host may try again.
        opened.catch(() => this.clients.delete(key));
        this.clients.set(key, opened);
      }
      previous = opened;
    }
    return previous;
  }

  async closeAll(): Promise<void> {
    const opened = [...this.clients.values()].reverse(); // innermost hops first
    this.clients.clear();
    for (const client of opened) {
      try {
        (await client).end();
      } catch {
        // a hop that never opened has nothing to close
      }
    }
  }
}

/**
 * Opens the transport of `target`. Rejects with HostError when the host cannot be reached, its host key
 * is refused or authentication fails. Pass `jumps` to share bastion connections between hosts, and
 * `limiter` to share one bound on the handshakes under way (without it, this connection has its own).
 */
export async function connect(target: SshTarget, opts: ConnectOptions = {}, jumps?: JumpConnections, limiter?: HandshakeLimiter): Promise<Transport> {
  if (target.connection === "local") {
    return new LocalTransport({ host: target.name, become: target.become, commandTimeoutMs: opts.commandTimeoutMs });
  }
  let settings: SshSettings;
  try {
    settings = resolveSshSettings(target, readSshConfig(opts.sshConfigFile), opts);
  } catch (err) {
    throw new HostError(target.name, `cannot read the ssh configuration: ${(err as Error).message}`, { cause: err });
  }
  const ownJumps = jumps ? undefined : new JumpConnections();
  const sharedJumps = jumps ?? ownJumps!;
  try {
    const bastion = sharedJumps.through(settings.jumps, opts, limiter);
    const openSock = bastion
      ? async () => forwardThrough(await bastion, target.name, settings.hostname, settings.port, settings.connectTimeoutMs)
      : undefined;
    const client = await openSshClient(settings, { acceptNewHostKeys: opts.acceptNewHostKeys, label: target.name, openSock, limiter });
    return new SshTransport(client, {
      host: target.name,
      hostname: settings.hostname,
      user: settings.user,
      become: target.become,
      commandTimeoutMs: opts.commandTimeoutMs,
      onClose: ownJumps ? () => ownJumps.closeAll() : undefined,
    });
  } catch (err) {
    await ownJumps?.closeAll();
    if (err instanceof HostError && err.host !== target.name) {
      // A bastion failed: say which host it was needed for.
      throw new HostError(target.name, `via ${err.message}`, { cause: err });
    }
    throw err;
  }
}
