// The floor again, with the SSH library lading uses (ssh2) instead of 20 OpenSSH clients: one connection and
// one command per host, all hosts at once, in one Node.js process. Run as its own process (under /usr/bin/time
// by the bench) so that its CPU and memory count like lading's.
// Usage: node dist/bench/fleet/floor-ssh2.js <key> <known_hosts> <command> <address>...
// Prints one JSON line: { ok: number of complete answers, outputs: { address: text } }.
import { readFileSync } from "node:fs";
import ssh2 from "ssh2";

const [key, knownHosts, command, ...addresses] = process.argv.slice(2);
if (!key || !knownHosts || !command || addresses.length === 0) throw new Error("usage: floor-ssh2 <key> <known_hosts> <command> <address>...");
const privateKey = readFileSync(key);
// known_hosts lines of the lab: "<address> <type> <base64 key>"; the host key must match, as OpenSSH checks it.
const hostKeys = new Map<string, Buffer>();
for (const line of readFileSync(knownHosts, "utf8").split("\n")) {
  const [host, , blob] = line.trim().split(/\s+/);
  if (host && blob) hostKeys.set(host, Buffer.from(blob, "base64"));
}

function run(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("ready", () => {
      client.exec(command!, (err, channel) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        channel.on("data", (d: Buffer) => chunks.push(d));
        channel.stderr.on("data", (d: Buffer) => chunks.push(d));
        channel.on("close", () => {
          client.end();
          resolve(Buffer.concat(chunks).toString("utf8"));
        });
      });
    });
    client.on("error", reject);
    client.connect({
      host: address,
      port: 22,
      username: "root",
      privateKey,
      hostVerifier: (presented: Buffer) => hostKeys.get(address)?.equals(presented) ?? false,
    });
  });
}

const outputs = await Promise.all(addresses.map((a) => run(a)));
process.stdout.write(`${JSON.stringify({ outputs: Object.fromEntries(addresses.map((a, i) => [a, outputs[i]])) })}\n`);
