// The bound on SSH handshakes under way and the retry of handshakes reset before the key exchange, against a
// real ssh2.Server on 127.0.0.1 (and a TCP front that resets the first connections, as sshd's MaxStartups does).
import assert from "node:assert/strict";
import { once } from "node:events";
import { rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, createServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { HostError } from "../../../src/errors.js";
import { connect } from "../../../src/transport/connect.js";
import { ConnectionPool } from "../../../src/transport/connection-pool.js";
import { HandshakeFailure, HandshakeLimiter } from "../../../src/transport/handshake-limiter.js";
import type { ConnectOptions, SshTarget } from "../../../src/transport/transport.js";
import { generateKeyPair, makeClientFiles, startTestServer, type TestServer } from "./ssh-test-server.js";

const NO_SSH_CONFIG = "/nonexistent/lading-test-ssh-config";

/** A TCP front for `server`: resets the first `resets` connections (RST, no SSH banner), forwards the rest. */
async function startResettingFront(server: { port: number }, resets: number): Promise<{ port: number; accepted: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { accepted: 0 };
  const front: NetServer = createServer((socket) => {
    state.accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    if (state.accepted <= resets) {
      socket.resetAndDestroy();
      return;
    }
    const upstream = netConnect(server.port, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  front.listen(0, "127.0.0.1");
  await once(front, "listening");
  const port = (front.address() as AddressInfo).port;
  return Object.assign(state, {
    port,
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  });
}

describe("SSH handshakes: bounded, and retried when reset before the key exchange", function () {
  this.timeout(60_000);
  const files = makeClientFiles();
  let server: TestServer;
  const savedAgent = process.env["SSH_AUTH_SOCK"];
  const opts: ConnectOptions = { knownHostsFile: files.knownHostsFile, sshConfigFile: NO_SSH_CONFIG };
  const targetAt = (name: string, port: number, key = files.keyFile): SshTarget => ({ name, address: "127.0.0.1", port, user: "root", key, connection: "ssh", become: false });
  const knownAt = (port: number): string => {
    const [type, base64] = server.hostKey.public.split(" ");
    return `[127.0.0.1]:${port} ${type} ${base64}\n`;
  };

  before(async () => {
    delete process.env["SSH_AUTH_SOCK"];
    server = await startTestServer({ clientPublicKey: files.key.public });
  });

  after(async () => {
    await server?.close();
    rmSync(files.dir, { recursive: true, force: true });
    if (savedAgent !== undefined) process.env["SSH_AUTH_SOCK"] = savedAgent;
  });

  it("keeps at most maxHandshakes connections unauthenticated at once, whatever --forks is", async () => {
    writeFileSync(files.knownHostsFile, knownAt(server.port));
    server.peakUnauthenticated = 0;
    const before = server.connections;
    const targets = Array.from({ length: 24 }, (_, i) => targetAt(`host${i}`, server.port));
    const pool = new ConnectionPool({ ...opts, maxHandshakes: 3 }, 24);
    try {
      const { transports, failures } = await pool.openAll(targets);
      assert.deepEqual(failures, []);
      assert.equal(transports.size, 24);
      assert.equal(server.connections - before, 24);
      assert.ok(server.peakUnauthenticated <= 3, `the server saw ${server.peakUnauthenticated} unauthenticated connections at once`);
      assert.ok(server.peakUnauthenticated >= 2, "the handshakes ran in parallel up to the bound");
      assert.ok(pool.handshakes.stats.peak <= 3);
      // Connected hosts keep their connections: the bound is on handshakes, not on open connections.
      const answers = await Promise.all([...transports.values()].map((t) => t.exec(["echo", "ok"])));
      assert.ok(answers.every((a) => a.stdout === "ok\n"));
    } finally {
      await pool.closeAll();
    }
  });

  it("retries a handshake the server reset before the key exchange, with growing delays", async () => {
    const front = await startResettingFront(server, 2);
    try {
      writeFileSync(files.knownHostsFile, knownAt(front.port));
      const before = server.connections;
      const limiter = new HandshakeLimiter({ retryDelayMs: 20 });
      const t0 = Date.now();
      const transport = await connect(targetAt("flaky", front.port), opts, undefined, limiter);
      try {
        assert.equal((await transport.exec(["echo", "hi"])).stdout, "hi\n");
      } finally {
        await transport.close();
      }
      assert.equal(front.accepted, 3, "two resets, then the connection that worked");
      assert.equal(server.connections - before, 1);
      assert.equal(limiter.stats.retried, 2);
      assert.ok(Date.now() - t0 >= 20 + 40, "waited 20 ms, then 40 ms, before the retries");
    } finally {
      await front.close();
    }
  });

  it("gives up after its attempts with a message naming the host, the address and the reset", async () => {
    const front = await startResettingFront(server, 1000);
    try {
      writeFileSync(files.knownHostsFile, knownAt(front.port));
      const limiter = new HandshakeLimiter({ attempts: 3, retryDelayMs: 5 });
      await assert.rejects(connect(targetAt("dropped", front.port), opts, undefined, limiter), (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.equal(err.host, "dropped");
        assert.match(err.message, new RegExp(`^dropped: cannot connect to 127\\.0\\.0\\.1:${front.port}: `));
        assert.match(err.message, /reset by the server before the SSH handshake finished|closed the connection before the SSH handshake/);
        assert.match(err.message, /3 attempts/);
        assert.match(err.message, /MaxStartups/);
        return true;
      });
      assert.equal(front.accepted, 3);
    } finally {
      await front.close();
    }
  });

  it("never retries once the key exchange is done: a refused key is one connection", async () => {
    writeFileSync(files.knownHostsFile, knownAt(server.port));
    const stranger = generateKeyPair();
    const strangerKey = `${files.dir}/id_stranger`;
    writeFileSync(strangerKey, stranger.private, { mode: 0o600 });
    const before = server.connections;
    const limiter = new HandshakeLimiter({ retryDelayMs: 5 });
    await assert.rejects(connect(targetAt("wrong-key", server.port, strangerKey), opts, undefined, limiter), /wrong-key: cannot connect to .*authentication failed/);
    assert.equal(server.connections - before, 1);
    assert.equal(limiter.stats.retried, 0);
  });

  it("never retries an unknown host key", async () => {
    writeFileSync(files.knownHostsFile, "");
    const before = server.connections;
    const limiter = new HandshakeLimiter({ retryDelayMs: 5 });
    await assert.rejects(connect(targetAt("unknown-key", server.port), opts, undefined, limiter), /host key of .* is not known/);
    assert.equal(server.connections - before, 1);
    assert.equal(limiter.stats.retried, 0);
  });

  it("holds a slot only while an attempt runs, and frees it when the attempt fails", async () => {
    const limiter = new HandshakeLimiter({ maxHandshakes: 2, attempts: 2, retryDelayMs: 1 });
    let running = 0;
    let peak = 0;
    // Every even task fails its first attempt (reset before the key exchange) and succeeds on the second.
    const task = (i: number): Promise<number> => {
      let tries = 0;
      return limiter.run(async () => {
        tries += 1;
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        if (i % 2 === 0 && tries === 1) throw new HandshakeFailure({ beforeKeyExchange: true, error: new Error("reset") });
        return i;
      });
    };
    assert.deepEqual(await Promise.all(Array.from({ length: 12 }, (_, i) => task(i))), Array.from({ length: 12 }, (_, i) => i));
    assert.equal(peak, 2);
    assert.equal(limiter.stats.retried, 6);
    const failing = new HandshakeLimiter({ attempts: 2, retryDelayMs: 1 });
    let tries = 0;
    await assert.rejects(failing.run(async () => {
      tries += 1;
      throw new HandshakeFailure({ beforeKeyExchange: false, error: new Error("auth") });
    }));
    assert.equal(tries, 1, "a failure after the key exchange is not retried");
  });
});
