// Day 2 on the lab: upgrade webapp 1.0 -> 1.1 while it answers through the VIP, history, prune-images that
// keeps the rollback image, rollback, an upgrade stopped by a missing image, the deploy lock and audit log,
// bootstrap-servers' plan on running hosts, and destroy --service webapp (then a redeploy brings it back).
import assert from "node:assert/strict";
import { labExec } from "../../src/lab/index.js";
import { ensureDeployed, eventually, lading, LAB_ADDRESSES, LAB_HOSTS, onHost, startTimes, VIP, watchExitCodes, type Deployment } from "./deployment-fixture.js";

/** The longest the VIP may go without a good answer during a rolling change. */
const VIP_GAP_MS = 3000;

/** The version a webapp answers at `address`, or why it did not (`errors` collects the reasons, with the time). */
async function version(address: string, errors?: string[]): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${address}:8080/version`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.text()).trim();
    if (res.status === 200) return body;
    errors?.push(`${new Date().toISOString()} HTTP ${res.status} ${body.slice(0, 120)}`);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    errors?.push(`${new Date().toISOString()} ${e.message}${e.cause ? ` (${e.cause.code ?? ""} ${e.cause.message ?? ""})` : ""}`);
  }
  return undefined;
}

async function hostVersions(): Promise<(string | undefined)[]> {
  return Promise.all(LAB_HOSTS.map((h) => version(LAB_ADDRESSES[h]!)));
}

interface PollResult {
  ok: number;
  failed: number;
  versions: Set<string>;
  /** The longest time without a good answer, in ms. */
  longestGapMs: number;
  /** Why each failed request failed, with its time. */
  errors: string[];
}

/** Polls the VIP every 100 ms until stopped: answers, failures, versions seen, the longest stretch without an answer. */
function pollVip(): { stop: () => Promise<PollResult> } {
  let running = true;
  const result: PollResult = { ok: 0, failed: 0, versions: new Set<string>(), longestGapMs: 0, errors: [] };
  let lastOk = Date.now();
  const loop = (async () => {
    while (running) {
      const v = await version(VIP, result.errors);
      if (v === undefined) result.failed++;
      else {
        result.ok++;
        result.versions.add(v);
        result.longestGapMs = Math.max(result.longestGapMs, Date.now() - lastOk);
        lastOk = Date.now();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    result.longestGapMs = Math.max(result.longestGapMs, Date.now() - lastOk);
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return result;
    },
  };
}

describe("day 2 on the lab: upgrade, history, prune, rollback, lock, destroy (e2e)", function () {
  this.timeout(900_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
    await eventually("webapp 1.0 on every host", 120_000, async () => ((await hostVersions()).every((v) => v === "1.0") ? true : undefined));
  });

  it("upgrades webapp 1.0 -> 1.1 one host at a time while it answers through the VIP", async () => {
    const poll = pollVip();
    const exits = await watchExitCodes(d, "webapp");
    const up = await lading(["upgrade", "-d", d.dir, "-s", "webapp", "--set", "webapp_tag=1.1"]);
    const seen = await poll.stop();
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual(await hostVersions(), ["1.1", "1.1", "1.1"]);
    // The 1.0 containers stopped on SIGTERM, not killed at their stop timeout.
    assert.deepEqual(await exits.stop(), Object.fromEntries(LAB_HOSTS.map((h) => [h, [0]])), "webapp's exit codes");
    process.stderr.write(`      (through the VIP during the upgrade: ${seen.ok} answers, ${seen.failed} failed, longest gap ${seen.longestGapMs} ms)\n`);
    assert.ok(seen.ok > 10, `the VIP answered ${seen.ok} times`);
    // No request dropped: each host leaves every HAProxy's rotation before its webapp stops, although the run
    // is limited to webapp (the load balancers come from every service's desired state).
    assert.equal(seen.failed, 0, `${seen.failed} of ${seen.ok + seen.failed} requests through the VIP failed during the upgrade:\n${seen.errors.slice(0, 10).join("\n")}\n${up.stdout}`);
    assert.ok(seen.longestGapMs < VIP_GAP_MS, `the VIP did not answer for ${seen.longestGapMs} ms`);
    assert.deepEqual([...seen.versions].sort(), ["1.0", "1.1"]);
  });

  it("lists the revisions: what ran before and the upgrade, which runs now", async () => {
    const h = await lading(["history", "-d", d.dir, "-s", "webapp", "--json"]);
    assert.equal(h.code, 0, h.stdout + h.stderr);
    const revs = h.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; host: string; rev: number; running: boolean; images: Record<string, { ref: string; id: string }> }).filter((r) => r.type === "revision");
    // Earlier tests of the same deployment may have reconfigured webapp (each apply records a revision): every
    // revision before the upgrade ran 1.0, the upgrade's runs 1.1 now, and they are numbered 1..n.
    let lastRev = 0;
    for (const host of LAB_HOSTS) {
      const mine = revs.filter((r) => r.host === host);
      assert.ok(mine.length >= 2, `${host} has the revisions before and of the upgrade`);
      assert.deepEqual(mine.map((r) => r.rev), mine.map((_, i) => i + 1));
      assert.deepEqual(mine.map((r) => [r.images.webapp!.ref, r.running]), [...mine.slice(0, -1).map(() => ["lading/webapp:1.0", false]), ["lading/webapp:1.1", true]]);
      assert.match(mine.at(-1)!.images.webapp!.id, /^sha256:[0-9a-f]{64}$/);
      if (host === "lab1") lastRev = mine.at(-1)!.rev;
    }
    const mode = await onHost(d, "lab1", `stat -c %a /etc/lading/.lading/revisions/webapp/${lastRev}.json`);
    assert.equal(mode.trim(), "600");
  });

  it("prune-images keeps the rollback image (1.0), needed by a revision", async () => {
    const dry = await lading(["prune-images", "-d", d.dir, "-s", "webapp", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.doesNotMatch(dry.stdout, /would remove lading\/webapp:1\.[01]/);
    assert.match(dry.stdout, /lab1: keep +lading\/webapp:1\.0 \(needed by a recorded revision \(rollback\)\)/);
    const prune = await lading(["prune-images", "-d", d.dir, "-s", "webapp"]);
    assert.equal(prune.code, 0, prune.stdout + prune.stderr);
    for (const h of LAB_HOSTS) await onHost(d, h, "docker image inspect lading/webapp:1.0 >/dev/null");
  });

  it("rolls back to 1.0 through the rolling policy, and records it", async () => {
    const poll = pollVip();
    const back = await lading(["rollback", "-d", d.dir, "-s", "webapp"]);
    const seen = await poll.stop();
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.deepEqual(await hostVersions(), ["1.0", "1.0", "1.0"]);
    process.stderr.write(`      (through the VIP during the rollback: ${seen.ok} answers, ${seen.failed} failed, longest gap ${seen.longestGapMs} ms)\n`);
    assert.equal(seen.failed, 0, `${seen.failed} of ${seen.ok + seen.failed} requests through the VIP failed during the rollback:\n${seen.errors.slice(0, 10).join("\n")}\n${back.stdout}`);
    assert.ok(seen.longestGapMs < VIP_GAP_MS, `the VIP did not answer for ${seen.longestGapMs} ms`);
    const h = await lading(["history", "-d", d.dir, "-s", "webapp", "--json"]);
    const lab2 = h.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; host: string; rev: number; command: string; running: boolean }).filter((r) => r.type === "revision" && r.host === "lab2");
    // The revision before the upgrade, the upgrade, and the rollback to the first of them: what runs now is
    // both the rollback and the revision it put back (same images and config).
    const [beforeUpgrade, upgrade, rollback] = lab2.slice(-3);
    assert.deepEqual([beforeUpgrade!.running, upgrade!.running, rollback!.running], [true, false, true]);
    // An older revision runs too when its images and config are the same again (another file changed a parameter
    // and put it back, as the serve e2e does); none of the upgrade's does.
    const running = lab2.filter((r) => r.running);
    assert.ok(running.includes(beforeUpgrade!) && running.includes(rollback!) && !running.includes(upgrade!), JSON.stringify(lab2));
    assert.ok(lab2.filter((r) => r.command.startsWith("upgrade")).every((r) => !r.running), JSON.stringify(lab2));
    assert.equal(rollback!.command, `rollback --to ${beforeUpgrade!.rev}`);
  });

  it("an upgrade whose new image is missing on one host changes nothing", async () => {
    // The tag goes, the image stays under another name: restoring is a re-tag (lab up on a running lab is a no-op).
    const rm = await labExec("lab2", ["sh", "-c", "docker tag lading/webapp:1.1 lading-e2e-stash/webapp:1.1 && docker image rm lading/webapp:1.1"]);
    assert.equal(rm.code, 0, rm.stderr);
    try {
      const before = await startTimes(d);
      const up = await lading(["upgrade", "-d", d.dir, "-s", "webapp", "--set", "webapp_tag=1.1"]);
      assert.equal(up.code, 1, up.stdout + up.stderr);
      assert.match(up.stdout + up.stderr, /lading\/webapp:1\.1/);
      assert.deepEqual(await startTimes(d), before);
      assert.deepEqual(await hostVersions(), ["1.0", "1.0", "1.0"]);
    } finally {
      const restore = await labExec("lab2", ["sh", "-c", "docker tag lading-e2e-stash/webapp:1.1 lading/webapp:1.1 && docker image rm lading-e2e-stash/webapp:1.1"]);
      assert.equal(restore.code, 0, restore.stderr);
    }
  });

  it("a lock held by another run refuses with who and what; --break-lock takes it over; the audit log records changes", async () => {
    const lock = JSON.stringify({ id: "other-run", who: "ann@elsewhere", controller: "elsewhere", pid: 4242, command: "deploy", time: "2020-01-01T00:00:00.000Z" });
    await onHost(d, "lab3", `mkdir -p /etc/lading/.lading && printf '%s\\n' '${lock}' > /etc/lading/.lading/lock`);
    const status = await lading(["lock", "status", "-d", d.dir]);
    assert.equal(status.code, 2, status.stdout + status.stderr);
    assert.match(status.stdout, /lab3: locked by ann@elsewhere \(pid 4242 on elsewhere\) running "deploy" since 2020-01-01T00:00:00.000Z/);
    assert.match(status.stdout, /lab1: free/);
    // A read-only command takes no lock but says who holds one.
    const plan = await lading(["plan", "-d", d.dir]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout + plan.stderr, /warning: lab3: locked by ann@elsewhere.*what this run reads may be changing/);
    const refused = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout + refused.stderr, /locked by ann@elsewhere.*looks stale/);
    await onHost(d, "lab1", "test ! -e /etc/lading/.lading/lock");
    const broke = await lading(["reconfigure", "-d", d.dir, "--break-lock"]);
    assert.equal(broke.code, 0, broke.stdout + broke.stderr);
    for (const h of LAB_HOSTS) await onHost(d, h, "test ! -e /etc/lading/.lading/lock");
    const audit = await onHost(d, "lab2", "stat -c %a /etc/lading/.lading/audit.log && cat /etc/lading/.lading/audit.log");
    const [mode, ...lines] = audit.trim().split("\n");
    assert.equal(mode, "600");
    const entries = lines.map((l) => JSON.parse(l) as { command: string; kind: string; target: string });
    assert.ok(entries.some((e) => e.command === "upgrade" && e.kind === "recreate" && e.target === "webapp"));
    assert.ok(entries.some((e) => e.command === "rollback" && e.kind === "recreate"));
  });

  it("bootstrap-servers --dry-run on the running lab hosts: daemon.json (live-restore) and one engine restart per host", async () => {
    // Only the plan here: bootstrap.test.ts restarts the lab's engines for real (through Debian's init script,
    // one host at a time) and removes daemon.json after, so this plan still writes it and restarts each engine.
    const dry = await lading(["bootstrap-servers", "-d", d.dir, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    for (const h of LAB_HOSTS) {
      assert.match(dry.stdout, new RegExp(`^${h}: write /etc/docker/daemon.json \\(daemon.json: (missing|content differs)\\)$`, "m"));
      assert.match(dry.stdout, new RegExp(`^${h}: restart-engine .*live-restore`, "m"));
      assert.doesNotMatch(dry.stdout, new RegExp(`^${h}: install-engine`, "m"));
    }
    for (const h of LAB_HOSTS) await onHost(d, h, "test ! -e /etc/docker/daemon.json || ! grep -q live-restore /etc/docker/daemon.json");
  });

  it("destroy --service webapp shows its plan, then removes everything of it while Galera and RabbitMQ keep running", async () => {
    const dry = await lading(["destroy", "-d", d.dir, "-s", "webapp"]);
    assert.equal(dry.code, 2, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /drop-database +webapp/);
    await onHost(d, "lab1", "docker inspect webapp >/dev/null");
    const before = await startTimes(d);
    try {
      const gone = await lading(["destroy", "-d", d.dir, "-s", "webapp", "--yes"]);
      assert.equal(gone.code, 0, gone.stdout + gone.stderr);
      const after = await startTimes(d);
      for (const h of LAB_HOSTS) {
        assert.equal(await onHost(d, h, "docker ps -a --filter name=^webapp$ -q"), "");
        await onHost(d, h, "test ! -e /etc/lading/webapp && test ! -e /etc/lading/.lading/revisions/webapp");
        assert.doesNotMatch(await onHost(d, h, "cat /etc/lading/haproxy/haproxy.cfg"), /webapp/);
        // HAProxy reloaded in place (SIGUSR2), Galera and RabbitMQ untouched.
        for (const c of ["haproxy", "mariadb", "rabbitmq"]) assert.equal(after[`${h}/${c}`], before[`${h}/${c}`], `${h}/${c} was not restarted`);
      }
      const sql = await onHost(d, "lab1", `docker exec mariadb mysql -N -B -e "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='webapp'; SELECT COUNT(*) FROM mysql.user WHERE user='webapp'; SHOW STATUS LIKE 'wsrep_cluster_size'"`);
      assert.match(sql, /^0\n0\nwsrep_cluster_size\t3\n$/);
      const users = await onHost(d, "lab2", "docker exec rabbitmq rabbitmqctl --quiet list_users --formatter json");
      assert.ok(!(JSON.parse(users) as { user: string }[]).some((u) => u.user === "webapp"));
      const vhosts = await onHost(d, "lab2", "docker exec rabbitmq rabbitmqctl --quiet list_vhosts --formatter json");
      assert.ok(!(JSON.parse(vhosts) as { name: string }[]).some((v) => v.name === "webapp"));
      const cluster = JSON.parse(await onHost(d, "lab3", "docker exec rabbitmq rabbitmqctl --quiet cluster_status --formatter json")) as { running_nodes: string[] };
      assert.equal(cluster.running_nodes.length, 3);
      assert.equal(await version(VIP), undefined);
    } catch (err) {
      // The next test removes everything and redeploys once (a deploy costs minutes of the CI budget); a
      // failure here must still leave the cluster whole for it.
      await lading(["deploy", "-d", d.dir]);
      throw err;
    }
  });

  it("destroy --all --yes removes every container, volume and file lading put on the hosts; deploy brings it all back", async () => {
    try {
      const gone = await lading(["destroy", "-d", d.dir, "--all", "--yes"]);
      assert.equal(gone.code, 0, gone.stdout + gone.stderr);
      for (const h of LAB_HOSTS) {
        assert.equal(await onHost(d, h, "docker ps -aq --filter label=lading.managed=true"), "");
        assert.equal(await onHost(d, h, "docker volume ls -q | grep -E '^(mariadb|rabbitmq)$' || true"), "");
        // Only the audit entries of the destroy itself stay behind (the audit log is append-only).
        assert.equal((await onHost(d, h, "find /etc/lading -type f 2>/dev/null || true")).trim(), "/etc/lading/.lading/audit.log");
      }
    } finally {
      // The e2e files after this one reuse the deployment: leave it running.
      const redeploy = await lading(["deploy", "-d", d.dir]);
      assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
    }
    await eventually("webapp back through the VIP", 120_000, async () => ((await version(VIP)) === "1.0" ? true : undefined));
  });
});
