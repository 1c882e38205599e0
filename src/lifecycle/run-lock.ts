// A run's hold on its hosts: the deploy lock on every target host for the commands that change them, and
// the audit log of what they changed, appended when the run ends.
import type { RunEvent } from "../apply/events.js";
import type { Session } from "../engine/session.js";
import type { DesiredState } from "../render/desired.js";
import { AuditCollector, auditFileOf } from "./audit.js";
import { acquireLocks, lockFileOf, newLockInfo, releaseLocks, type LockInfo } from "./lock.js";

/** Commands that only read the hosts: they neither take the lock nor write the audit log. */
export const READ_ONLY_COMMANDS = new Set(["plan", "check", "prechecks", "history", "lock status"]);

export interface RunLock {
  info: LockInfo;
  audit: AuditCollector;
  /** Appends the audit entries and removes this run's lock from every host. */
  release(): Promise<void>;
}

/**
 * Takes the deploy lock on every host of `desired` for an applying command and starts collecting its audit
 * entries from the reporter's events. Returns undefined for read-only commands, false (after reporting
 * who holds it) when another run holds a host.
 */
export async function takeRunLock(
  command: string,
  desired: DesiredState,
  session: Pick<Session, "transports">,
  reporter: { emit(e: RunEvent): void },
  redact: (s: string) => string,
  opts: { breakLock?: boolean } = {},
): Promise<RunLock | undefined | false> {
  if (READ_ONLY_COMMANDS.has(command)) return undefined;
  const info = newLockInfo(command);
  const lockFiles = new Map([...desired.hosts.values()].map((h) => [h.name, lockFileOf(h.stateFile)]));
  const auditFiles = new Map([...desired.hosts.values()].map((h) => [h.name, auditFileOf(h.stateFile)]));
  const res = await acquireLocks(session.transports, lockFiles, info, { breakLock: opts.breakLock });
  if (!res.ok) {
    for (const h of res.held) reporter.emit({ type: "warning", host: h.host, message: h.verdict.message });
    reporter.emit({ type: "warning", message: `another run holds the deploy lock on ${res.held.length} host(s): nothing was changed (lading lock status shows it)` });
    return false;
  }
  if (opts.breakLock) reporter.emit({ type: "warning", message: "--break-lock: took over the deploy lock of every host" });
  const audit = new AuditCollector({ who: info.who, command }, redact);
  const emit = reporter.emit.bind(reporter);
  reporter.emit = (e: RunEvent): void => {
    audit.observe(e);
    emit(e);
  };
  let released = false;
  return {
    info,
    audit,
    release: async () => {
      if (released) return;
      released = true;
      await audit.flush(session.transports, auditFiles);
      await releaseLocks(session.transports, lockFiles, info);
    },
  };
}
