// The driver of the service that provides loadbalancer: HAProxy on the VIP. Its gate waits for the backends
// that were up before a restart or reload to be up again; while a load-balanced service restarts, its hosts
// leave the rotation of the HAProxies that run (lb-drain.ts), so a run that changes HAProxy too
// changes it first.
import type { Gate } from "../../generated/role.js";
import { containerOf, type GateProbe, type ServiceDriver } from "../driver.js";
import { haproxyBackendsUp, haproxyStat } from "./admin.js";

export const haproxyProbe: GateProbe<Extract<Gate, { kind: "haproxy" }>> = {
  kind: "haproxy",
  async check(g, ctx) {
    const stat = await haproxyStat(ctx.transport, containerOf(g, ctx.service), g.socket);
    if (!stat) return { ok: false, detail: "no answer on the admin socket" };
    const up = new Set(stat.filter((r) => r.server === "BACKEND" && r.status === "UP").map((r) => r.proxy));
    // A backend the new config no longer has (TLS turned off drops its protocol-detection backends) is not
    // waited for: only those that exist again and are not up.
    const present = new Set(stat.map((r) => r.proxy));
    const missing = (ctx.backendsUpBefore ?? []).filter((b) => present.has(b) && !up.has(b));
    return { ok: missing.length === 0, detail: missing.length ? `backends down: ${missing.join(", ")}` : `${up.size} backends up` };
  },
  // A reload keeps no server state: the gate expects the backends that are up now.
  baseline: (t, container, g) => haproxyBackendsUp(t, container, g.socket),
};

export const haproxyDriver: ServiceDriver = {
  name: "haproxy",
  provides: "loadbalancer",
  probes: [haproxyProbe],
};
