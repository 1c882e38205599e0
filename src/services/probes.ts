// The gate probes of no particular service: a container's own healthcheck, a TCP port, an HTTP path, a command
// in the container. The probes that ask a cluster (galera, rabbitmq, haproxy) are their drivers'.
import * as docker from "../docker/commands.js";
import { inspectContainersArgv } from "../docker/engine-api.js";
import { parseInspectedContainers, type ContainerFact } from "../facts/parse.js";
import type { Gate } from "../generated/role.js";
import { hostScript } from "../host-scripts/index.js";
import { containerOf, type GateProbe } from "./driver.js";

type GateOf<K extends Gate["kind"]> = Extract<Gate, { kind: K }>;

export const healthcheckProbe: GateProbe<GateOf<"healthcheck">> = {
  kind: "healthcheck",
  async check(g, ctx) {
    // Every container in one exec, asked of the engine's API (no docker CLI start on a host busy restarting).
    const names = g.container ? [g.container] : ctx.service.containers.map((c) => c.name);
    const r = await ctx.transport.exec(inspectContainersArgv(names), { become: true });
    let found: Map<string, ContainerFact>;
    try {
      found = parseInspectedContainers(r.stdout);
    } catch {
      return { ok: false, detail: `unreadable inspect output (exit ${r.code})` };
    }
    for (const name of names) {
      const c = found.get(name);
      if (!c || c.status !== "running") return { ok: false, detail: `${name} is ${c?.status ?? "missing"}` };
      if (c.health !== undefined && c.health !== "none" && c.health !== "healthy") return { ok: false, detail: `${name} is ${c.health}` };
    }
    return { ok: true, detail: "healthy" };
  },
};

export const tcpProbe: GateProbe<GateOf<"tcp">> = {
  kind: "tcp",
  describe: (g) => `tcp port ${g.port}`,
  async check(g, ctx) {
    const r = await ctx.transport.exec(["timeout", "3", "bash", "-c", hostScript("tcp-probe.bash"), "lading-tcp-probe", ctx.address, String(g.port)]);
    return { ok: r.code === 0, detail: r.code === 0 ? `port ${g.port} open` : `port ${g.port} closed` };
  },
};

export const httpProbe: GateProbe<GateOf<"http">> = {
  kind: "http",
  describe: (g) => `${g.tls ? "https" : "http"} ${g.path} on port ${g.port}`,
  async check(g, ctx) {
    // Plain HTTP is probed from the host itself with bash's /dev/tcp, so hosts need no HTTP client installed;
    // HTTPS (tls_internal) by curl in the service's container, verifying the certificate against the CA.
    const host = ctx.address.includes(":") ? `[${ctx.address}]` : ctx.address;
    const r = g.tls
      ? await ctx.transport.exec(docker.exec(containerOf(g, ctx.service), ["curl", "-sS", "-o", "/dev/null", "--max-time", "3", "-w", "HTTP/1.1 %{http_code}\n", "--cacert", g.tls.caFile, `https://${host}:${g.port}${g.path}`]), { become: true })
      : await ctx.transport.exec(["timeout", "3", "bash", "-c", hostScript("http-probe.bash"), "lading-http-probe", ctx.address, String(g.port), g.path]);
    const code = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(r.stdout)?.[1] ?? 0);
    const want = g.status ?? 200;
    return { ok: code === want, detail: `GET ${g.path}: ${code || "no answer"}` };
  },
};

export const commandProbe: GateProbe<GateOf<"command">> = {
  kind: "command",
  describe: (g) => `command ${g.command.join(" ")}`,
  async check(g, ctx) {
    const r = await ctx.transport.exec(docker.exec(containerOf(g, ctx.service), g.command), { become: true });
    return { ok: r.code === 0, detail: r.code === 0 ? "ok" : (r.stdout + r.stderr).trim().split("\n").slice(-1)[0] ?? `exit ${r.code}` };
  },
};
