// A rolling reconfigure as lading emits it (the shape of a real run's --json events): webapp.ini and memcached's
// parameters changed on every host, each service one host at a time behind its gate, then HAProxy reloaded on every
// host at once. The unit and browser tests replay it through a run of the server (the timeline drawn from the
// events a run streams), and a recorded copy with the times of a real run gives the README's picture.
import type { RunEvent } from "../../../src/apply/events.js";
import type { RunContext } from "../../../src/run/run.js";
import type { RunRecord, TimedEvent } from "../../../src/serve/runs.js";

export const HOSTS = ["lab1", "lab2", "lab3"];

/** An event and how long after the one before it a real run emitted it (ms). */
export type Paced = { e: RunEvent; after: number };

/** memcached (recreated: its parameters are its command line), then webapp (restarted: its file changed). */
export function pacedReconfigure(opts: { failOn?: string } = {}): Paced[] {
  const out: Paced[] = [{ e: { type: "plan", changes: 15 }, after: 900 }];
  const rolling = (service: string, kind: "recreate" | "restart", file: string | undefined, gate: string, gateMs: number): boolean => {
    for (const [i, host] of HOSTS.entries()) {
      out.push({ e: { type: "batch", service, index: i + 1, total: HOSTS.length, hosts: [host] }, after: 150 });
      if (file) {
        out.push({ e: { type: "step", host, service, kind: "write", target: `/etc/lading/${service}/${file}`, reason: `${file}: content differs`, status: "start" }, after: 20 });
        out.push({ e: { type: "step", host, service, kind: "write", target: `/etc/lading/${service}/${file}`, reason: `${file}: content differs`, status: "ok", ms: 180 }, after: 180 });
      }
      const reason = kind === "recreate" ? `${service}: parameters differ (command)` : `${service}: config changed (${file})`;
      out.push({ e: { type: "step", host, service, kind, target: service, reason, status: "start" }, after: 30 });
      out.push({ e: { type: "step", host, service, kind, target: service, reason, status: "ok", ms: 1400 }, after: 1400 });
      const failed = opts.failOn === host && service === "memcached";
      for (let w = 1000; w < gateMs; w += 1000) out.push({ e: { type: "gate", host, service, gate, status: "waiting", elapsedMs: w, detail: "starting" }, after: 1000 });
      out.push({ e: { type: "gate", host, service, gate, status: failed ? "failed" : "passed", elapsedMs: gateMs, detail: failed ? "unhealthy: memcached: connection refused" : "healthy" }, after: gateMs % 1000 || 1000 });
      if (failed) {
        out.push({ e: { type: "halt", service, host, reason: `gate ${gate} failed`, untouched: HOSTS.slice(i + 1) }, after: 10 });
        return false;
      }
    }
    return true;
  };
  const ok = rolling("memcached", "recreate", undefined, "container", 3200) && rolling("webapp", "restart", "webapp.ini", "http", 2400);
  if (ok) {
    out.push({ e: { type: "batch", service: "haproxy", index: 1, total: 1, hosts: HOSTS }, after: 100 });
    for (const host of HOSTS) out.push({ e: { type: "step", host, service: "haproxy", kind: "reload", target: "haproxy", reason: "haproxy: configuration changed, seamless reload (haproxy.cfg)", status: "start" }, after: 10 });
    for (const host of HOSTS) out.push({ e: { type: "step", host, service: "haproxy", kind: "reload", target: "haproxy", reason: "haproxy: configuration changed, seamless reload (haproxy.cfg)", status: "ok", ms: 600 }, after: 200 });
  }
  out.push({ e: { type: "recap", hosts: HOSTS.map((host) => ({ host, ok: 1, changed: 4, failed: opts.failOn === host ? 1 : 0, unreachable: false, skipped: !ok && HOSTS.indexOf(host) > HOSTS.indexOf(opts.failOn ?? "") })), ms: 40_000, ok }, after: 300 });
  return out;
}

export function rollingReconfigure(opts: { failOn?: string } = {}): RunEvent[] {
  return pacedReconfigure(opts).map((p) => p.e);
}

/**
 * A run body that emits the events through the run's reporter, `scale` times as fast as the real run did, with
 * the durations they carry (gate waits, step times) measured as they replay, and ends as the recap says.
 */
export function replay(events: Paced[], scale: number, gate?: Promise<void>): (ctx: RunContext) => Promise<number> {
  return async (ctx) => {
    if (gate) await gate;
    const began = new Map<string, number>();
    for (const { e, after } of events) {
      if (after * scale >= 1) await new Promise((r) => setTimeout(r, after * scale));
      const now = Date.now();
      let out: RunEvent = e;
      if (e.type === "gate") {
        const key = `gate ${e.host} ${e.service} ${e.gate}`;
        if (!began.has(key)) began.set(key, now);
        out = { ...e, elapsedMs: now - began.get(key)! };
      } else if (e.type === "step") {
        const key = `step ${e.host} ${e.service} ${e.kind}`;
        if (e.status === "start") began.set(key, now);
        else out = { ...e, ms: now - (began.get(key) ?? now) };
      }
      ctx.reporter.emit(out);
    }
    const recap = events.find((p) => p.e.type === "recap")?.e;
    return recap && recap.type === "recap" && recap.ok ? 0 : 1;
  };
}

/** The run as a real one would have left it in the server: its events with the times they came at. */
export function recordedRun(id: string, start: Date): RunRecord {
  let t = start.getTime();
  const events: TimedEvent[] = [{ type: "run-start", command: "reconfigure", hosts: HOSTS, time: new Date(t).toISOString() }];
  for (const { e, after } of pacedReconfigure()) {
    t += after;
    events.push({ ...e, time: new Date(t).toISOString() } as TimedEvent);
  }
  return { id, command: "reconfigure", request: { command: "reconfigure", confirm: true }, status: "succeeded", outcome: 0, started: start.toISOString(), ended: new Date(t).toISOString(), events };
}
