// The SSH connector, and the one module of lading that imports ssh2. One connection per host carries
// every command and file of a run; host keys are checked against known_hosts before anything is sent.
import { readFile } from "node:fs/promises";
import type { Duplex } from "node:stream";
import pLimit from "p-limit";
import ssh2, { type AnyAuthMethod, type Client, type ClientChannel } from "ssh2";
import { HostError } from "../errors.js";
import { sudoRefusal, wrapWithSudo } from "./become.js";
import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostName,
  preferredHostKeyAlgorithms,
  readKnownHosts,
  type KnownHostEntry,
} from "./known-hosts.js";
import { HandshakeAttemptsError, HandshakeFailure, HandshakeLimiter } from "./handshake-limiter.js";
import { writeFileAtomically, writeFilesAtomically } from "./put-file.js";
import { quoteArgv } from "./quote.js";
import type { SshSettings } from "./ssh-settings.js";
import type { ExecOptions, ExecResult, ExecStream, FileToPut, PutFileOptions, StreamOptions, Transport, TransportStats } from "./transport.js";

// ssh2 is CommonJS: its named exports are not visible to ESM imports, so take them from the default export.
const { Client: SshClient, utils } = ssh2;

/** OpenSSH's sshd allows 10 sessions per connection (MaxSessions); stay below it. */
const MAX_CHANNELS_PER_CONNECTION = 8;

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** A command line short enough for an error message. Argv never holds secrets (they travel on stdin). */
function describeCommand(argv: readonly string[]): string {
  // A fixed `sh -c` script says little in a message; its positional values say which call it was.
  const shown = argv[0] === "sh" && argv[1] === "-c" && argv.length > 2 ? ["sh", "-c", "<script>", ...argv.slice(3)] : argv;
  const line = quoteArgv(shown).replace("'<script>'", "<script>");
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

interface AuthPlan {
  methods: AnyAuthMethod[];
  /** What was offered, for the error message. */
  offered: string[];
}

async function planAuthentication(settings: SshSettings): Promise<AuthPlan> {
  const methods: AnyAuthMethod[] = [];
  const offered: string[] = [];
  for (const file of settings.identityFiles) {
    let text: Buffer;
    try {
      text = await readFile(file);
    } catch {
      continue; // absent default keys are normal
    }
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error) {
      offered.push(`key ${file} (skipped: ${/encrypted|passphrase/i.test(parsed.message) ? "it needs a passphrase; load it into ssh-agent" : parsed.message})`);
      continue;
    }
    methods.push({ type: "publickey", username: settings.user, key: text });
    offered.push(`key ${file}`);
  }
  const agentSocket = process.env["SSH_AUTH_SOCK"];
  if (agentSocket && !settings.identitiesOnly) {
    methods.push({ type: "agent", username: settings.user, agent: agentSocket });
    offered.push(`ssh-agent (${agentSocket})`);
  }
  return { methods, offered };
}

function describeConnectFailure(err: Error & { code?: string; level?: string }, settings: SshSettings, auth: AuthPlan, keyExchangeDone: boolean): string {
  if (err.level === "client-authentication") {
    const tried = auth.offered.length > 0 ? auth.offered.join(", ") : `no key (none of ${settings.identityFiles.join(", ")} exists, and no ssh-agent)`;
    return `authentication failed for user ${settings.user}; tried ${tried}`;
  }
  if (err.level === "client-timeout" || err.code === "ETIMEDOUT") return `timed out after ${seconds(settings.connectTimeoutMs)}`;
  if (err.level === "protocol" && /connection lost before handshake/i.test(err.message)) return "the server closed the connection before the SSH handshake began";
  switch (err.code) {
    case "ECONNREFUSED": return "connection refused";
    case "ECONNRESET": return keyExchangeDone ? "connection reset by the server during authentication" : "connection reset by the server before the SSH handshake finished";
    case "EHOSTUNREACH": return "no route to host";
    case "ENETUNREACH": return "network unreachable";
    case "ENOTFOUND":
    case "EAI_AGAIN": return `cannot resolve the host name ${settings.hostname}`;
    default: return err.message;
  }
}

/** A connection reset or closed by the server before the key exchange ended: nothing was authenticated yet. */
function isEarlyDrop(err: (Error & { code?: string; level?: string }) | undefined): boolean {
  if (err === undefined) return true; // closed with no error at all
  if (err.code === "ECONNRESET" || err.code === "EPIPE") return true;
  return err.level === "protocol" && /connection lost before handshake/i.test(err.message);
}

