import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTransport } from "../../../src/transport/index.js";
import { acquireLocks, judgeLock, lockArgv, lockStatus, newLockInfo, parseLockAnswer, STALE_AFTER_MS, type LockInfo } from "../../../src/lifecycle/lock.js";
import { takeRunLock } from "../../../src/lifecycle/run-lock.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { auditAppendArgv, AuditCollector, auditEntryOf } from "../../../src/lifecycle/audit.js";
import { state } from "../engine/fixtures.js";

describe("deploy lock", () => {
  let dir: string;
  const t = new LocalTransport({ host: "h1", become: false });
  const t2 = new LocalTransport({ host: "h2", become: false });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "lading-lock-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(async () => {
    await t.close();
    await t2.close();
  });

  it("of two runs exactly one takes a host; the other learns who, what and since when", async () => {
    const file = join(dir, ".lading", "lock");
    const a = newLockInfo("deploy");
    const b = newLockInfo("upgrade");
    const ra = await acquireLocks(new Map([["h1", t]]), new Map([["h1", file]]), a);
    assert.equal(ra.ok, true);
    assert.equal((statSync(file).mode & 0o777).toString(8), "600");
    const rb = await acquireLocks(new Map([["h1", t]]), new Map([["h1", file]]), b);
    assert.equal(rb.ok, false);
    if (!rb.ok) {
      assert.equal(rb.held[0]!.lock?.id, a.id);
      assert.match(rb.held[0]!.verdict.message, /^h1: locked by .+@.+ \(pid \d+, running\) running "deploy" since /);
      assert.equal(rb.held[0]!.verdict.stale, false);
    }
    // A release by the other run leaves the lock alone; the owner's release removes it.
    await t.exec(lockArgv("release", file, b.id));
    assert.ok(existsSync(file));
    if (ra.ok) await ra.release();
    assert.ok(!existsSync(file));
  });

  it("ten runs racing for one host: exactly one wins", async () => {
    const file = join(dir, "race", "lock");
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => acquireLocks(new Map([["h1", t]]), new Map([["h1", file]]), newLockInfo(`run ${i}`))));
    assert.equal(results.filter((r) => r.ok).length, 1);
  });

  it("gives back the hosts it took when another host is held", async () => {
    const f1 = join(dir, "h1", "lock");
    const f2 = join(dir, "h2", "lock");
    const other = newLockInfo("reconfigure");
    assert.equal((await acquireLocks(new Map([["h2", t2]]), new Map([["h2", f2]]), other)).ok, true);
    const mine = newLockInfo("deploy");
    const r = await acquireLocks(new Map([["h1", t], ["h2", t2]]), new Map([["h1", f1], ["h2", f2]]), mine);
    assert.equal(r.ok, false);
    assert.ok(!existsSync(f1), "h1's lock was given back");
    assert.equal((JSON.parse(readFileSync(f2, "utf8")) as LockInfo).id, other.id);
  });

  it("--break-lock takes over a held lock; status shows the holder", async () => {
    const file = join(dir, "lock");
    const old = { ...newLockInfo("deploy"), pid: 999999999, time: new Date(Date.now() - STALE_AFTER_MS - 60_000).toISOString() };
    await t.exec(lockArgv("take", file, old.id), { stdin: JSON.stringify(old) });
    const st = await lockStatus(new Map([["h1", t]]), new Map([["h1", file]]));
    assert.equal(st.get("h1")?.verdict.stale, true);
    assert.match(st.get("h1")!.verdict.message, /no longer running.*looks stale: --break-lock takes it over/);
    const mine = newLockInfo("deploy");
    const r = await acquireLocks(new Map([["h1", t]]), new Map([["h1", file]]), mine, { breakLock: true });
    assert.equal(r.ok, true);
    assert.equal((JSON.parse(readFileSync(file, "utf8")) as LockInfo).id, mine.id);
  });

  it("judges staleness: gone and old, or old on another controller; never a live process", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const lock = (over: Partial<LockInfo>): LockInfo => ({ id: "x", who: "ann@ctl", controller: "ctl", pid: 42, command: "deploy", time: "2026-01-01T11:00:00Z", ...over });
    const here = (alive: boolean) => ({ controller: "ctl", pidAlive: () => alive });
    assert.equal(judgeLock("h", lock({}), now, here(true)).stale, false);
    assert.equal(judgeLock("h", lock({}), now, here(false)).stale, true);
    assert.equal(judgeLock("h", lock({ time: "2026-01-01T11:59:00Z" }), now, here(false)).stale, false);
    assert.equal(judgeLock("h", lock({ controller: "elsewhere" }), now, here(true)).stale, true);
    assert.match(judgeLock("h", lock({}), now, here(true)).message, /ann@ctl .* "deploy" since 2026-01-01T11:00:00Z \(60m ago\)/);
    assert.equal(judgeLock("h", undefined, now, here(true)).stale, true);
  });

  it("parses each answer of the lock script", () => {
    assert.deepEqual(parseLockAnswer("TAKEN\n"), { state: "taken" });
    assert.deepEqual(parseLockAnswer("FREE\n"), { state: "free" });
    assert.equal(parseLockAnswer("HELD\n{bad").state, "held");
    assert.throws(() => parseLockAnswer("what"), /unexpected/);
  });

  it("read-only commands take no lock; applying ones take it and write their changes to the audit log", async () => {
    const desired = state({ h1: [] });
    desired.hosts.get("h1")!.stateFile = join(dir, ".lading", "state.json");
    const events: RunEvent[] = [];
    const reporter = { emit: (e: RunEvent) => void events.push(e) };
    const session = { transports: new Map([["h1", t]]) };
    assert.equal(await takeRunLock("plan", desired, session, reporter, (s) => s), undefined);
    const lock = await takeRunLock("deploy", desired, session, reporter, (s) => s.replace("s3cret", "[REDACTED]"));
    assert.ok(lock);
    assert.equal(await takeRunLock("deploy", desired, session, { emit: (e: RunEvent) => void events.push(e) }, (s) => s), false);
    assert.match(JSON.stringify(events), /another run holds the deploy lock/);
    reporter.emit({ type: "step", host: "h1", service: "webapp", kind: "write", target: "/etc/lading/webapp/webapp.ini", reason: "content differs", status: "start" });
    reporter.emit({ type: "step", host: "h1", service: "webapp", kind: "write", target: "/etc/lading/webapp/webapp.ini", reason: "password s3cret", status: "ok" });
    if (lock) await lock.release();
    assert.ok(!existsSync(join(dir, ".lading", "lock")));
    const log = readFileSync(join(dir, ".lading", "audit.log"), "utf8").trim().split("\n");
    assert.equal(log.length, 1);
    const entry = JSON.parse(log[0]!) as Record<string, string>;
    assert.equal(entry.command, "deploy");
    assert.equal(entry.reason, "password [REDACTED]");
    assert.equal((statSync(join(dir, ".lading", "audit.log")).mode & 0o777).toString(8), "600");
  });
});

