// The audit log: one JSON line per change lading made on a host, appended to <config_dir>/.lading/audit.log
// (opened with >>, mode 0600). It holds step kinds, targets, reasons, who, when and the command: never a secret.
import type { RunEvent } from "../apply/events.js";
import type { Transport } from "../transport/index.js";
import { hostScript } from "../host-scripts/index.js";

export interface AuditEntry {
  time: string;
  who: string;
  command: string;
  /** The deployment's environment (-e), when one was selected. */
  environment?: string;
  host: string;
  service?: string;
  kind: string;
  target: string;
  reason: string;
  status: "ok" | "failed";
  error?: string;
}

export function auditFileOf(stateFile: string): string {
  return `${stateFile.slice(0, stateFile.lastIndexOf("/"))}/audit.log`;
}

// $1: the audit log. Lines arrive on stdin and are appended; the file is never rewritten.
export const AUDIT_SCRIPT = hostScript("audit.sh");

export function auditAppendArgv(file: string): string[] {
  return ["sh", "-c", AUDIT_SCRIPT, "lading-audit", file];
}

/** The audit entry of a finished step event, or undefined for anything that is not a change. Pure. */
export function auditEntryOf(e: RunEvent, meta: { who: string; command: string; time: string; environment?: string }, redact: (s: string) => string = (s) => s): AuditEntry | undefined {
  if (e.type !== "step" || e.status === "start") return undefined;
  return {
    time: meta.time,
    who: meta.who,
    command: meta.command,
    ...(meta.environment !== undefined ? { environment: meta.environment } : {}),
    host: e.host,
    service: e.service,
    kind: e.kind,
    target: redact(e.target),
    reason: redact(e.reason),
    status: e.status,
    error: e.error === undefined ? undefined : redact(e.error).slice(0, 300),
  };
}

/** Collects the changes of a run from its events, then appends them to each host's log. */
export class AuditCollector {
  private readonly entries = new Map<string, AuditEntry[]>();

  constructor(
    private readonly meta: { who: string; command: string; environment?: string },
    private readonly redact: (s: string) => string = (s) => s,
  ) {}

  /** Pass every event of the run here (wrap the reporter's emit). */
  observe(e: RunEvent): void {
    const entry = auditEntryOf(e, { ...this.meta, time: new Date().toISOString() }, this.redact);
    if (entry) this.add(entry);
  }

  add(entry: AuditEntry): void {
    const list = this.entries.get(entry.host) ?? [];
    list.push(entry);
    this.entries.set(entry.host, list);
  }

  pending(host: string): AuditEntry[] {
    return this.entries.get(host) ?? [];
  }

  /** Appends what was collected (one exec per host that changed) and forgets it. */
  async flush(transports: Map<string, Transport>, auditFiles: Map<string, string>): Promise<void> {
    const batch = [...this.entries];
    this.entries.clear();
    await Promise.all(
      batch.map(async ([host, list]) => {
        const t = transports.get(host);
        const file = auditFiles.get(host);
        if (!t || !file || !list.length) return;
        await t.exec(auditAppendArgv(file), { become: true, stdin: list.map((x) => `${JSON.stringify(x)}\n`).join("") }).catch(() => undefined);
      }),
    );
  }
}
