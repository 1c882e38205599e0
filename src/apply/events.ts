// Events a run emits. The CLI turns them into progress lines, a live display, or --json lines.

export type RunEvent =
  | { type: "run-start"; command: string; hosts: string[] }
  | { type: "connect"; host: string; ok: boolean; error?: string; ms: number }
  | { type: "facts"; host: string; ms: number }
  | { type: "plan"; changes: number }
  | { type: "phase"; name: string }
  | { type: "batch"; service: string; index: number; total: number; hosts: string[] }
  | { type: "step"; host: string; service?: string; kind: string; target: string; reason: string; status: "start" | "ok" | "failed"; ms?: number; error?: string }
  | { type: "gate"; host: string; service: string; gate: string; status: "waiting" | "passed" | "failed"; elapsedMs: number; detail?: string }
  | { type: "revert"; service: string; host: string; status: "ok" | "failed"; error?: string }
  | { type: "halt"; service: string; host: string; reason: string; untouched: string[] }
  | { type: "warning"; host?: string; message: string }
  /** check: a certificate deployed or in the deployment expires within tls_expiry_warning days. */
  | { type: "certificate-expiring"; host: string; file: string; subject: string; expires: string; daysLeft: number; warningDays: number }
  /** A file for the operator written into the deployment folder (role.yaml operatorFiles). */
  | { type: "operator-file"; service: string; path: string }
  /** rotate-keys: a key repository rotated in the passwords file (names and counts, never a key). */
  | { type: "keys-rotated"; service: string; secret: string; file: string; keys: number }
  /** mariadb-backup: the manifest of the backup taken. */
  | { type: "backup"; id: string; kind: "full" | "incremental"; base?: string; full: string; host: string; time: string; galera: { uuid: string; seqno: number }; fromLsn: number; toLsn: number; bytes: number; sha256: string }
  | { type: "recap"; hosts: HostRecap[]; ms: number; ok: boolean }
  /** SSH connections opened and command round trips made per host during the run. */
  | { type: "stats"; hosts: Record<string, { connections: number; execs: number }> };

export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  failed: number;
  unreachable: boolean;
  skipped: boolean;
}

export type Emit = (e: RunEvent) => void;
