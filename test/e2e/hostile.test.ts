// Hostile input, secrets and access on the lab:
// - a user role whose parameter, file name, password, container argument and environment hold shell
//   metacharacters, quotes, newlines, `$(...)` and unicode: everything arrives byte for byte, the password
//   works in MariaDB and RabbitMQ, and the canary file named in the values is never created anywhere;
// - after a full deploy and a failed one (a health gate halts the rollout), no secret of passwords.yml
//   appears in lading's output or --json events, the plan's diffs, the hosts' .lading folder, any process's
//   command line (sampled on the hosts and the controller while lading runs), any container's inspect
//   (Env, Cmd, Labels...), or any file but the rendered ones, which are 0600/0640;
// - host keys: unknown refused (fingerprint shown) unless --accept-new-host-keys, changed always refused;
// - a non-root deploy user with NOPASSWD sudo (become) plans and repairs a file, keeping its owner and mode;
//   a user without sudo gets a clear error.
// Each test puts the shared deployment back as it found it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { labExec } from "../../src/lab/index.js";
import { packageRoot } from "../../src/paths.js";
import { quoteArg } from "../../src/transport/quote.js";
import { ensureDeployed, eventually, lading, LAB_HOSTS, onHost, type CliResult, type Deployment } from "./deployment-fixture.js";

/** A canary file per run: every hostile value tries to create it. */
const CANARY = `/tmp/lading-pwned-${randomBytes(4).toString("hex")}`;
const INJECT = `$(touch ${CANARY})`;
/** A one-line value (INI and the like cannot carry a newline in a value) and a multi-line one. */
const HOSTILE_LINE = `; touch ${CANARY} | tee ${CANARY} & \`touch ${CANARY}\` ${INJECT} 'single' "double" \\back\\slash * ?[a] -rf --help ~root $HOME ünïcödé ✓ 日本`;
const HOSTILE_TEXT = `${HOSTILE_LINE}\nsecond line ${INJECT}\n\ttabbed; '\n`;
// No slash: a dest with one is a path below the config folder, not one file.
const HOSTILE_DEST = `we ird;$(id) 'q' "d" \`id\` & | ü * -rf.txt`;
/** A password with every quote and metacharacter (no newline: a password is one line for rabbitmqctl). */
const HOSTILE_PASSWORD = `p'a"s\\s${INJECT}\`id\`;|&<>*? ü-${randomBytes(3).toString("hex")}`;

const HOSTILE_ROLE = `name: hostile
description: A user role of the hostile-input test; every value it renders is hostile.
groups: [control]
dependsOn: [mariadb, rabbitmq]
parameters:
  hostile_text: {type: string, description: Hostile text., default: "x"}
  hostile_dest: {type: string, description: Hostile file name., default: "x.txt"}
secrets:
  hostile_password: {kind: password, description: Hostile password., length: 32}
containers:
  hostile:
    image: "lading/memcached:1.0"
    command: [sh, -c, "exec sleep 2147483647", hostile, "{{hostile_text}}"]
    environment: {HOSTILE_TEXT: "{{hostile_text}}"}
    stopTimeout: 1
    volumes:
      - {target: /etc/hostile, config: true, readOnly: true}
    healthcheck: {test: [test, -f, /etc/hostile/secret.txt], interval: 2s, timeout: 2s, retries: 2, startPeriod: 1s}
files:
  - template: text.hbs
    dest: "{{hostile_dest}}"
  - template: secret.hbs
    dest: secret.txt
    mode: "0600"
database:
  name: hostile
  user: hostile
  passwordSecret: hostile_password
messaging:
  vhost: hostile
  user: hostile
  passwordSecret: hostile_password
`;

const sha256Of = (s: string): string => execFileSync("sha256sum", { input: Buffer.from(s, "utf8") }).toString().split(" ")[0]!;

/** Every secret value of a passwords file (private keys included), 8 characters or more. */
function secretsOf(file: string): string[] {
  const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  for (const v of Object.values(doc)) {
    if (typeof v === "string") out.push(v);
    else if (v && typeof v === "object" && typeof (v as { private_key?: unknown }).private_key === "string") out.push((v as { private_key: string }).private_key);
  }
  return out.filter((s) => s.length >= 8);
}

