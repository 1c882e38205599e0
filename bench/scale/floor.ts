// The floor of the scale benchmark: one Node.js process with ssh2 that connects to every host with lading's
// concurrency (at most `forks` hosts at once, at most `handshakes` handshakes under way), runs `true` once,
// keeps every connection open until all hosts answered (as lading does), then closes them.
// Usage: node dist/bench/scale/floor.js <key> <known_hosts> <port> <forks> <handshakes> <address>...
// Prints one JSON line: { ok, failed, firstError, handshakeMs }.
import { readFileSync } from "node:fs";
import pLimit from "p-limit";
import ssh2 from "ssh2";

const [key, knownHosts, port, forks, handshakes, ...addresses] = process.argv.slice(2);
if (!key || !knownHosts || !port || !forks || !handshakes || addresses.length === 0) throw new Error("usage: floor <key> <known_hosts> <port> <forks> <handshakes> <address>...");
const privateKey = readFileSync(key);
const hostKeys = new Map<string, Buffer>();
for (const line of readFileSync(knownHosts, "utf8").split("\n")) {
  const [host, , blob] = line.trim().split(/\s+/);
  if (host && blob) hostKeys.set(host, Buffer.from(blob, "base64"));
}
const hostLimit = pLimit(Number(forks));
const handshakeLimit = pLimit(Number(handshakes));
const clients: ssh2.Client[] = [];
let handshakeMs = 0;

function open(address: string): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("ready", () => resolve(client));
    client.on("error", reject);
    client.connect({
      host: address,
      port: Number(port),
      username: "root",
      privateKey,
      readyTimeout: 10_000,
      hostVerifier: (presented: Buffer) => hostKeys.get(`[${address}]:${port}`)?.equals(presented) ?? false,
    });
  });
}

function runTrue(client: ssh2.Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec("true", (err, channel) => {
      if (err) return reject(err);
      channel.on("close", () => resolve());
      channel.resume();
    });
  });
}

const started = Date.now();
const results = await Promise.allSettled(addresses.map((a) => hostLimit(async () => {
  const client = await handshakeLimit(() => open(a));
  clients.push(client);
  handshakeMs = Date.now() - started;
  await runTrue(client);
})));
for (const c of clients) c.end();
const failed = results.filter((r) => r.status === "rejected");
process.stdout.write(`${JSON.stringify({ ok: results.length - failed.length, failed: failed.length, firstError: failed[0] ? String((failed[0] as PromiseRejectedResult).reason) : undefined, handshakeMs })}\n`);