export interface OpenSshClientOptions {
  acceptNewHostKeys?: boolean;
  label: string;
  /** The stream to talk SSH over, when the host is reached through a bastion; opened again for a retry. */
  openSock?: () => Promise<Duplex>;
  /** Bounds the handshakes under way and retries early drops; without one, a private default limiter. */
  limiter?: HandshakeLimiter;
}

/**
 * Opens one authenticated SSH connection, over `openSock`'s stream when it comes through a bastion.
 * A connection the server resets before the key exchange ends (sshd's MaxStartups drops it) is tried again
 * with backoff; nothing is retried once the key exchange is done, so neither authentication nor a command.
 * Rejects with HostError (labelled `label`) for unreachable hosts, refused host keys and failed auth.
 */
export async function openSshClient(settings: SshSettings, opts: OpenSshClientOptions): Promise<Client> {
  const knownHosts = await readKnownHosts(settings.knownHostsFiles);
  const auth = await planAuthentication(settings);
  const limiter = opts.limiter ?? new HandshakeLimiter();
  try {
    return await limiter.run(async () => handshake(settings, opts, knownHosts, auth, opts.openSock ? await opts.openSock() : undefined));
  } catch (err) {
    const last = err instanceof HandshakeAttemptsError ? err.last : err;
    const attempts = err instanceof HandshakeAttemptsError ? err.attempts : 1;
    if (last instanceof HostError && last.host === opts.label && attempts > 1) {
      const message = last.message.slice(`${opts.label}: `.length);
      throw new HostError(opts.label, `${message} (${attempts} attempts with backoff; the server drops new connections: raise sshd's MaxStartups, or lower --max-handshakes)`, { cause: last });
    }
    throw last;
  }
}

/** One attempt: rejects with HandshakeFailure, which tells the limiter whether it may try again. */
function handshake(settings: SshSettings, opts: OpenSshClientOptions, knownHosts: readonly KnownHostEntry[], auth: AuthPlan, sock: Duplex | undefined): Promise<Client> {
  const where = `${settings.hostname}:${settings.port}`;
  const lookupName = knownHostName(settings.hostname, settings.port);
  const knownHostsFile = settings.knownHostsFiles[0] ?? "known_hosts";

  return new Promise<Client>((resolve, reject) => {
    const client = new SshClient();
    let settled = false;
    let keyExchangeDone = false;
    let refusal: string | undefined;
    const fail = (message: string, cause?: Error & { code?: string; level?: string }, closedQuietly = false): void => {
      if (settled) return;
      settled = true;
      client.end();
      const beforeKeyExchange = !keyExchangeDone && refusal === undefined && (closedQuietly || isEarlyDrop(cause));
      reject(new HandshakeFailure({ beforeKeyExchange, error: new HostError(opts.label, message, { cause }) }));
    };

    const verifyHostKey = (keyBlob: Buffer, verify: (valid: boolean) => void): void => {
      const verdict = checkHostKey(knownHosts, lookupName, keyBlob);
      const presented = `${keyTypeOfBlob(keyBlob)} ${fingerprintSha256(keyBlob)}`;
      switch (verdict.kind) {
        case "known":
          verify(true);
          return;
        case "revoked":
          refusal = `host key ${presented} of ${where} is REVOKED (${verdict.entry.file}:${verdict.entry.line}); refusing to connect`;
          verify(false);
          return;
        case "changed":
          refusal =
            `host key of ${where} has CHANGED: it now presents ${presented}, but ${verdict.entry.file}:${verdict.entry.line} ` +
            `holds ${verdict.entry.keyType} ${fingerprintSha256(verdict.entry.key)}. Someone may be intercepting the connection, ` +
            `or the host was reinstalled; if you trust the new key, remove that line (ssh-keygen -R '${lookupName}' -f ${verdict.entry.file}) and connect again`;
          verify(false);
          return;
        case "unknown":
          if (!opts.acceptNewHostKeys) {
            const others = verdict.otherTypes.length > 0
              ? ` (known keys of other types: ${verdict.otherTypes.map((e) => `${e.keyType} at ${e.file}:${e.line}`).join(", ")})`
              : "";
            refusal =
              `host key of ${where} is not known: ${presented} is not in ${settings.knownHostsFiles.join(", ")}${others}. ` +
              `Check the fingerprint and add it to known_hosts, or run again with --accept-new-host-keys`;
            verify(false);
            return;
          }
          appendKnownHost(knownHostsFile, lookupName, keyBlob).then(
            () => verify(true),
            (err: Error) => {
              refusal = `cannot record the new host key of ${where} in ${knownHostsFile}: ${err.message}`;
              verify(false);
            },
          );
      }
    };

    client.on("handshake", () => {
      keyExchangeDone = true;
    });
    client.on("ready", () => {
      if (settled) return;
      settled = true;
      // Commands are small request/response exchanges: Nagle's delay would cost ~40 ms per round trip.
      client.setNoDelay(true);
      resolve(client);
    });
    client.on("error", (err: Error & { code?: string; level?: string }) => {
      if (refusal) fail(`cannot connect to ${where}: ${refusal}`, err);
      else fail(`cannot connect to ${where}: ${describeConnectFailure(err, settings, auth, keyExchangeDone)}`, err);
    });
    client.on("close", () =>
      fail(`cannot connect to ${where}: ${refusal ?? (keyExchangeDone ? "the server closed the connection during authentication" : "the server closed the connection before the SSH handshake finished")}`, undefined, true),
    );

    try {
      client.connect({
        host: settings.hostname,
        port: settings.port,
        username: settings.user,
        sock,
        readyTimeout: settings.connectTimeoutMs,
        keepaliveInterval: settings.keepaliveIntervalMs,
        keepaliveCountMax: settings.keepaliveCountMax,
        hostVerifier: verifyHostKey,
        authHandler: auth.methods,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownHosts, lookupName) as never },
      });
    } catch (err) {
      fail(`cannot connect to ${where}: ${(err as Error).message}`, err as Error);
    }
  });
}