/** The secrets found in `text`, shown by name only (never the value, so a failing test leaks nothing). */
function leaks(text: string, secrets: string[]): string[] {
  return secrets.map((s, i) => (text.includes(s) ? `secret #${i} (${s.length} chars)` : "")).filter(Boolean);
}

/** Samples every process's command line on the lab hosts and the controller until stopped. */
function sampleCommandLines(): { stop: () => Promise<string[]> } {
  const seen = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all([
        ...LAB_HOSTS.map(async (h) => {
          // /proc/*/cmdline, NUL-separated, so arguments with spaces or newlines are seen whole.
          const r = await labExec(h, ["sh", "-c", "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' <\"$f\" 2>/dev/null; echo; done"]);
          for (const l of r.stdout.split("\n")) if (l.trim()) seen.add(`${h}: ${l}`);
        }),
        (async () => {
          const out = execFileSync("ps", ["-eww", "-o", "args="]).toString();
          for (const l of out.split("\n")) if (l.trim()) seen.add(`controller: ${l}`);
        })(),
      ]);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...seen];
    },
  };
}

/** Runs lading while sampling command lines; returns its result and the lines seen. */
async function ladingSampled(args: string[], env?: Record<string, string>): Promise<{ run: CliResult; lines: string[] }> {
  const sampler = sampleCommandLines();
  const run = await lading(args, { env });
  return { run, lines: await sampler.stop() };
}

/** `docker inspect` of every container on every lab host, as one text. */
async function inspectAll(): Promise<string> {
  const parts = await Promise.all(LAB_HOSTS.map(async (h) => (await labExec(h, ["sh", "-c", "docker ps -aq | xargs -r docker inspect"])).stdout));
  return parts.join("\n");
}

/** Files on a host under the given folders that hold any of the secrets (given on stdin, never in argv). */
async function filesHoldingSecrets(host: string, secrets: string[], dirs: string[]): Promise<string[]> {
  const r = await labExec(host, ["sh", "-c", 'grep -rlF -f /dev/stdin -- "$@" 2>/dev/null || true', "sh", ...dirs], { input: `${secrets.join("\n")}\n` });
  return r.stdout.split("\n").filter(Boolean);
}

async function canaryAnywhere(): Promise<string[]> {
  const found: string[] = [];
  try {
    readFileSync(CANARY);
    found.push(`controller:${CANARY}`);
  } catch {
    // absent: good
  }
  for (const h of LAB_HOSTS) {
    const r = await labExec(h, ["sh", "-c", `test -e ${CANARY} && echo host; for c in $(docker ps -q); do docker exec "$c" test -e ${CANARY} && echo "container $c"; done; true`]);
    for (const l of r.stdout.split("\n").filter(Boolean)) found.push(`${h}: ${l}`);
  }
  return found;
}


