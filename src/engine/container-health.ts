// What `check` makes of a running container's health. Docker says "starting" until the first healthcheck has
// passed, and does not run the first check before one interval: right after a deploy whose gate probed the
// service itself (an http or tcp gate answers at once), a healthy container is still "starting" for up to an
// interval. Within its start period plus one interval and one timeout that is what it is, starting, and not
// drift; past that window, "starting" means its checks have not passed, and it is reported.
import { parseDuration } from "../apply/duration.js";
import type { ContainerFact } from "../facts/parse.js";
import type { DesiredContainer } from "../render/desired.js";

export type HealthVerdict = { ok: true; note?: string } | { ok: false; problem: string };

/** The longest a healthy container may still be "starting": start period, then the first check's interval and timeout. */
export function startingWindowMs(c: Pick<DesiredContainer, "healthcheck">): number {
  const h = c.healthcheck;
  if (!h) return 0;
  return parseDuration(h.startPeriod || "0s") + parseDuration(h.interval || "30s") + parseDuration(h.timeout || "30s");
}

/**
 * How long after its newest probe a container's health checks count as stopped: three intervals and a timeout
 * (a probe that hangs is ended at its timeout, and logged), plus a minute for clocks and a busy engine.
 */
export function probesStoppedAfterMs(c: Pick<DesiredContainer, "healthcheck">): number {
  const h = c.healthcheck;
  return 3 * parseDuration(h?.interval || "30s") + parseDuration(h?.timeout || "30s") + 60_000;
}

const STOPPED_CHECKS_HINT =
  "the engine was probably restarted with live-restore: Docker before 23 stops the health checks of the containers it restores (moby#41871); lading bootstrap-servers resumes them after its restarts, or restart the container";

/** The verdict on one container of `host` at `now` (ms since the epoch), from its facts. */
export function containerHealth(host: string, c: Pick<DesiredContainer, "name" | "healthcheck">, f: ContainerFact, now: number): HealthVerdict {
  if (!f.running) return { ok: false, problem: `${host}: ${c.name} is ${f.status}` };
  if (!f.health) return { ok: true };
  // A health status the engine no longer refreshes says nothing about the service now, healthy or not.
  const started = Date.parse(f.startedAt);
  const lastProbe = f.lastProbeAt ? Date.parse(f.lastProbeAt) : NaN;
  const pastStart = Number.isFinite(started) && now - started > startingWindowMs(c);
  if (pastStart && Number.isFinite(lastProbe) && now - lastProbe > probesStoppedAfterMs(c)) {
    return { ok: false, problem: `${host}: ${c.name} is ${f.health} as of ${f.lastProbeAt}, but its health checks stopped ${Math.round((now - lastProbe) / 1000)}s ago: ${STOPPED_CHECKS_HINT}` };
  }
  if (pastStart && f.health === "starting" && !f.lastProbeAt && now - started > startingWindowMs(c) + probesStoppedAfterMs(c)) {
    return { ok: false, problem: `${host}: ${c.name} is starting, and no health check has run in the ${Math.round((now - started) / 1000)}s since its start: ${STOPPED_CHECKS_HINT}` };
  }
  if (f.health === "healthy") return { ok: true };
  const log = f.healthLog ? ` (${f.healthLog.split("\n")[0]})` : "";
  if (f.health === "starting") {
    const window = startingWindowMs(c);
    const age = now - started;
    if (Number.isFinite(started) && age >= 0 && age <= window) {
      return { ok: true, note: `${host}: ${c.name} is starting (${Math.round(age / 1000)}s since its start, within its healthcheck's start period and first interval, ${Math.round(window / 1000)}s)` };
    }
  }
  return { ok: false, problem: `${host}: ${c.name} is ${f.health}${log}` };
}