/** Opens a TCP stream to `host:port` through an established connection (a ProxyJump hop). */
export function forwardThrough(via: Client, label: string, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new HostError(label, `cannot connect to ${host}:${port} through the bastion: timed out after ${seconds(timeoutMs)}`)), timeoutMs);
    via.forwardOut("127.0.0.1", 0, host, port, (err, stream) => {
      clearTimeout(timer);
      if (err) reject(new HostError(label, `cannot connect to ${host}:${port} through the bastion: ${err.message}`, { cause: err }));
      else resolve(stream);
    });
  });
}

export interface SshTransportOptions {
  host: string;
  /** The address connected to, for messages. */
  hostname?: string;
  user: string;
  become: boolean;
  commandTimeoutMs?: number;
  /** Called after the connection is closed (closes bastions this transport owns). */
  onClose?: () => Promise<void>;
}

/** A Transport over one open ssh2 connection. */
export class SshTransport implements Transport {
  readonly host: string;
  readonly stats: TransportStats = { connections: 1, execs: 0 };
  private readonly client: Client;
  private readonly options: SshTransportOptions;
  private readonly channels = pLimit(MAX_CHANNELS_PER_CONNECTION);
  private lostReason: string | undefined;
  private closed = false;

  constructor(client: Client, options: SshTransportOptions) {
    this.client = client;
    this.options = options;
    this.host = options.host;
    client.on("error", (err: Error & { code?: string }) => {
      const where = `${options.hostname ?? options.host}`;
      this.lostReason ??= err.code === "ECONNRESET" ? `the connection to ${where} was reset by the server or the network (${err.message})` : err.message;
    });
    client.on("close", () => {
      this.lostReason ??= "the connection was closed";
    });
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const become = (opts.become ?? this.options.become) && this.options.user !== "root";
    const finalArgv = become ? wrapWithSudo(argv) : [...argv];
    const commandLine = quoteArgv(finalArgv);
    return this.channels(async () => {
      const result = await this.run(commandLine, argv, opts);
      const refused = become ? sudoRefusal(this.host, this.options.user, result) : undefined;
      if (refused) throw refused;
      return result;
    });
  }

