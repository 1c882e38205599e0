// A real ssh2.Server on 127.0.0.1 for the transport tests. Its exec handler runs the received command
// line with the real /bin/sh -c, so quoting is really exercised. Like sshd, a dropped channel closes the
// command's stdin but does not kill it. It can also act as a bastion (direct-tcpip to 127.0.0.1 only).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect as netConnect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2, { type ParsedKey } from "ssh2";

const { Server, utils } = ssh2;

export interface KeyPair {
  private: string;
  public: string;
}

/**
 * An Ed25519 key pair from ssh2's generator. About 1 key in 170 comes out malformed (ssh2 1.17 drops a
 * leading zero byte of the public key, giving a 31-byte key), so such keys are drawn again.
 */
export function generateKeyPair(): KeyPair {
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519");
    if (!(utils.parseKey(pair.public) instanceof Error)) return { private: pair.private, public: pair.public };
  }
}

/** The SSH wire blob of an OpenSSH public key line. */
export function publicKeyBlob(publicKey: string): Buffer {
  const parsed = utils.parseKey(publicKey) as ParsedKey;
  return parsed.getPublicSSH();
}

export interface TestServer {
  port: number;
  hostKey: KeyPair;
  /** Every command line received, in order. */
  commands: string[];
  /** User names that authenticated. */
  users: string[];
  /** TCP connections accepted (SSH handshakes started). */
  connections: number;
  /** Connections not yet authenticated now, and the most there were at once (what sshd's MaxStartups counts). */
  unauthenticated: number;
  peakUnauthenticated: number;
  /** direct-tcpip channels opened through this server acting as a bastion. */
  forwards: number;
  /** Commands still running. */
  running: number;
  /** PTY requests (size, then every window change), in order. */
  ptys: { rows: number; cols: number; term?: string }[];
  /** Extra environment of the commands run (e.g. PATH with a fake sudo). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startTestServer(options: { clientPublicKey: string; hostKey?: KeyPair }): Promise<TestServer> {
  const hostKey = options.hostKey ?? generateKeyPair();
  const allowed = utils.parseKey(options.clientPublicKey) as ParsedKey;
  const state = { commands: [] as string[], users: [] as string[], connections: 0, unauthenticated: 0, peakUnauthenticated: 0, forwards: 0, running: 0, ptys: [] as { rows: number; cols: number; term?: string }[], env: {} as NodeJS.ProcessEnv };
  const clients = new Set<{ end(): void }>();

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    state.connections += 1;
    state.unauthenticated += 1;
    state.peakUnauthenticated = Math.max(state.peakUnauthenticated, state.unauthenticated);
    let authenticated = false;
    clients.add(client);
    client.on("close", () => {
      clients.delete(client);
      if (!authenticated) state.unauthenticated -= 1;
    });
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (ctx.method !== "publickey" || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) {
        ctx.reject(["publickey"]);
        return;
      }
      if (ctx.signature && ctx.blob) {
        if (!allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
          ctx.reject(["publickey"]);
          return;
        }
        state.users.push(ctx.username);
      }
      ctx.accept();
    });
    client.on("ready", () => {
      authenticated = true;
      state.unauthenticated -= 1;
      // Without it every small reply waits on delayed ACKs, and the tests would time Nagle, not the transport.
      (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        // A PTY is only recorded (the command still runs on pipes): enough to check what the client asked for.
        session.on("pty", (acceptPty, _rejectPty, info) => {
          state.ptys.push({ rows: info.rows, cols: info.cols, term: info.term });
          acceptPty?.();
        });
        session.on("window-change", (acceptChange, _rejectChange, info) => {
          state.ptys.push({ rows: info.rows, cols: info.cols });
          acceptChange?.();
        });
        session.on("exec", (acceptExec, _reject, info) => {
          const channel = acceptExec();
          state.commands.push(info.command);
          state.running += 1;
          const child = spawn("/bin/sh", ["-c", info.command], { env: { ...process.env, ...state.env }, detached: true });
          channel.on("error", () => undefined);
          child.stdin.on("error", () => undefined);
          // pipe() keeps flow control: the client is slowed down instead of the server buffering everything.
          channel.pipe(child.stdin);
          // Like sshd: a lost channel closes the command's pipes; the command itself goes on.
          channel.on("close", () => child.stdin.end());
          child.stdout.on("data", (chunk: Buffer) => channel.write(chunk));
          child.stderr.on("data", (chunk: Buffer) => channel.stderr.write(chunk));
          session.on("signal", (_accept, _rejectSignal, signalInfo) => {
            try {
              if (child.pid !== undefined) process.kill(-child.pid, `SIG${signalInfo.name}` as NodeJS.Signals);
            } catch {
              // already gone
            }
          });
          child.on("close", (code, signal) => {
            state.running -= 1;
            try {
              if (signal) channel.exit(signal.replace(/^SIG/, ""), false, "");
              else channel.exit(code ?? 0);
              channel.end();
            } catch {
              // the client is gone
            }
          });
        });
      });
      client.on("tcpip", (accept, reject, info) => {
        if (info.destIP !== "127.0.0.1") {
          reject();
          return;
        }
        const socket = netConnect(info.destPort, info.destIP);
        socket.on("error", () => reject());
        socket.on("connect", () => {
          state.forwards += 1;
          const channel = accept();
          channel.on("error", () => undefined);
          channel.pipe(socket).pipe(channel);
        });
      });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    port,
    hostKey,
    async close(): Promise<void> {
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A scratch directory holding a client key pair and an empty known_hosts. */
export function makeClientFiles(): { dir: string; keyFile: string; key: KeyPair; knownHostsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "lading-transport-"));
  const key = generateKeyPair();
  const keyFile = join(dir, "id_test");
  writeFileSync(keyFile, key.private, { mode: 0o600 });
  writeFileSync(`${keyFile}.pub`, key.public);
  const knownHostsFile = join(dir, "known_hosts");
  return { dir, keyFile, key, knownHostsFile };
}

/** A known_hosts line for the server, in OpenSSH's `[127.0.0.1]:PORT type base64` form. */
export function knownHostsLine(server: { port: number; hostKey: KeyPair }): string {
  const [type, base64] = server.hostKey.public.split(" ");
  return `[127.0.0.1]:${server.port} ${type} ${base64}\n`;
}