describe("hostile input, secrets and access (e2e)", function () {
  this.timeout(1_800_000);
  let d: Deployment;
  let secrets: string[];
  const outputs: { what: string; text: string }[] = [];
  const commandLines: string[] = [];

  before(async () => {
    d = await ensureDeployed();
    secrets = secretsOf(join(d.dir, "passwords.yml"));
    assert.ok(secrets.length >= 5, `${secrets.length} secrets`);
    outputs.push({ what: "first deploy", text: d.firstDeploy.stdout + d.firstDeploy.stderr });
  });

  it("deploys hostile values byte for byte (file name, content, password, command, environment) and runs none of them", async () => {
    const roleDir = join(d.dir, "roles", "hostile");
    mkdirSync(join(roleDir, "templates"), { recursive: true });
    writeFileSync(join(roleDir, "role.yaml"), HOSTILE_ROLE);
    writeFileSync(join(roleDir, "templates", "text.hbs"), "{{hostile_text}}");
    writeFileSync(join(roleDir, "templates", "secret.hbs"), "{{secrets.hostile_password}}");
    const globalsFile = join(d.dir, "globals.yml");
    const passwordsFile = join(d.dir, "passwords.yml");
    const globals = readFileSync(globalsFile, "utf8");
    const passwords = readFileSync(passwordsFile, "utf8");
    // JSON strings are YAML strings: every byte written exactly.
    writeFileSync(globalsFile, `${globals}\nhostile_text: ${JSON.stringify(HOSTILE_TEXT)}\nhostile_dest: ${JSON.stringify(HOSTILE_DEST)}\n`);
    writeFileSync(passwordsFile, `${passwords}\nhostile_password: ${JSON.stringify(HOSTILE_PASSWORD)}\n`);
    try {
      const { run, lines } = await ladingSampled(["deploy", "-d", d.dir, "--service", "hostile", "--json"]);
      outputs.push({ what: "hostile deploy --json", text: run.stdout + run.stderr });
      commandLines.push(...lines);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      for (const line of run.stdout.trim().split("\n")) JSON.parse(line);
      for (const h of LAB_HOSTS) {
        const dir = "/etc/lading/hostile";
        const text = await onHost(d, h, `sha256sum ${quoteArg(`${dir}/${HOSTILE_DEST}`)} ${dir}/secret.txt; stat -c '%a %U:%G' ${dir}/secret.txt`);
        const [textLine, secretLine, secretStat] = text.trim().split("\n");
        assert.equal(textLine!.split(" ")[0], sha256Of(HOSTILE_TEXT), `${h}: the hostile text, byte for byte`);
        assert.equal(secretLine!.split(" ")[0], sha256Of(HOSTILE_PASSWORD), `${h}: the hostile password, byte for byte`);
        assert.equal(secretStat, "600 root:root");
        // The container got the argument and the environment variable exactly.
        const cmd = JSON.parse(await onHost(d, h, "docker inspect --format '{{json .Config.Cmd}}' hostile")) as string[];
        assert.deepEqual(cmd, ["sh", "-c", "exec sleep 2147483647", "hostile", HOSTILE_TEXT]);
        const env = JSON.parse(await onHost(d, h, "docker inspect --format '{{json .Config.Env}}' hostile")) as string[];
        assert.ok(env.includes(`HOSTILE_TEXT=${HOSTILE_TEXT}`), `${h}: HOSTILE_TEXT arrives whole`);
        const argv = (await onHost(d, h, "docker exec hostile cat /proc/1/cmdline")).split("\0");
        assert.deepEqual(argv.slice(0, -1), ["sleep", "2147483647"], "sh exec'd the fixed script; the value stayed an argument");
      }
      // The hostile password works as itself in MariaDB (through the VIP) and RabbitMQ: given on stdin here too.
      // PyMySQL would encode a str password as latin1; clients send UTF-8, so the test gives it the bytes.
      const db = await labExec("lab1", ["docker", "exec", "-i", "webapp", "python3", "-c",
        "import sys, pymysql; pw = sys.stdin.read(); c = pymysql.connect(host='10.98.0.100', port=3306, user='hostile', password=pw.encode('utf-8'), database='hostile'); print('db ok')"], { input: HOSTILE_PASSWORD });
      assert.match(db.stdout, /db ok/, db.stderr);
      const mq = await labExec("lab1", ["docker", "exec", "-i", "webapp", "python3", "-c",
        "import sys, pika; pw = sys.stdin.read(); pika.BlockingConnection(pika.ConnectionParameters(host='10.98.0.11', port=5672, virtual_host='hostile', credentials=pika.PlainCredentials('hostile', pw))).close(); print('mq ok')"], { input: HOSTILE_PASSWORD });
      assert.match(mq.stdout, /mq ok/, mq.stderr);
      // Re-planning the same values is a no-op: they round-trip through the facts too.
      const again = await lading(["plan", "-d", d.dir, "--service", "hostile"]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      secrets.push(HOSTILE_PASSWORD);
      // Scan what the hostile deploy left while it is there.
      outputs.push({ what: "hostile plan", text: again.stdout + again.stderr });
      assert.deepEqual(leaks(await inspectAll(), secrets), [], "docker inspect of every container holds no secret");
    } finally {
      const destroy = await lading(["destroy", "-d", d.dir, "--service", "hostile", "--yes"]);
      rmSync(roleDir, { recursive: true, force: true });
      rmSync(join(d.dir, "roles"), { recursive: true, force: true });
      writeFileSync(globalsFile, globals);
      writeFileSync(passwordsFile, passwords);
      assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
    }
    assert.deepEqual(await canaryAnywhere(), [], "the canary file exists nowhere");
  });

  it("a failed deploy (health gate halts the rollout) leaks no secret either; then the deployment is put back", async () => {
    const roleDir = join(d.dir, "roles", "webapp");
    cpSync(join(packageRoot, "roles", "webapp"), roleDir, { recursive: true });
    const roleFile = join(roleDir, "role.yaml");
    writeFileSync(roleFile, readFileSync(roleFile, "utf8").replace(/  minHealthy: 5s/, "  minHealthy: 5s\n  deadline: 25s\n  onFailure: halt"));
    const override = join(d.dir, "config", "webapp");
    mkdirSync(override, { recursive: true });
    writeFileSync(join(override, "webapp.ini"), "[database]\nport = 1\n");
    try {
      const plan = await lading(["plan", "-d", d.dir]);
      outputs.push({ what: "plan with a diff of webapp.ini (holds two passwords)", text: plan.stdout + plan.stderr });
      assert.equal(plan.code, 2, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /webapp\.ini/);
      assert.match(plan.stdout, /port = 1/, "the diff is shown");
      const planJson = await lading(["plan", "-d", d.dir, "--json"]);
      outputs.push({ what: "plan --json", text: planJson.stdout + planJson.stderr });
      const { run, lines } = await ladingSampled(["reconfigure", "-d", d.dir]);
      outputs.push({ what: "failed reconfigure", text: run.stdout + run.stderr });
      commandLines.push(...lines);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /HALTED at webapp on lab1/);
      assert.deepEqual(leaks(await inspectAll(), secrets), [], "docker inspect after the failed run holds no secret");
    } finally {
      rmSync(join(d.dir, "roles"), { recursive: true, force: true });
      rmSync(override, { recursive: true, force: true });
    }
    const { run, lines } = await ladingSampled(["reconfigure", "-d", d.dir, "--json"]);
    outputs.push({ what: "restoring reconfigure --json", text: run.stdout + run.stderr });
    commandLines.push(...lines);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it("no secret in lading's output, --json events, plans and diffs, or any sampled command line", () => {
    assert.ok(commandLines.length > 50, `${commandLines.length} command lines sampled`);
    assert.ok(commandLines.some((l) => /docker/.test(l)), "the sampler saw lading's docker commands");
    for (const o of outputs) assert.deepEqual(leaks(o.text, secrets), [], `${o.what}: no secret`);
    const leaked = commandLines.filter((l) => leaks(l, secrets).length);
    assert.deepEqual(leaked.map((l) => `${l.slice(0, l.indexOf(":"))}: ${leaks(l, secrets).join(", ")}`), [], "no secret in any command line");
  });

  it("secrets are only in the rendered files and the rollback revisions (0600/0640, root), never in /root, /tmp or logs", async () => {
    for (const h of LAB_HOSTS) {
      const files = await filesHoldingSecrets(h, secrets, ["/etc/lading", "/root", "/tmp", "/var/log", "/home"]);
      assert.ok(files.length >= 2, `${h}: the rendered files with secrets are found (${files.join(", ")})`);
      for (const f of files) {
        // A revision keeps the config files of a deployed release (rollback puts them back): it holds their secrets.
        const revision = /^\/etc\/lading\/\.lading\/revisions\/[a-z]+\/\d+\.json$/.test(f);
        assert.ok(revision || /^\/etc\/lading\/[a-z]+\/[^/]+$/.test(f), `${h}: ${f} is a rendered config file or a revision`);
        const mode = (await labExec(h, ["stat", "-c", "%a %u", f])).stdout.trim();
        assert.match(mode, revision ? /^600 0$/ : /^(600|640) 0$/, `${h}: ${f} is ${mode}`);
      }
      assert.equal((await labExec(h, ["stat", "-c", "%a %u", "/etc/lading/.lading"])).stdout.trim(), "700 0", `${h}: lading's own folder is root's only`);
    }
  });

  it("host keys: an unknown key is refused with its fingerprint unless --accept-new-host-keys; a changed key is always refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-hostkeys-"));
    try {
      cpSync(d.dir, dir, { recursive: true });
      const kh = join(dir, "known_hosts");
      writeFileSync(kh, "");
      writeFileSync(join(dir, "inventory.yml"), readFileSync(join(d.dir, "inventory.yml"), "utf8").replace(/knownHosts: .*/, `knownHosts: ${kh}`));
      const refused = await lading(["plan", "-d", dir]);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout + refused.stderr, /SHA256:[A-Za-z0-9+/]{43}/, "the fingerprint is shown");
      assert.equal(readFileSync(kh, "utf8"), "", "nothing recorded");
      const accepted = await lading(["plan", "-d", dir, "--accept-new-host-keys"]);
      assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
      const recorded = readFileSync(kh, "utf8").trim().split("\n");
      assert.equal(recorded.length, 3, "one key per host recorded");
      assert.equal((await lading(["plan", "-d", dir])).code, 0, "then known");
      // lab2's entry now holds lab1's key: a changed key, refused even with --accept-new-host-keys.
      const keyOf = (addr: string) => recorded.find((l) => l.startsWith(`${addr} `) || l.includes(addr))!.split(" ").slice(1).join(" ");
      writeFileSync(kh, recorded.map((l) => (l.includes("10.98.0.12") ? `10.98.0.12 ${keyOf("10.98.0.11")}` : l)).join("\n") + "\n");
      for (const extra of [[], ["--accept-new-host-keys"]]) {
        const changed = await lading(["plan", "-d", dir, ...extra]);
        assert.equal(changed.code, 1);
        assert.match(changed.stdout + changed.stderr, /lab2.*(changed|does not match|mismatch)/i);
        assert.match(changed.stdout + changed.stderr, /SHA256:/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a non-root user with NOPASSWD sudo plans and repairs a file through sudo, keeping owner and mode; a user without sudo is told why", async () => {
    const pub = readFileSync(`${d.lab.sshKey}.pub`, "utf8").trim();
    // The lab's public key arrives on stdin.
    const setup = [
      "set -e",
      "KEY=$(cat)",
      "for u in deployer nosudo; do",
      "  id $u >/dev/null 2>&1 || useradd -m -s /bin/sh $u",
      "  mkdir -p /home/$u/.ssh; printf '%s\\n' \"$KEY\" >/home/$u/.ssh/authorized_keys",
      "  chown -R $u:$u /home/$u/.ssh; chmod 700 /home/$u/.ssh; chmod 600 /home/$u/.ssh/authorized_keys",
      "done",
      "echo 'deployer ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/lading-deployer; chmod 0440 /etc/sudoers.d/lading-deployer",
    ].join("\n");
    const dirs: string[] = [];
    const copyAs = (user: string): string => {
      const dir = mkdtempSync(join(tmpdir(), `lading-${user}-`));
      dirs.push(dir);
      cpSync(d.dir, dir, { recursive: true });
      writeFileSync(join(dir, "inventory.yml"), readFileSync(join(d.dir, "inventory.yml"), "utf8").replace(/  user: root/, `  user: ${user}\n  become: true`));
      return dir;
    };
    try {
      for (const h of LAB_HOSTS) {
        const r = await labExec(h, ["sh", "-c", setup], { input: `${pub}\n` });
        assert.equal(r.code, 0, r.stderr);
      }
      const ini = "/etc/lading/webapp/webapp.ini";
      const statBefore = await onHost(d, "lab1", `stat -c '%a %U:%g' ${ini}`);
      await onHost(d, "lab1", `printf '# edited by hand\\n' >> ${ini}`);
      const asDeployer = copyAs("deployer");
      const plan = await lading(["plan", "-d", asDeployer]);
      assert.equal(plan.code, 2, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /webapp\.ini: content differs/);
      outputs.push({ what: "plan as deployer", text: plan.stdout + plan.stderr });
      const fix = await lading(["reconfigure", "-d", asDeployer]);
      assert.equal(fix.code, 0, fix.stdout + fix.stderr);
      assert.equal(await onHost(d, "lab1", `stat -c '%a %U:%g' ${ini}`), statBefore, "owner and mode kept");
      assert.doesNotMatch(await onHost(d, "lab1", `cat ${ini}`), /edited by hand/);
      assert.equal((await lading(["plan", "-d", asDeployer])).code, 0, "nothing left to do");
      const noSudo = await lading(["plan", "-d", copyAs("nosudo")]);
      assert.equal(noSudo.code, 1, noSudo.stdout + noSudo.stderr);
      assert.match(noSudo.stdout + noSudo.stderr, /nosudo cannot sudo without a password/);
      assert.deepEqual(leaks(fix.stdout + fix.stderr + noSudo.stdout + noSudo.stderr, secrets), []);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      for (const h of LAB_HOSTS) await labExec(h, ["sh", "-c", "rm -f /etc/sudoers.d/lading-deployer; for u in deployer nosudo; do userdel -r $u 2>/dev/null; done; true"]);
    }
    await eventually("the deployment unchanged", 30_000, async () => ((await lading(["plan", "-d", d.dir])).code === 0 ? true : undefined));
  });
});