  private run(commandLine: string, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    if (this.closed || this.lostReason) {
      return Promise.reject(new HostError(this.host, `cannot run ${describeCommand(argv)}: ${this.lostReason ?? "the transport is closed"}`));
    }
    this.stats.execs += 1;
    const started = performance.now();
    const timeoutMs = opts.timeoutMs ?? this.options.commandTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        outcome();
      };
      this.client.exec(commandLine, (err: Error | undefined, channel: ClientChannel) => {
        if (err) {
          settle(() => reject(new HostError(this.host, `cannot start ${describeCommand(argv)}: ${this.lostReason ?? err.message}`, { cause: err })));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let code: number | null | undefined;
        let signal: string | undefined;
        channel.on("data", (chunk: Buffer) => stdout.push(chunk));
        channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        channel.on("exit", (exitCode: number | null, signalName?: string) => {
          code = exitCode;
          if (signalName) signal = signalName;
        });
        channel.on("close", () => {
          if (code === undefined) {
            settle(() => reject(new HostError(this.host, `connection lost while running ${describeCommand(argv)}${this.lostReason ? `: ${this.lostReason}` : ""}`)));
            return;
          }
          const result: ExecResult = {
            code,
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8"),
            durationMs: performance.now() - started,
          };
          if (signal) result.signal = signal;
          settle(() => resolve(result));
        });
        if (timeoutMs !== undefined && timeoutMs > 0) {
          timer = setTimeout(() => {
            settle(() => reject(new HostError(this.host, `command timed out after ${seconds(timeoutMs)}: ${describeCommand(argv)}`)));
            try {
              channel.signal("KILL");
            } catch {
              // the channel may already be gone; closing it below is enough
            }
            channel.close();
          }, timeoutMs);
        }
        // A broken stdin pipe shows up as a lost connection on `close`; nothing else to do here.
        channel.on("error", () => undefined);
        channel.end(opts.stdin ?? undefined);
      });
    });
  }

  stream(argv: readonly string[], opts: StreamOptions): Promise<ExecStream> {
    if (this.closed || this.lostReason) {
      return Promise.reject(new HostError(this.host, `cannot run ${describeCommand(argv)}: ${this.lostReason ?? "the transport is closed"}`));
    }
    const become = (opts.become ?? this.options.become) && this.options.user !== "root";
    const commandLine = quoteArgv(become ? wrapWithSudo(argv) : [...argv]);
    this.stats.execs += 1;
    // Not under the channel limiter: a stream lives as long as the user watches, and must not starve execs.
    return new Promise<ExecStream>((resolve, reject) => {
      const pty = opts.pty ? { rows: opts.pty.rows, cols: opts.pty.cols, term: opts.pty.term ?? "xterm-256color" } : undefined;
      const started = (err: Error | undefined, channel: ClientChannel): void => {
        if (err) {
          reject(new HostError(this.host, `cannot start ${describeCommand(argv)}: ${this.lostReason ?? err.message}`, { cause: err }));
          return;
        }
        let code: number | null | undefined;
        let signal: string | undefined;
        channel.on("data", (chunk: Buffer) => opts.onStdout(chunk));
        channel.stderr.on("data", (chunk: Buffer) => opts.onStderr?.(chunk));
        channel.on("exit", (exitCode: number | null, signalName?: string) => {
          code = exitCode;
          if (signalName) signal = signalName;
        });
        channel.on("error", () => undefined);
        let stopped = false;
        let settle: ((r: { code: number | null; signal?: string }) => void) | undefined;
        const done = new Promise<{ code: number | null; signal?: string }>((res, rej) => {
          settle = res;
          channel.on("close", () => {
            if (code !== undefined) res(signal ? { code, signal } : { code });
            else if (stopped) res({ code: null, signal: "HUP" });
            else rej(new HostError(this.host, `connection lost while running ${describeCommand(argv)}${this.lostReason ? `: ${this.lostReason}` : ""}`));
          });
        });
        resolve({
          done,
          write: (data) => void channel.write(data),
          end: () => void channel.end(),
          resize: (rows, cols) => {
            if (pty) channel.setWindow(rows, cols, 0, 0);
          },
          stop: () => {
            stopped = true;
            // sshd answers a close only once the command has exited, and a quiet command (docker logs -f with
            // nothing to print) may not notice for a long time: the stream ends here, whatever the host does.
            settle?.({ code: null, signal: "HUP" });
            try {
              channel.signal("TERM");
            } catch {
              // gone already
            }
            channel.close();
          },
        });
      };
      if (pty) this.client.exec(commandLine, { pty }, started);
      else this.client.exec(commandLine, started);
    });
  }

  putFile(path: string, content: Buffer | string, opts: PutFileOptions): Promise<void> {
    const asRoot = this.options.user === "root" || (opts.become ?? this.options.become);
    return writeFileAtomically((argv, o) => this.exec(argv, o), this.host, path, content, opts, asRoot);
  }

  putFiles(files: FileToPut[], opts: { then?: readonly string[] } = {}): Promise<ExecResult | undefined> {
    const become = files[0]?.opts.become;
    const asRoot = this.options.user === "root" || (become ?? this.options.become);
    return writeFilesAtomically((argv, o) => this.exec(argv, o), this.host, files, asRoot, opts.then);
  }


  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      if (this.lostReason) return resolve();
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 2000);
      this.client.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
    await this.options.onClose?.();
  }

  /** Drops the connection at once, as a network failure would (for tests and emergency stops). */
  destroy(): void {
    this.client.destroy();
  }
}