describe("audit log", () => {
  it("keeps finished steps only, and appends without rewriting", async () => {
    const meta = { who: "a@b", command: "deploy", time: "t" };
    assert.equal(auditEntryOf({ type: "phase", name: "x" }, meta), undefined);
    assert.equal(auditEntryOf({ type: "step", host: "h", kind: "write", target: "f", reason: "r", status: "start" }, meta), undefined);
    assert.equal(auditEntryOf({ type: "step", host: "h", kind: "write", target: "f", reason: "r", status: "failed", error: "e" }, meta)?.status, "failed");
    const dir = mkdtempSync(join(tmpdir(), "lading-audit-"));
    const t = new LocalTransport({ host: "h", become: false });
    try {
      const file = join(dir, "sub", "audit.log");
      await t.exec(auditAppendArgv(file), { stdin: "one\n" });
      const c = new AuditCollector({ who: "a@b", command: "upgrade" });
      c.observe({ type: "step", host: "h", kind: "recreate", target: "webapp", reason: "image differs", status: "ok" });
      await c.flush(new Map([["h", t]]), new Map([["h", file]]));
      const lines = readFileSync(file, "utf8").trim().split("\n");
      assert.equal(lines[0], "one");
      assert.equal((JSON.parse(lines[1]!) as { kind: string }).kind, "recreate");
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
