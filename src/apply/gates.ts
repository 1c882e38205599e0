// Health gates: a restarted host must pass its service's gate before the rollout moves on. How each gate kind
// probes a host is its probe's (src/services: the generic ones, and each service driver's own); here is the
// waiting: deadlines, holding, and giving up early on a container that stopped.
import { inspectContainersArgv } from "../docker/engine-api.js";
import { parseInspectedContainers, type ContainerFact } from "../facts/parse.js";
import type { Gate } from "../generated/role.js";
import type { DesiredService } from "../render/desired.js";
import type { GateContext, GateResult } from "../services/driver.js";
import { gateProbe } from "../services/index.js";
import { parseDuration } from "./duration.js";

export type { GateContext, GateResult } from "../services/driver.js";

/** The default gate: each container's own healthcheck (or just "running" when it declares none). */
export function gateOf(service: DesiredService): Gate {
  return service.rollout.gate ?? { kind: "healthcheck" };
}

export function describeGate(g: Gate): string {
  return gateProbe(g.kind).describe?.(g) ?? g.kind;
}

/** One check of a gate: true when the host is healthy now. The probe of its kind does it (src/services). */
export async function checkGate(g: Gate, ctx: GateContext): Promise<GateResult> {
  return gateProbe(g.kind).check(g, ctx);
}

export interface WaitOptions {
  deadlineMs: number;
  intervalMs?: number;
  /** Called on every check, for live progress. */
  onCheck?: (r: GateResult, elapsedMs: number) => void;
  /** How long the gate must hold once passed (minHealthy). */
  holdMs?: number;
  /** How many failed checks in a row that find a container stopped end the wait early (default 3). */
  stoppedChecks?: number;
}

/** How many failed checks in a row may find a container stopped before the gate gives up. */
const STOPPED_CHECKS = 3;

/**
 * Why a gate that just failed may never pass, from the service's containers: one that has stopped (exited or
 * dead: `fatal`, its restart policy did not bring it back), or one whose healthcheck fails (its last output).
 */
export async function containerTrouble(ctx: GateContext): Promise<{ fatal: boolean; detail: string } | undefined> {
  const names = ctx.service.containers.map((c) => c.name);
  if (!names.length) return undefined;
  let found: Map<string, ContainerFact>;
  try {
    found = parseInspectedContainers((await ctx.transport.exec(inspectContainersArgv(names), { become: true })).stdout);
  } catch {
    return undefined;
  }
  const lastLine = (log: string | undefined): string => (log ? `: ${log.trim().split("\n").pop()!.slice(0, 200)}` : "");
  for (const name of names) {
    const c = found.get(name);
    if (c && (c.status === "exited" || c.status === "dead")) return { fatal: true, detail: `container ${name} ${c.status}${lastLine(c.healthLog)}` };
  }
  for (const name of names) {
    const c = found.get(name);
    if (c?.health === "unhealthy") return { fatal: false, detail: `container ${name} is unhealthy${lastLine(c.healthLog)}` };
  }
  return undefined;
}

/** Polls a gate until it passes (and holds for holdMs), or the deadline passes. */
export async function waitForGate(g: Gate, ctx: GateContext, opts: WaitOptions): Promise<GateResult & { elapsedMs: number }> {
  const started = Date.now();
  const interval = opts.intervalMs ?? 1000;
  let last: GateResult = { ok: false, detail: "not checked" };
  let passedAt: number | undefined;
  let stoppedInARow = 0;
  for (;;) {
    const elapsed = Date.now() - started;
    try {
      last = await checkGate(g, ctx);
    } catch (err) {
      last = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    if (!last.ok) {
      // Say why while waiting, and stop waiting for a container that has stopped: its deadline would only
      // be waited out.
      const trouble = await containerTrouble(ctx);
      if (trouble) last = { ok: false, detail: `${last.detail}; ${trouble.detail}` };
      stoppedInARow = trouble?.fatal ? stoppedInARow + 1 : 0;
      if (stoppedInARow >= (opts.stoppedChecks ?? STOPPED_CHECKS)) {
        opts.onCheck?.(last, elapsed);
        return { ok: false, detail: `cannot pass: ${last.detail}`, elapsedMs: Date.now() - started };
      }
    }
    opts.onCheck?.(last, elapsed);
    if (last.ok) {
      passedAt ??= Date.now();
      if (Date.now() - passedAt >= (opts.holdMs ?? 0)) return { ...last, elapsedMs: Date.now() - started };
    } else passedAt = undefined;
    if (Date.now() - started >= opts.deadlineMs) return { ok: false, detail: `deadline ${Math.round(opts.deadlineMs / 1000)}s passed: ${last.detail}`, elapsedMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function deadlineOf(service: DesiredService): number {
  return parseDuration(service.rollout.deadline ?? "5m");
}

