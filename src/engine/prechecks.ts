// Prechecks: is each host ready for a deploy? One command per host gathers what they need.
import type { DesiredHost } from "../render/desired.js";
import type { HostFacts } from "../facts/parse.js";
import { hostScript } from "../host-scripts/index.js";
import { parseListeners, wildcardListeners } from "./listeners.js";

export const PRECHECK_SCRIPT = hostScript("prechecks.sh");

export const precheckArgv = (): string[] => ["sh", "-c", PRECHECK_SCRIPT];

export interface PrecheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

export const MIN_ENGINE = [20, 10];
export const MIN_FREE_KB = 2 * 1024 * 1024;
export const MAX_CLOCK_SKEW_S = 5;

function sections(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const l of out.split("\n")) {
    const h = /^@@(\w+)$/.exec(l);
    if (h) m.set(h[1]!, (cur = []));
    else if (cur && l.trim()) cur.push(l.trim());
  }
  return m;
}

export function versionAtLeast(v: string, min: number[]): boolean {
  const parts = v.split(/[.+-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < min.length; i++) {
    const p = parts[i] ?? 0;
    if (p !== min[i]) return p > min[i]!;
  }
  return true;
}

/** Judges one host's precheck output. `controllerTime` is the controller's clock (s) when the answer came. */
export function evaluatePrechecks(output: string, host: DesiredHost, facts: HostFacts | undefined, controllerTime: number, rttS: number): PrecheckResult[] {
  const s = sections(output);
  const out: PrecheckResult[] = [];
  const engine = s.get("engine")?.[0] ?? "NONE";
  out.push(engine === "NONE"
    ? { check: "engine", ok: false, detail: "no container engine answers (run lading bootstrap-servers)" }
    : { check: "engine", ok: versionAtLeast(engine, MIN_ENGINE), detail: `docker ${engine}${versionAtLeast(engine, MIN_ENGINE) ? "" : ` (need ${MIN_ENGINE.join(".")} or newer)`}` });

  const t = Number(s.get("time")?.[0]);
  const skew = Math.abs(t - controllerTime);
  out.push({ check: "clock", ok: Number.isFinite(t) && skew <= MAX_CLOCK_SKEW_S + rttS, detail: Number.isFinite(t) ? `${skew.toFixed(0)}s from the controller` : "no date" });

  const disk = (s.get("disk")?.[0] ?? "").split(/\s+/);
  const free = Number(disk[3]);
  out.push({ check: "disk", ok: free >= MIN_FREE_KB, detail: Number.isFinite(free) ? `${(free / 1024 / 1024).toFixed(1)} GiB free on ${disk[5] ?? "?"}` : "unknown" });

  const addrs = (s.get("addr") ?? []).map((a) => a.split("/")[0]);
  out.push({ check: "address", ok: addrs.includes(host.address), detail: addrs.includes(host.address) ? `${host.address} present` : `${host.address} is not on any interface of the host` });

  const listening = new Set((s.get("listen") ?? []).map((a) => Number(a.slice(a.lastIndexOf(":") + 1))));
  const clashes: string[] = [];
  for (const svc of host.services) {
    for (const c of svc.containers) {
      const ours = facts?.containers.get(c.name)?.running;
      for (const p of c.ports) if (listening.has(p) && !ours) clashes.push(`${p} (${svc.name}/${c.name})`);
    }
  }
  out.push({ check: "ports", ok: clashes.length === 0, detail: clashes.length ? `already in use: ${clashes.join(", ")}` : "free" });

  // A managed service that runs but listens on every address, where its role binds the host's address.
  const wild = wildcardListeners(host, parseListeners((s.get("listen") ?? []).map((a) => `- - - ${a}`).join("\n")));
  out.push({ check: "bind", ok: wild.length === 0, detail: wild.length ? wild.map((w) => w.replace(`${host.name}: `, "")).join("; ") : `declared ports on ${host.address} only` });
  return out;
}
