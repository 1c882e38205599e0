import assert from "node:assert/strict";
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTransport, type Transport } from "../../../src/transport/index.js";
import { judgeLock, newLockInfo, parseLockAnswer, STALE_AFTER_MS, type LockInfo } from "../../../src/lifecycle/lock.js";
import { lockPolicyOf, RunHold } from "../../../src/lifecycle/run-lock.js";
import { finishArgv, finishPayload } from "../../../src/lifecycle/finish-run.js";
import { gatherFacts } from "../../../src/facts/gather.js";
import type { HostFacts } from "../../../src/facts/parse.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { auditAppendArgv, AuditCollector, auditEntryOf } from "../../../src/lifecycle/audit.js";
import { container, service } from "../engine/fixtures.js";

/** The real facts script run on this machine, for a host whose lading folder is `dir`. */
async function factsOf(t: Transport, dir: string): Promise<HostFacts> {
  return gatherFacts(t, { paths: [], images: [], stateFile: join(dir, "state.json") });
}

describe("deploy lock", () => {
  let dir: string;
  const t = new LocalTransport({ host: "h1", become: false });
  const t2 = new LocalTransport({ host: "h2", become: false });
  const transports = new Map<string, Transport>([["h1", t], ["h2", t2]]);
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "lading-lock-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(async () => {
    await t.close();
    await t2.close();
  });

  const hold = async (command: string, hosts: Record<string, string>): Promise<RunHold> => {
    const facts = new Map<string, HostFacts>();
    for (const [h, d] of Object.entries(hosts)) facts.set(h, await factsOf(transports.get(h)!, d));
    return new RunHold(command, Object.entries(hosts).map(([name, d]) => ({ name, stateFile: join(d, "state.json") })), facts);
  };

  it("the facts read the lock and the audit log's size, and take nothing", async () => {
    const f0 = await factsOf(t, dir);
    assert.equal(f0.lock, undefined);
    assert.equal(f0.auditBytes, 0);
    writeFileSync(join(dir, "lock"), '{"id":"x"}\n');
    writeFileSync(join(dir, "audit.log"), "12345\n");
    const f1 = await factsOf(t, dir);
    assert.equal(f1.lock, '{"id":"x"}\n');
    assert.equal(f1.auditBytes, 6);
  });

  it("of two runs exactly one takes a host; the other learns who, what and since when", async () => {
    const a = await hold("deploy", { h1: dir });
    const b = await hold("upgrade", { h1: dir });
    assert.deepEqual(await a.acquire(transports), { ok: true });
    assert.equal((statSync(join(dir, "lock")).mode & 0o777).toString(8), "600");
    const rb = await b.acquire(transports);
    assert.equal(rb.ok, false);
    if (!rb.ok) assert.match(rb.problems[0]!, /^h1: locked by .+@.+ \(pid \d+, running\) running "deploy" since /);
    // The loser's final write leaves the lock alone; the owner's removes it.
    await b.finish(transports);
    assert.ok(existsSync(join(dir, "lock")));
    assert.deepEqual(await a.finish(transports), []);
    assert.ok(!existsSync(join(dir, "lock")));
  });

  it("ten runs racing for one host: exactly one wins", async () => {
    const holds = await Promise.all(Array.from({ length: 10 }, (_, i) => hold(`run ${i}`, { h1: dir })));
    const results = await Promise.all(holds.map((h) => h.acquire(transports)));
    assert.equal(results.filter((r) => r.ok).length, 1);
  });

  it("gives back the hosts it took when another host is held", async () => {
    const d1 = join(dir, "h1");
    const d2 = join(dir, "h2");
    const other = await hold("reconfigure", { h2: d2 });
    assert.equal((await other.acquire(transports)).ok, true);
    const mine = await hold("deploy", { h1: d1, h2: d2 });
    assert.equal((await mine.acquire(transports)).ok, false);
    assert.ok(!existsSync(join(d1, "lock")), "h1's lock was given back");
    assert.equal((JSON.parse(readFileSync(join(d2, "lock"), "utf8")) as LockInfo).id, other.info.id);
  });

  it("refuses when another run changed the host after the facts were read (its plan would be stale)", async () => {
    const mine = await hold("deploy", { h1: dir });
    appendFileSync(join(dir, "audit.log"), '{"kind":"recreate"}\n');
    const r = await mine.acquire(transports);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problems[0]!, /another run changed this host since its facts were read/);
    assert.ok(!existsSync(join(dir, "lock")));
  });

  it("reports a stale lock from the facts; --break-lock takes it over and the run's end removes it", async () => {
    mkdirSync(dir, { recursive: true });
    const old = { ...newLockInfo("deploy"), pid: 999999999, time: new Date(Date.now() - 60_000).toISOString() };
    writeFileSync(join(dir, "lock"), JSON.stringify(old));
    const mine = await hold("deploy", { h1: dir });
    const held = mine.heldLocks();
    assert.equal(held.length, 1);
    assert.equal(held[0]!.verdict.stale, true);
    assert.match(held[0]!.verdict.message, /no longer running.*looks stale: --break-lock takes it over/);
    assert.equal((await mine.acquire(transports)).ok, false, "without --break-lock a stale lock still holds");
    assert.deepEqual(await mine.acquire(transports, { breakLock: true }), { ok: true });
    assert.equal((JSON.parse(readFileSync(join(dir, "lock"), "utf8")) as LockInfo).id, mine.info.id);
    await mine.finish(transports);
    assert.ok(!existsSync(join(dir, "lock")));
  });

  it("judges staleness: a gone process on this controller, or an old lock from another; never a live process here", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const lock = (over: Partial<LockInfo>): LockInfo => ({ id: "x", who: "ann@ctl", controller: "ctl", pid: 42, command: "deploy", time: "2026-01-01T11:00:00Z", ...over });
    const here = (alive: boolean) => ({ controller: "ctl", pidAlive: () => alive });
    assert.equal(judgeLock("h", lock({ time: "2025-01-01T11:00:00Z" }), now, here(true)).stale, false);
    assert.equal(judgeLock("h", lock({ time: "2026-01-01T11:59:00Z" }), now, here(false)).stale, true);
    assert.equal(judgeLock("h", lock({ controller: "elsewhere", time: "2026-01-01T11:30:00Z" }), now, here(true)).stale, false);
    assert.equal(judgeLock("h", lock({ controller: "elsewhere", time: new Date(now.getTime() - STALE_AFTER_MS - 1000).toISOString() }), now, here(true)).stale, true);
    assert.match(judgeLock("h", lock({}), now, here(true)).message, /ann@ctl .* "deploy" since 2026-01-01T11:00:00Z \(60m ago\)/);
    assert.equal(judgeLock("h", undefined, now, here(true)).stale, true);
  });

  it("parses each answer of the lock script", () => {
    assert.deepEqual(parseLockAnswer("TAKEN\n"), { state: "taken" });
    assert.deepEqual(parseLockAnswer("MOVED\n"), { state: "moved" });
    assert.equal(parseLockAnswer("HELD\n{bad").state, "held");
    assert.throws(() => parseLockAnswer("what"), /unexpected/);
  });

  it("read-only commands never lock; plan-driven ones lock on their first change; the others at once", () => {
    assert.equal(lockPolicyOf("plan"), "none");
    assert.equal(lockPolicyOf("lock status"), "none");
    assert.equal(lockPolicyOf("reconfigure"), "on-change");
    // A dry run previews while a lock is held (with a warning), as plan does.
    for (const dry of ["prune-images --dry-run", "bootstrap-servers --dry-run", "rollback --dry-run"]) assert.equal(lockPolicyOf(dry), "none", dry);
    assert.equal(lockPolicyOf("bootstrap-servers"), "on-change");
    assert.equal(lockPolicyOf("stop"), "now");
    assert.equal(lockPolicyOf("mariadb-recovery"), "now");
  });

  it("a run that changes nothing sends nothing after its facts", async () => {
    const h = await hold("reconfigure", { h1: dir });
    const before = t.stats.execs;
    assert.deepEqual(await h.finish(transports), []);
    assert.equal(t.stats.execs, before);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("a changing run ends with ONE exec per host: state, revisions, redacted audit entries, lock release", async () => {
    const events: RunEvent[] = [];
    const reporter = { emit: (e: RunEvent) => void events.push(e) };
    const redacting = new RunHold("deploy", [{ name: "h1", stateFile: join(dir, "state.json") }], new Map([["h1", await factsOf(t, dir)]]), (s) => s.replace("s3cret", "[REDACTED]"));
    redacting.observe(reporter);
    assert.equal((await redacting.acquire(transports)).ok, true);
    reporter.emit({ type: "step", host: "h1", service: "webapp", kind: "write", target: "/etc/lading/webapp/webapp.ini", reason: "content differs", status: "start" });
    reporter.emit({ type: "step", host: "h1", service: "webapp", kind: "write", target: "/etc/lading/webapp/webapp.ini", reason: "password s3cret", status: "ok" });
    assert.equal(events.length, 2, "the reporter still gets every event");
    redacting.state.get("h1")!.registrations = { "database/webapp": "abc" };
    const web = service("webapp", [], [container("webapp", "webapp", { image: "lading/webapp:1.0" })]);
    const recorded = await redacting.recordRevisions(transports, [{ name: "h1", services: [web] }], "deploy");
    assert.deepEqual(recorded.map((r) => [r.service, r.rev]), [["webapp", 1]]);
    const before = t.stats.execs;
    assert.deepEqual(await redacting.finish(transports), []);
    assert.equal(t.stats.execs - before, 1);
    assert.ok(!existsSync(join(dir, "lock")));
    const st = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { registrations: object; revisions: Record<string, { rev: number }> };
    assert.deepEqual(st.registrations, { "database/webapp": "abc" });
    assert.equal(st.revisions.webapp!.rev, 1);
    assert.equal((statSync(join(dir, "state.json")).mode & 0o777).toString(8), "600");
    const rev = JSON.parse(readFileSync(join(dir, "revisions", "webapp", "1.json"), "utf8")) as { command: string; images: Record<string, { ref: string }> };
    assert.equal(rev.images.webapp!.ref, "lading/webapp:1.0");
    assert.equal((statSync(join(dir, "revisions", "webapp", "1.json")).mode & 0o777).toString(8), "600");
    const log = readFileSync(join(dir, "audit.log"), "utf8").trim().split("\n");
    assert.equal(log.length, 1);
    const entry = JSON.parse(log[0]!) as Record<string, string>;
    assert.equal(entry.command, "deploy");
    assert.equal(entry.reason, "password [REDACTED]");
    assert.equal((statSync(join(dir, "audit.log")).mode & 0o777).toString(8), "600");
    // The next run numbers from the state file, and records nothing for an unchanged service.
    const next = await hold("reconfigure", { h1: dir });
    assert.deepEqual(await next.recordRevisions(transports, [{ name: "h1", services: [web] }], "reconfigure"), []);
    const upgraded = service("webapp", [], [container("webapp", "webapp", { image: "lading/webapp:1.1" })]);
    assert.deepEqual((await next.recordRevisions(transports, [{ name: "h1", services: [upgraded] }], "upgrade")).map((r) => r.rev), [2]);
  });

  it("the final exec writes nothing when its records arrive cut short", async () => {
    const payload = finishPayload([
      { kind: "write", path: join(dir, "state.json"), mode: "0600", content: '{"a":1}' },
      { kind: "append", path: join(dir, "audit.log"), content: "x\n" },
    ]);
    const cut = payload.slice(0, payload.lastIndexOf("E "));
    const r = await t.exec(finishArgv(dir), { stdin: cut });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /incomplete/);
    assert.deepEqual(readdirSync(dir), []);
    const ok = await t.exec(finishArgv(dir), { stdin: payload });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(join(dir, "state.json"), "utf8"), '{"a":1}');
    assert.equal(readFileSync(join(dir, "audit.log"), "utf8"), "x\n");
  });
  it("the final exec gives each file its mode, even over a leftover of a run cut mid-way, and releases only its own lock", async () => {
    const state = join(dir, "state.json");
    const leftover = `${state}.lading-new`;
    writeFileSync(leftover, "half");
    chmodSync(leftover, 0o644);
    const lock = join(dir, "deploy.lock");
    writeFileSync(lock, '{"id":"other-run"}');
    const payload = finishPayload([
      { kind: "write", path: state, mode: "0600", content: '{"b":2}' },
      { kind: "write", path: join(dir, "sub", "shared.txt"), mode: "0644", content: "" },
      { kind: "release", path: lock, id: "this-run" },
    ]);
    const r = await t.exec(finishArgv(dir), { stdin: payload });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(state, "utf8"), '{"b":2}');
    assert.equal((statSync(state).mode & 0o777).toString(8), "600");
    assert.equal(existsSync(leftover), false);
    assert.equal(readFileSync(join(dir, "sub", "shared.txt"), "utf8"), "");
    assert.equal((statSync(join(dir, "sub", "shared.txt")).mode & 0o777).toString(8), "644");
    assert.equal(readFileSync(lock, "utf8"), '{"id":"other-run"}');
    writeFileSync(lock, '{"who":"x",\n"id":"this-run"}');
    const again = await t.exec(finishArgv(dir), { stdin: finishPayload([{ kind: "release", path: lock, id: "this-run" }]) });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(existsSync(lock), false);
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
