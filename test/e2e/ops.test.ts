// The operator's day on the lab: ps (with a container stopped by hand), logs -f across a rolling reconfigure,
// exec on every host (a failing host named, hostile arguments as data), and two environments of one folder
// deploying to different hosts without touching each other's. Each test restores what it changed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PsRow } from "../../src/ops/ps.js";
import { packageRoot } from "../../src/paths.js";
import { ensureDeployed, eventually, lading, LAB_ADDRESSES, LAB_HOSTS, onHost, setGlobal, type Deployment } from "./deployment-fixture.js";

/** A line of `ps --json`: a row of src/ops/ps.ts with its event type. */
type PsJsonRow = PsRow & { type: string };

const SERVICES = ["haproxy", "keepalived", "mariadb", "rabbitmq", "memcached", "webapp"];

async function psJson(d: Deployment): Promise<PsJsonRow[]> {
  const r = await lading(["ps", "-d", d.dir, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  // Every line parses: the run's events and one "container" line per container.
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as PsJsonRow);
  return lines.filter((l) => l.type === "container");
}

describe("the operator's day: ps, logs, exec, environments", function () {
  this.timeout(900_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("ps lists every container with health and revision, and flags one stopped by hand", async () => {
    const rows = await psJson(d);
    for (const h of LAB_HOSTS)
      for (const s of SERVICES) {
        const row = rows.find((r) => r.host === h && r.service === s);
        assert.ok(row, `${h} ${s} listed`);
        assert.equal(row.state, "running", `${h} ${s}`);
        assert.ok(row.revision && row.revision >= 1, `${h} ${s} has a revision`);
        assert.ok(row.uptimeMs !== undefined && row.imageId, `${h} ${s} uptime and image`);
        assert.deepEqual(row.drift, [], `${h} ${s} in sync`);
      }
    const mariadb = rows.find((r) => r.host === "lab1" && r.service === "mariadb")!;
    assert.equal(mariadb.health, "healthy");
    assert.ok(mariadb.healthSince && Number.isFinite(Date.parse(mariadb.healthSince)), "health since when");
    const table = await lading(["ps", "-d", d.dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^HOST +SERVICE +CONTAINER +STATE +HEALTH +UPTIME +IMAGE +DIGEST +REV +DESIRED$/m);
    assert.match(table.stdout, /^lab2 +mariadb +mariadb +running +healthy /m);

    await onHost(d, "lab2", "docker stop memcached >/dev/null");
    try {
      const after = await psJson(d);
      const stopped = after.find((r) => r.host === "lab2" && r.service === "memcached")!;
      assert.equal(stopped.state, "exited");
      assert.match(stopped.drift.join("\n"), /start memcached/);
      const others = after.filter((r) => !(r.host === "lab2" && r.service === "memcached"));
      assert.ok(others.every((r) => r.state === "running" && r.drift.length === 0));
      const text = await lading(["ps", "-d", d.dir, "-s", "memcached"]);
      assert.match(text.stdout, /^lab2 +memcached +memcached +exited .*DIFFERS: start memcached/m);
      assert.match(text.stdout, /1 container\(s\) not as desired/);
      assert.doesNotMatch(text.stdout, /mariadb/, "-s memcached lists memcached only");
    } finally {
      await onHost(d, "lab2", "docker start memcached >/dev/null");
      await eventually("memcached healthy again on lab2", 60_000, async () =>
        (await onHost(d, "lab2", "docker inspect --format '{{.State.Health.Status}}' memcached")).trim() === "healthy" ? true : undefined,
      );
    }
  });

  it("logs -f follows mariadb on all three hosts across a rolling reconfigure, and ends cleanly on Ctrl-C", async () => {
    const child = spawn(process.execPath, [join(packageRoot, "bin", "lading.js"), "logs", "mariadb", "-f", "--tail", "5", "-d", d.dir], {
      env: { ...process.env, CI: "true", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    try {
      await eventually("log lines of every host", 60_000, async () => (LAB_HOSTS.every((h) => new RegExp(`^${h} \\| `, "m").test(out)) ? true : undefined));
      setGlobal(d, "mariadb_max_connections", String(1400 + Math.floor(Math.random() * 50)));
      const re = await lading(["reconfigure", "-d", d.dir, "-s", "mariadb"]);
      assert.equal(re.code, 0, `${re.stdout}\n${re.stderr}`);
      // Each host's follow saw its container stop, came back to it, and printed lines after that.
      await eventually("every host followed across its restart", 120_000, async () => {
        for (const h of LAB_HOSTS) {
          const lines = out.split("\n").filter((l) => l.startsWith(`${h} | `));
          const back = lines.findIndex((l) => /-- lading: mariadb runs again/.test(l));
          if (!lines.some((l) => /-- lading: mariadb stopped/.test(l)) || back < 0 || back === lines.length - 1) return undefined;
        }
        return true;
      });
    } finally {
      child.kill("SIGINT");
    }
    // A follow that does not end on Ctrl-C must fail this test, not hang the suite.
    const hung = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await exited;
    clearTimeout(hung);
    assert.equal(code, 0, `Ctrl-C ends a follow with exit 0 (within 20 s)\n${err}\n${out.split("\n").slice(-15).join("\n")}`);
    // Restarts were one at a time: the notices of one host's restart come before the next host's stop.
    const notices = out.split("\n").filter((l) => /-- lading: mariadb (stopped|runs again)/.test(l)).map((l) => `${l.slice(0, 4)} ${/stopped/.test(l) ? "stop" : "back"}`);
    const order = notices.filter((n, i) => notices.indexOf(n) === i);
    assert.equal(order.length, 6, order.join(", "));
    for (let i = 0; i < 6; i += 2) assert.equal(order[i]!.slice(0, 4), order[i + 1]!.slice(0, 4), `a host comes back before the next stops: ${order.join(", ")}`);
  });

  it("exec --all runs in every host's container; a failing host is named; hostile arguments arrive as data", async () => {
    const all = await lading(["exec", "mariadb", "--all", "-d", d.dir, "--", "mariadb", "-e", 'SHOW STATUS LIKE "wsrep_cluster_size"']);
    assert.equal(all.code, 0, all.stderr);
    for (const h of LAB_HOSTS) assert.match(all.stdout, new RegExp(`^${h} \\| wsrep_cluster_size\\s+3$`, "m"));
    assert.match(all.stderr, /^ok +lab1: exit 0$/m);

    await onHost(d, "lab2", "docker exec mariadb touch /tmp/lading-e2e-fail-here");
    try {
      const failing = await lading(["exec", "mariadb", "--all", "-d", d.dir, "--", "sh", "-c", "! test -e /tmp/lading-e2e-fail-here"]);
      assert.equal(failing.code, 1);
      assert.match(failing.stderr, /^FAILED lab2: exit 1$/m);
      assert.match(failing.stderr, /the command failed on lab2$/m);
      assert.match(failing.stderr, /^ok +lab3: exit 0$/m);
    } finally {
      await onHost(d, "lab2", "docker exec mariadb rm -f /tmp/lading-e2e-fail-here");
    }

    const hostile = ["$(touch /tmp/lading-pwned)", "a; touch /tmp/lading-pwned", "`touch /tmp/lading-pwned`", "it's", '"q"', "*", "--all", "|| true"];
    const one = await lading(["exec", "mariadb", "--host", "lab3", "-d", d.dir, "--", "printf", "%s\\n", ...hostile]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(one.stdout.split("\n").slice(0, -1), hostile, "one host: its output unprefixed, each argument one line as typed");
    const pwned = await onHost(d, "lab3", "ls /tmp/lading-pwned 2>/dev/null; docker exec mariadb ls /tmp/lading-pwned 2>/dev/null; true");
    assert.equal(pwned.trim(), "", "nothing ran as a command");
    const code = await lading(["exec", "mariadb", "--host", "lab1", "-d", d.dir, "--", "sh", "-c", "exit 42"]);
    assert.equal(code.code, 42, "one host: its exit code");
  });

  it("two environments of one folder deploy to different hosts; the second's run does not touch the first's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-e2e-env-"));
    const memcachedOf = async (h: string): Promise<string> => (await onHost(d, h, "docker inspect --format '{{.Id}} {{.State.StartedAt}} {{json .Config.Cmd}}' memcached")).trim();
    try {
      // The lab example's roles and shared globals; config/ overrides only services these environments leave off.
      cpSync(join(packageRoot, "examples", "lab"), dir, { recursive: true });
      rmSync(join(dir, "config"), { recursive: true, force: true });
      copyFileSync(join(d.dir, "passwords.yml"), join(dir, "passwords.yml"));
      for (const [env, host, mb] of [["one", "lab1", 32], ["two", "lab2", 48]] as const) {
        mkdirSync(join(dir, "environments", env), { recursive: true });
        writeFileSync(
          join(dir, "environments", env, "inventory.yml"),
          `defaults:\n  user: root\n  key: ~/.cache/lading/lab/ssh/id_ed25519\n  knownHosts: ~/.cache/lading/lab/ssh/known_hosts\nhosts:\n  ${host}:\n    address: ${LAB_ADDRESSES[host]}\ngroups:\n  memcached:\n    hosts: [${host}]\n`,
        );
        writeFileSync(
          join(dir, "environments", env, "globals.yml"),
          `config_dir: /etc/lading-env-${env}\nenable_haproxy: false\nenable_keepalived: false\nenable_mariadb: false\nenable_rabbitmq: false\nenable_webapp: false\nmemcached_memory_mb: ${mb}\n`,
        );
      }
      const validated = await lading(["validate", "-d", dir]);
      assert.equal(validated.code, 0, validated.stderr);
      assert.match(validated.stdout, /^ok one: 1 hosts, 1 services/m);
      assert.match(validated.stdout, /^ok two: 1 hosts, 1 services/m);

      const before = Object.fromEntries(await Promise.all(LAB_HOSTS.map(async (h) => [h, await memcachedOf(h)] as const)));
      const one = await lading(["deploy", "-d", dir, "-e", "one"]);
      assert.equal(one.code, 0, `${one.stdout}\n${one.stderr}`);
      const afterOne = Object.fromEntries(await Promise.all(LAB_HOSTS.map(async (h) => [h, await memcachedOf(h)] as const)));
      assert.notEqual(afterOne.lab1, before.lab1);
      assert.match(afterOne.lab1!, /"-m","32"/);
      assert.equal(afterOne.lab2, before.lab2, "lab2 untouched by environment one");
      assert.equal(afterOne.lab3, before.lab3, "lab3 untouched by environment one");

      const two = await lading(["deploy", "-d", dir, "-e", "two"]);
      assert.equal(two.code, 0, `${two.stdout}\n${two.stderr}`);
      assert.doesNotMatch(two.stdout, /lab1|lab3/, "the second environment's run names only its host");
      const afterTwo = Object.fromEntries(await Promise.all(LAB_HOSTS.map(async (h) => [h, await memcachedOf(h)] as const)));
      assert.match(afterTwo.lab2!, /"-m","48"/);
      assert.equal(afterTwo.lab1, afterOne.lab1, "environment one's host untouched by environment two");
      assert.equal(afterTwo.lab3, before.lab3);
      // The audit log of each environment's host says which environment ran; the other hosts have none.
      assert.match(await onHost(d, "lab1", "cat /etc/lading-env-one/.lading/audit.log"), /"command":"deploy","environment":"one"/);
      assert.match(await onHost(d, "lab2", "cat /etc/lading-env-two/.lading/audit.log"), /"environment":"two"/);
      assert.equal((await onHost(d, "lab3", "ls -d /etc/lading-env-* 2>/dev/null; true")).trim(), "");
      assert.equal((await onHost(d, "lab1", "ls -d /etc/lading-env-two 2>/dev/null; true")).trim(), "");

      const missing = await lading(["deploy", "-d", dir, "-e", "three"]);
      assert.equal(missing.code, 3);
      assert.match(missing.stderr, /--environment: environment "three" not found/);
    } finally {
      // Give the shared deployment its memcached back on lab1 and lab2, and remove the environments' state.
      const restore = await lading(["deploy", "-d", d.dir, "-s", "memcached"]);
      for (const h of ["lab1", "lab2"]) await onHost(d, h, "rm -rf /etc/lading-env-one /etc/lading-env-two");
      rmSync(dir, { recursive: true, force: true });
      assert.equal(restore.code, 0, `${restore.stdout}\n${restore.stderr}`);
    }
    const plan = await lading(["plan", "-d", d.dir]);
    assert.equal(plan.code, 0, `the shared deployment is whole again:\n${plan.stdout}`);
  });
});
