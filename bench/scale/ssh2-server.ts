// An SSH server for the scale benchmark's largest fleets: ssh2's Server in one Node.js process, speaking real
// SSH on loopback (key exchange, host key, public-key authentication, one channel per command) and running each
// command with the real /bin/sh -c, as sshd would. OpenSSH's sshd costs about 4 MB per open connection (a
// privileged monitor and a session process each); lading holds one connection per host for a whole run, so
// 5000 hosts would need some 20 GB. This server holds them in a few hundred MB.
// Usage (started by bench/scale.ts inside its mount namespace): node ssh2-server.js <host key> <client .pub> <port>
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import ssh2, { type ParsedKey } from "ssh2";

const [hostKeyFile, clientPub, port] = process.argv.slice(2);
if (!hostKeyFile || !clientPub || !port) throw new Error("usage: ssh2-server <host key> <client .pub> <port>");
const allowed = ssh2.utils.parseKey(readFileSync(clientPub, "utf8")) as ParsedKey;

const server = new ssh2.Server({ hostKeys: [readFileSync(hostKeyFile)] }, (client, info) => {
  client.on("error", () => undefined);
  // Loopback clients only (the server listens on every address so that each 127.x is a distinct host).
  if (!info.ip.startsWith("127.")) {
    client.end();
    return;
  }
  client.on("authentication", (ctx) => {
    if (ctx.method !== "publickey" || ctx.username !== "root" || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) return ctx.reject(["publickey"]);
    if (ctx.signature && ctx.blob && !allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(["publickey"]);
    ctx.accept();
  });
  client.on("ready", () => {
    (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    client.on("session", (acceptSession) => {
      const session = acceptSession();
      session.on("exec", (acceptExec, _reject, { command }) => {
        const channel = acceptExec();
        const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
        channel.on("error", () => undefined);
        child.stdin.on("error", () => undefined);
        channel.pipe(child.stdin);
        child.stdout.pipe(channel, { end: false });
        child.stderr.on("data", (chunk: Buffer) => channel.stderr.write(chunk));
        child.on("close", (code, signal) => {
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
  });
});
server.listen(Number(port), "0.0.0.0", () => process.stderr.write(`listening on ${port}\n`));
