// A run's hold on its hosts: the deploy lock, lading's state file as the run changes it, the revisions it
// records and the audit entries of what it changed. Round trips are the budget here:
// - the facts command (one per host, every run) already reads the lock file and the audit log's size;
// - a run that changes something takes the lock in one exec per host just before its first change, checking
//   that the audit log did not grow since the facts (else another run changed the host and the plan is stale);
// - the run's last exec per host writes the state file and the new revisions, appends the audit entries and
//   releases the lock, all at once (src/lifecycle/finish-run.ts).
// So a run that changes nothing stays at one round trip per host and never leaves a lock behind.
import type { RunEvent } from "../apply/events.js";
import type { HostFacts, HostStateFile, ImageFact } from "../facts/parse.js";
import { HostError } from "../errors.js";
import type { DesiredService } from "../render/desired.js";
import type { Transport } from "../transport/index.js";
import { AuditCollector, auditFileOf } from "./audit.js";
import { finishArgv, finishPayload, type FinishRecord } from "./finish-run.js";
import { heldLockOf, lockArgv, lockFileOf, newLockInfo, parseLockAnswer, type HeldLock, type LockInfo } from "./lock.js";
import { nextRevisions, readRevisions, revisionFileContent, revisionFingerprint, revisionPath, type Revision } from "./revisions.js";

/**
 * Commands that only read the hosts (exec runs what the user asks in a container, outside lading's state): they
 * never take the lock (they report one that is held). The dry runs
 * are among them: a preview while another run, or a stale lock, holds the hosts is what an operator wants.
 */
export const READ_ONLY_COMMANDS = new Set(["plan", "check", "ps", "logs", "exec", "prechecks", "history", "lock status", "prune-images --dry-run", "bootstrap-servers --dry-run", "rollback --dry-run", "mariadb-backup --list", "mariadb-restore --dry-run"]);

/**
 * Commands that take the lock themselves right before their first change (RunHold.acquire), so that when they
 * turn out to change nothing they cost no extra round trip. Any other applying command takes it as soon as the
 * facts are in.
 */
export const LOCK_ON_CHANGE_COMMANDS = new Set(["deploy", "reconfigure", "deploy-containers", "pull", "genconfig", "upgrade", "rollback", "destroy", "prune-images", "bootstrap-servers"]);

export type LockPolicy = "none" | "on-change" | "now";

export function lockPolicyOf(command: string): LockPolicy {
  if (READ_ONLY_COMMANDS.has(command)) return "none";
  return LOCK_ON_CHANGE_COMMANDS.has(command) ? "on-change" : "now";
}

export interface HoldHost {
  name: string;
  stateFile: string;
}

export type AcquireResult = { ok: true } | { ok: false; problems: string[] };

export class RunHold {
  readonly info: LockInfo;
  readonly audit: AuditCollector;
  /** lading's state file of each host as this run changes it (shared by every applyPlan of the run). */
  readonly state = new Map<string, HostStateFile>();
  private readonly hosts = new Map<string, HoldHost>();
  private readonly facts: Map<string, HostFacts>;
  private readonly taken = new Set<string>();
  private readonly revisions = new Map<string, Revision[]>();
  private finished = false;

  constructor(command: string, hosts: Iterable<HoldHost>, facts: Map<string, HostFacts>, redact: (s: string) => string = (s) => s, environment?: string) {
    this.info = newLockInfo(command, new Date(), environment);
    this.audit = new AuditCollector({ who: this.info.who, command, environment }, redact);
    this.facts = facts;
    for (const h of hosts) {
      this.hosts.set(h.name, h);
      this.state.set(h.name, structuredClone(facts.get(h.name)?.state ?? {}));
    }
  }

  /** Locks of other runs found by the facts, with who, what, since when and whether they look stale. */
  heldLocks(now: Date = new Date()): HeldLock[] {
    const out: HeldLock[] = [];
    for (const name of [...this.hosts.keys()].sort()) {
      if (this.taken.has(name)) continue;
      const raw = this.facts.get(name)?.lock;
      if (raw !== undefined) out.push(heldLockOf(name, raw, now));
    }
    return out;
  }

  get holdsLock(): boolean {
    return this.taken.size > 0;
  }

  /** Forgets a host (unreachable, or left out with --keep-going). */
  drop(host: string): void {
    this.hosts.delete(host);
    this.state.delete(host);
  }

