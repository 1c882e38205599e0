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

/** The verdict on one container of `host` at `now` (ms since the epoch), from its facts. */
export function containerHealth(host: string, c: Pick<DesiredContainer, "name" | "healthcheck">, f: ContainerFact, now: number): HealthVerdict {
  if (!f.running) return { ok: false, problem: `${host}: ${c.name} is ${f.status}` };
  if (!f.health || f.health === "healthy") return { ok: true };
  const log = f.healthLog ? ` (${f.healthLog.split("\n")[0]})` : "";
  if (f.health === "starting") {
    const started = Date.parse(f.startedAt);
    const window = startingWindowMs(c);
    const age = now - started;
    if (Number.isFinite(started) && age >= 0 && age <= window) {
      return { ok: true, note: `${host}: ${c.name} is starting (${Math.round(age / 1000)}s since its start, within its healthcheck's start period and first interval, ${Math.round(window / 1000)}s)` };
    }
  }
  return { ok: false, problem: `${host}: ${c.name} is ${f.health}${log}` };
}
