// A rolling reconfigure as lading emits it (the shape of a real run's --json events): memcached's config changed on
// every host, one host at a time behind its gate, then HAProxy reloaded. The unit and browser tests replay it
// through a run of the server, so that the timeline is drawn from the events a real run streams.
import type { RunEvent } from "../../../src/apply/events.js";
import type { RunContext } from "../../../src/run/run.js";

export const HOSTS = ["lab1", "lab2", "lab3"];

export function rollingReconfigure(opts: { failOn?: string } = {}): RunEvent[] {
  const out: RunEvent[] = [{ type: "plan", changes: 9 }];
  HOSTS.forEach((host, i) => {
    out.push({ type: "batch", service: "memcached", index: i + 1, total: HOSTS.length, hosts: [host] });
    out.push({ type: "step", host, service: "memcached", kind: "write", target: "/etc/lading/memcached/memcached.conf", reason: "memcached.conf: content differs", status: "start" });
    out.push({ type: "step", host, service: "memcached", kind: "write", target: "/etc/lading/memcached/memcached.conf", reason: "memcached.conf: content differs", status: "ok", ms: 40 });
    out.push({ type: "step", host, service: "memcached", kind: "restart", target: "memcached", reason: "memcached: config changed (memcached.conf)", status: "start" });
    const failed = opts.failOn === host;
    out.push({ type: "step", host, service: "memcached", kind: "restart", target: "memcached", reason: "memcached: config changed (memcached.conf)", status: "ok", ms: 300 });
    out.push({ type: "gate", host, service: "memcached", gate: "container", status: "waiting", elapsedMs: 500, detail: "starting" });
    out.push({ type: "gate", host, service: "memcached", gate: "container", status: failed ? "failed" : "passed", elapsedMs: 1500, detail: failed ? "unhealthy" : "healthy" });
    if (failed) out.push({ type: "halt", service: "memcached", host, reason: "gate container failed", untouched: HOSTS.slice(i + 1) });
  });
  out.push({ type: "batch", service: "haproxy", index: 1, total: 1, hosts: HOSTS });
  for (const host of HOSTS) {
    out.push({ type: "step", host, service: "haproxy", kind: "reload", target: "haproxy", reason: "haproxy: configuration reloaded", status: "start" });
    out.push({ type: "step", host, service: "haproxy", kind: "reload", target: "haproxy", reason: "haproxy: configuration reloaded", status: "ok", ms: 120 });
  }
  out.push({ type: "recap", hosts: HOSTS.map((host) => ({ host, ok: 1, changed: 3, failed: opts.failOn === host ? 1 : 0, unreachable: false, skipped: false })), ms: 9000, ok: !opts.failOn });
  return out;
}

/** A run body that emits `events` through the run's reporter, `stepMs` apart, and ends as the recap says. */
export function replay(events: RunEvent[], stepMs: number, gate?: Promise<void>): (ctx: RunContext) => Promise<number> {
  return async (ctx) => {
    if (gate) await gate;
    for (const e of events) {
      ctx.reporter.emit(e);
      if (stepMs) await new Promise((r) => setTimeout(r, stepMs));
    }
    const recap = events.find((e) => e.type === "recap");
    return recap && recap.type === "recap" && recap.ok ? 0 : 1;
  };
}
