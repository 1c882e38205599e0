// A guard that records every attempt to open a connection or start a process while it is installed:
// TCP/TLS sockets (ssh2 and every client use net.Socket), UDP, DNS look-ups and child processes (ssh, docker).
// Tests of commands that must touch no host run inside it and assert that nothing was attempted.
import childProcess from "node:child_process";
import dgram from "node:dgram";
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";

type Patch = { target: Record<string, unknown>; key: string; original: unknown };

/** Runs `fn` with every way out blocked; returns its result and what was attempted (empty when nothing). */
export async function withoutNetwork<T>(fn: () => Promise<T>): Promise<{ result: T; attempts: string[] }> {
  const attempts: string[] = [];
  const patches: Patch[] = [];
  const block = (target: object, key: string, what: string): void => {
    const t = target as Record<string, unknown>;
    patches.push({ target: t, key, original: t[key] });
    t[key] = function blocked(...args: unknown[]): never {
      attempts.push(`${what}(${args.filter((a) => typeof a !== "function").map((a) => JSON.stringify(a)).join(", ")})`);
      throw new Error(`${what} attempted while the network is blocked`);
    };
  };
  block(net.Socket.prototype, "connect", "net.Socket.connect");
  block(dgram.Socket.prototype, "send", "dgram.send");
  block(dgram.Socket.prototype, "connect", "dgram.connect");
  block(dns, "lookup", "dns.lookup");
  block(dns, "resolve", "dns.resolve");
  block(dns.promises, "lookup", "dns.promises.lookup");
  for (const fnName of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
    block(childProcess, fnName, `child_process.${fnName}`);
  }
  syncBuiltinESMExports();
  try {
    const result = await fn();
    return { result, attempts };
  } finally {
    for (const p of patches.reverse()) p.target[p.key] = p.original;
    syncBuiltinESMExports();
  }
}