  /**
   * Takes the deploy lock on every host (one exec each, in parallel); idempotent. `breakLock` replaces the locks
   * the facts showed. If any host is held by another run or changed since the facts, lets go of the others
   * (one more exec each) and says why: nothing was changed.
   */
  async acquire(transports: Map<string, Transport>, opts: { breakLock?: boolean } = {}): Promise<AcquireResult> {
    const body = `${JSON.stringify(this.info)}\n`;
    const problems: string[] = [];
    const now = new Date();
    await Promise.all(
      [...this.hosts.values()].map(async (h) => {
        const t = transports.get(h.name);
        if (!t || this.taken.has(h.name)) return;
        const dir = ladingDirOf(h.stateFile);
        const mode = opts.breakLock && this.facts.get(h.name)?.lock !== undefined ? "break" : "take";
        const r = await t.exec(lockArgv(mode, lockFileOf(h.stateFile), this.info.id, auditFileOf(h.stateFile), this.facts.get(h.name)?.auditBytes ?? 0), { become: true, stdin: body });
        if (r.code !== 0) {
          problems.push(`${h.name}: taking the deploy lock in ${dir} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
          return;
        }
        const a = parseLockAnswer(r.stdout);
        if (a.state === "taken") this.taken.add(h.name);
        else if (a.state === "held") problems.push(heldLockOf(h.name, a.raw, now).verdict.message);
        else if (a.state === "moved") problems.push(`${h.name}: another run changed this host since its facts were read: run again`);
      }),
    );
    if (!problems.length) return { ok: true };
    await Promise.all(
      [...this.taken].map(async (name) => {
        const h = this.hosts.get(name)!;
        await transports.get(name)?.exec(lockArgv("release", lockFileOf(h.stateFile), this.info.id), { become: true }).catch(() => undefined);
        this.taken.delete(name);
      }),
    );
    return { ok: false, problems: problems.sort() };
  }

  /** Queues a revision for the final write and records it as the service's newest in the state file. */
  queueRevision(rev: Revision): void {
    const list = this.revisions.get(rev.host) ?? [];
    list.push(rev);
    this.revisions.set(rev.host, list);
    const s = this.state.get(rev.host);
    if (s) s.revisions = { ...(s.revisions ?? {}), [rev.service]: { rev: rev.rev, fingerprint: revisionFingerprint(rev) } };
  }

  /**
   * Records, on each host, a revision of every given service that differs from the newest one recorded, for the
   * final write. Image ids come from the facts; only a host that got an image the facts did not know (pulled
   * during the run) costs one exec to look its id up.
   */
  async recordRevisions(transports: Map<string, Transport>, hosts: Iterable<{ name: string; services: DesiredService[] }>, command: string, now: Date = new Date()): Promise<Revision[]> {
    const recorded: Revision[] = [];
    await Promise.all(
      [...hosts].map(async (h) => {
        const hold = this.hosts.get(h.name);
        if (!hold || !h.services.length) return;
        const images = new Map<string, ImageFact>(this.facts.get(h.name)?.images ?? []);
        const unknown = [...new Set(h.services.flatMap((s) => s.containers.map((c) => c.image)))].filter((ref) => !images.has(ref));
        const t = transports.get(h.name);
        if (unknown.length && t) for (const [ref, img] of (await readRevisions(t, hold.stateFile, [], unknown)).images) images.set(ref, img);
        const { revisions } = nextRevisions(h.name, h.services, this.state.get(h.name)?.revisions, images, { time: now.toISOString(), command });
        for (const rev of revisions) {
          this.queueRevision(rev);
          recorded.push(rev);
        }
      }),
    );
    return recorded;
  }

  /** What the final exec sends to one host. Pure. */
  finishRecords(host: string): FinishRecord[] {
    const h = this.hosts.get(host);
    if (!h) return [];
    const records: FinishRecord[] = [];
    for (const rev of this.revisions.get(host) ?? []) records.push({ kind: "write", path: revisionPath(h.stateFile, rev.service, rev.rev), mode: "0600", content: revisionFileContent(rev) });
    const state = this.state.get(host) ?? {};
    if (JSON.stringify(state) !== JSON.stringify(this.facts.get(host)?.state ?? {})) records.push({ kind: "write", path: h.stateFile, mode: "0600", content: `${JSON.stringify(state, null, 2)}\n` });
    const entries = this.audit.pending(host);
    if (entries.length) records.push({ kind: "append", path: auditFileOf(h.stateFile), content: entries.map((e) => `${JSON.stringify(e)}\n`).join("") });
    if (this.taken.has(host)) records.push({ kind: "release", path: lockFileOf(h.stateFile), id: this.info.id });
    return records;
  }

  /**
   * The run's last exec on each host that needs one: state, revisions, audit entries, lock release. Returns the
   * hosts where it failed (their lock stays: `lading lock status` shows it, --break-lock takes it over).
   */
  async finish(transports: Map<string, Transport>): Promise<string[]> {
    if (this.finished) return [];
    this.finished = true;
    const failures: string[] = [];
    await Promise.all(
      [...this.hosts.values()].map(async (h) => {
        const records = this.finishRecords(h.name);
        const t = transports.get(h.name);
        if (!records.length || !t) return;
        try {
          const r = await t.exec(finishArgv(ladingDirOf(h.stateFile)), { become: true, stdin: finishPayload(records) });
          if (r.code !== 0) throw new HostError(h.name, `exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
          this.taken.delete(h.name);
        } catch (err) {
          const lockStays = this.taken.has(h.name) ? "; this run's deploy lock stays on it: the next run reports it as stale and --break-lock takes it over" : "";
          failures.push(`${h.name}: writing lading's state, revisions and audit log failed: ${err instanceof Error ? err.message : String(err)}${lockStays}`);
        }
      }),
    );
    return failures.sort();
  }

  /** Wraps a reporter so that every finished step of the run becomes an audit entry. */
  observe(reporter: { emit(e: RunEvent): void }): void {
    const emit = reporter.emit.bind(reporter);
    reporter.emit = (e: RunEvent): void => {
      this.audit.observe(e);
      emit(e);
    };
  }
}

/** lading's own folder on a host (state, lock, audit log, revisions). */
export function ladingDirOf(stateFile: string): string {
  return stateFile.slice(0, stateFile.lastIndexOf("/"));
}
