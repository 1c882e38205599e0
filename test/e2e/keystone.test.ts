// Keystone on the shared deployment: the keystone group added to its inventory, deployed, then used with the
// real OpenStack client (Debian's python3-openstackclient) through the VIP. Its jobs (db_sync, bootstrap) run
// once; a rolling reconfigure under a token loop fails no request; a failing job halts before the service
// starts. `after` destroys keystone and puts the inventory and passwords back, for the other e2e files.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { join } from "node:path";
import { parse } from "yaml";
import { ensureDeployed, lading, LAB_ADDRESSES, LAB_HOSTS, onHost, setGlobal, VIP, type Deployment } from "./deployment-fixture.js";

interface JsonEvent {
  type: string;
  kind?: string;
  host?: string;
  service?: string;
  target?: string;
  status?: string;
  reason?: string;
  path?: string;
}

function events(stdout: string): JsonEvent[] {
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as JsonEvent);
}

const jobSteps = (evs: JsonEvent[]): JsonEvent[] => evs.filter((e) => e.type === "step" && e.kind === "job" && e.status === "ok");

/** The real client, with the clouds.yaml lading wrote; never through a shell. */
function openstack(d: Deployment, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("openstack", ["--os-cloud", "lading", ...args], {
    encoding: "utf8",
    env: { ...process.env, OS_CLIENT_CONFIG_FILE: join(d.dir, "clouds.yaml") },
    timeout: 60_000,
  });
  return { code: r.status ?? 255, stdout: r.stdout, stderr: r.stderr };
}

/** Issues and validates tokens over HTTPS through the VIP, trusting `ca`, until stop(). */
function httpsTokenLoop(ca: string, dir: string): { stop: () => Promise<{ ok: number; failures: string[] }> } {
  let running = true;
  const result = { ok: 0, failures: [] as string[] };
  const agent = new HttpsAgent({ ca, keepAlive: false });
  const call = (method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`https://${VIP}:5000/v3${path}`, { method, headers, agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(body);
    });
  const done = (async () => {
    const secrets = parse(readFileSync(join(dir, "passwords.yml"), "utf8")) as Record<string, string>;
    const body = JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: "admin", domain: { name: "Default" }, password: secrets.keystone_admin_password } } }, scope: { project: { name: "admin", domain: { name: "Default" } } } } });
    while (running) {
      try {
        const issued = await call("POST", "/auth/tokens", { "content-type": "application/json" }, body);
        const token = issued.headers["x-subject-token"];
        if (issued.status !== 201 || typeof token !== "string") throw new Error(`issue: ${issued.status}`);
        const check = await call("GET", "/auth/tokens", { "x-auth-token": token, "x-subject-token": token });
        if (check.status !== 200) throw new Error(`validate: ${check.status}`);
        result.ok++;
      } catch (err) {
        result.failures.push(`${new Date().toISOString()} ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return { stop: async () => ((running = false), await done, result) };
}

describe("keystone: a real OpenStack service behind HAProxy", function () {
  this.timeout(900_000);
  let d: Deployment;
  let inventoryBefore: string;
  let passwordsBefore: string;
  let firstDeploy: JsonEvent[];
  const keystoneUrl = `http://${VIP}:5000/v3`;
  const override = (): string => join(d.dir, "config", "keystone", "database.conf");
  /** A key repository's files on a host, in index order. */
  const keysOn = async (host: string, repo: string): Promise<string[]> =>
    (await onHost(d, host, `for f in /etc/lading/keystone/${repo}/*; do cat "$f"; echo; done`)).split("\n").filter(Boolean);
  const adminAuth = (): string => {
    const secrets = parse(readFileSync(join(d.dir, "passwords.yml"), "utf8")) as Record<string, string>;
    return JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: "admin", domain: { name: "Default" }, password: secrets.keystone_admin_password } } }, scope: { project: { name: "admin", domain: { name: "Default" } } } } });
  };
  const issueToken = async (): Promise<string> => {
    const r = await fetch(`${keystoneUrl}/auth/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: adminAuth(), signal: AbortSignal.timeout(10_000) });
    await r.text();
    assert.equal(r.status, 201);
    return r.headers.get("x-subject-token")!;
  };
  /** The status of validating `token` on one host's own Keystone (not through the VIP). */
  const validateOn = async (host: string, token: string): Promise<number> => {
    const r = await fetch(`http://${LAB_ADDRESSES[host]}:5000/v3/auth/tokens`, { headers: { "x-auth-token": token, "x-subject-token": token }, signal: AbortSignal.timeout(10_000) });
    await r.text();
    return r.status;
  };

  before(async () => {
    d = await ensureDeployed();
    inventoryBefore = readFileSync(join(d.dir, "inventory.yml"), "utf8");
    passwordsBefore = readFileSync(join(d.dir, "passwords.yml"), "utf8");
    writeFileSync(join(d.dir, "inventory.yml"), `${inventoryBefore.trimEnd()}\n  keystone:\n    children: [control]\n`);
    setGlobal(d, "enable_keystone", "true");
    const gen = await lading(["genpwd", "-d", d.dir]);
    assert.equal(gen.code, 0, gen.stderr);
    const plan = await lading(["plan", "-d", d.dir, "--no-diff"]);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    // The plan shows the jobs, on one host, before the container.
    assert.match(plan.stdout, /job +db_sync: keystone-manage .*db_sync +# job db_sync: never ran/);
    assert.match(plan.stdout, /job +bootstrap: lading-keystone-bootstrap \/etc\/keystone\/admin-password .*bootstrap --bootstrap-username admin/);
    assert.equal(plan.stdout.match(/^ +job +db_sync:/gm)?.length, 1, "db_sync planned on one host");
    const r = await lading(["deploy", "-d", d.dir, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    firstDeploy = events(r.stdout);
  });

  after(async () => {
    if (!d) return;
    rmSync(override(), { force: true });
    const destroy = await lading(["destroy", "-d", d.dir, "--service", "keystone", "--yes"]);
    writeFileSync(join(d.dir, "inventory.yml"), inventoryBefore);
    writeFileSync(join(d.dir, "passwords.yml"), passwordsBefore, { mode: 0o600 });
    const globals = join(d.dir, "globals.yml");
    writeFileSync(globals, readFileSync(globals, "utf8").split("\n").filter((l) => !l.startsWith("keystone_token_expiration:") && !l.startsWith("enable_keystone:")).join("\n"));
    rmSync(join(d.dir, "clouds.yaml"), { force: true });
    rmSync(join(d.dir, "admin-openrc.sh"), { force: true });
    assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
  });

  it("ran db_sync, bootstrap and credential_migrate once, on one host, before any keystone container started", () => {
    const jobs = jobSteps(firstDeploy);
    assert.deepEqual(jobs.map((e) => e.target), ["db_sync", "bootstrap", "credential_migrate"]);
    assert.equal(new Set(jobs.map((e) => e.host)).size, 1);
    const lastJob = firstDeploy.lastIndexOf(jobs.at(-1)!);
    const creates = firstDeploy.map((e, i) => ({ e, i })).filter(({ e }) => e.type === "step" && e.kind === "create" && e.target === "keystone" && e.status === "ok");
    assert.equal(creates.length, 3);
    assert.ok(creates.every(({ i }) => i > lastJob), "every keystone container created after the jobs");
    const ms = (name: string): number => (firstDeploy.find((e) => e.type === "step" && e.kind === "job" && e.target === name && e.status === "ok") as { ms?: number } | undefined)?.ms ?? -1;
    console.log(`      jobs of the first deploy: db_sync ${ms("db_sync")} ms, bootstrap ${ms("bootstrap")} ms`);
    const wrote = firstDeploy.filter((e) => e.type === "operator-file").map((e) => e.path);
    assert.deepEqual(wrote.sort(), [join(d.dir, "admin-openrc.sh"), join(d.dir, "clouds.yaml")]);
  });

  it("writes clouds.yaml and the key files private, and never prints a secret", async () => {
    const secrets = parse(readFileSync(join(d.dir, "passwords.yml"), "utf8")) as Record<string, string> & Record<"keystone_fernet_keys" | "keystone_credential_keys", string[]>;
    for (const f of ["clouds.yaml", "admin-openrc.sh"]) assert.equal(statSync(join(d.dir, f)).mode & 0o777, 0o600, f);
    assert.ok(readFileSync(join(d.dir, "clouds.yaml"), "utf8").includes(secrets.keystone_admin_password!));
    for (const h of LAB_HOSTS) {
      const stat = await onHost(d, h, "stat -c '%n %a %u:%g' /etc/lading/keystone/fernet-keys/0 /etc/lading/keystone/fernet-keys/2 /etc/lading/keystone/credential-keys/0 /etc/lading/keystone/admin-password /etc/lading/keystone/database.conf");
      for (const line of stat.trim().split("\n")) assert.match(line, / 600 42425:42425$/, `${h}: ${line}`);
      assert.deepEqual(await keysOn(h, "fernet-keys"), secrets.keystone_fernet_keys);
      // The container reads them as the keystone user; nothing of the secrets is in its environment or argv.
      const inspect = await onHost(d, h, "docker inspect keystone --format '{{json .Config.Env}} {{json .Config.Cmd}} {{json .Args}}'");
      for (const s of [secrets.keystone_admin_password!, secrets.keystone_database_password!, ...secrets.keystone_fernet_keys]) assert.ok(!inspect.includes(s), `${h}: a secret in the container's env or argv`);
    }
    const out = JSON.stringify(firstDeploy);
    for (const s of [secrets.keystone_admin_password!, secrets.keystone_database_password!, ...secrets.keystone_fernet_keys, ...secrets.keystone_credential_keys]) assert.ok(!out.includes(s), "a secret printed");
  });

  it("serves the real client through the VIP: token issue, project and user create, endpoint and catalog list", () => {
    const token = openstack(d, ["token", "issue", "-f", "value", "-c", "id"]);
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout.trim(), /^gAAAA/, "a fernet token");
    const suffix = Date.now().toString(36);
    const project = openstack(d, ["project", "create", "--domain", "default", `e2e-${suffix}`, "-f", "value", "-c", "name"]);
    assert.equal(project.code, 0, project.stderr);
    assert.equal(project.stdout.trim(), `e2e-${suffix}`);
    const user = openstack(d, ["user", "create", "--domain", "default", "--project", `e2e-${suffix}`, `u-${suffix}`]);
    assert.equal(user.code, 0, user.stderr);
    const endpoints = openstack(d, ["endpoint", "list", "-f", "json"]);
    assert.equal(endpoints.code, 0, endpoints.stderr);
    const list = JSON.parse(endpoints.stdout) as { "Service Type": string; Interface: string; URL: string; Region: string }[];
    assert.deepEqual(list.filter((e) => e["Service Type"] === "identity").map((e) => e.Interface).sort(), ["admin", "internal", "public"]);
    assert.ok(list.filter((e) => e["Service Type"] === "identity").every((e) => e.URL === keystoneUrl && e.Region === "RegionOne"), endpoints.stdout);
    const catalog = openstack(d, ["catalog", "list", "-f", "json"]);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.match(catalog.stdout, /"Type": "identity"/);
    // The web app's own catalog: entry (role.yaml, when enable_keystone), registered before it was deployed.
    const web = list.filter((e) => e["Service Type"] === "web-app");
    assert.deepEqual(web.map((e) => [e.Interface, e.URL, e.Region]).sort(), [["internal", `http://${VIP}:8080`, "RegionOne"], ["public", `http://${VIP}:8080`, "RegionOne"]]);
  });

  it("a re-run of deploy runs no job again and changes nothing", async () => {
    const r = await lading(["deploy", "-d", d.dir, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const evs = events(r.stdout);
    assert.deepEqual(jobSteps(evs), []);
    assert.deepEqual(evs.filter((e) => e.type === "step" && e.service === "keystone"), []);
  });

  it("under tls_external the real client speaks HTTPS to the VIP with the CA clouds.yaml names (and fails without it); endpoints become https; no keystone restart; with tls_internal every backend serves HTTPS that HAProxy verifies", async () => {
    const certs = join(d.dir, "certificates");
    const made = await lading(["certificates", "-d", d.dir]);
    assert.equal(made.code, 0, made.stderr);
    const caFile = join(certs, "ca.pem");
    try {
      setGlobal(d, "tls_external", "true");
      const on = await lading(["reconfigure", "-d", d.dir, "--json"]);
      assert.equal(on.code, 0, on.stdout + on.stderr);
      const evs = events(on.stdout);
      // The identity endpoints change through the bootstrap job (its command names them); Keystone itself does not restart.
      assert.deepEqual(jobSteps(evs).map((e) => e.target), ["bootstrap"]);
      assert.deepEqual(evs.filter((e) => e.type === "step" && e.service === "keystone" && e.status === "ok" && e.kind !== "job").map((e) => e.kind), []);
      const clouds = readFileSync(join(d.dir, "clouds.yaml"), "utf8");
      assert.ok(clouds.includes(`auth_url: "https://${VIP}:5000/v3"`) && clouds.includes(`cacert: "${caFile}"`), clouds);
      const token = openstack(d, ["token", "issue", "-f", "value", "-c", "id"]);
      assert.equal(token.code, 0, token.stderr);
      const endpoints = openstack(d, ["endpoint", "list", "-f", "json"]);
      assert.equal(endpoints.code, 0, endpoints.stderr);
      const list = JSON.parse(endpoints.stdout) as { "Service Type": string; Interface: string; URL: string }[];
      assert.deepEqual(list.filter((e) => e["Service Type"] === "identity").map((e) => e.URL), Array(3).fill(`https://${VIP}:5000/v3`));
      assert.deepEqual(list.filter((e) => e["Service Type"] === "web-app").map((e) => e.URL), Array(2).fill(`https://${VIP}:8080`), "the web app's catalogue entry follows");
      // A project created through the catalogue's https identity endpoint (the client follows the catalogue).
      const project = openstack(d, ["project", "create", "--domain", "default", `tls-${Date.now().toString(36)}`, "-f", "value", "-c", "id"]);
      assert.equal(project.code, 0, project.stderr);
      // tls_internal too: every HTTP service behind HAProxy serves HTTPS on its own port and HAProxy verifies it.
      // Switching protocols is not seamless (HAProxy's reload speaks TLS before each backend restarts with it):
      // requests that fail meanwhile are counted and printed, not asserted; the steady state after it is.
      setGlobal(d, "tls_internal", "true");
      const loop = httpsTokenLoop(readFileSync(caFile, "utf8"), d.dir);
      const internal = await lading(["reconfigure", "-d", d.dir, "--json"]);
      const during = await loop.stop();
      console.log(`      tls_internal on: token issue+validate over HTTPS through the VIP during the switch: ${during.ok} ok, ${during.failures.length} failed${during.failures.length ? ` (${during.failures[0]} ... ${during.failures.at(-1)})` : ""}`);
      assert.equal(internal.code, 0, internal.stdout + internal.stderr);
      // Restarted, or recreated where the healthcheck's URL changed with the protocol.
      const restarted = events(internal.stdout).filter((e) => e.type === "step" && (e.kind === "restart" || e.kind === "recreate") && e.status === "ok");
      for (const svc of ["keystone", "webapp", "rabbitmq"]) assert.deepEqual(restarted.filter((e) => e.service === svc).map((e) => e.host).sort(), LAB_HOSTS, `${svc} restarted on every host`);
      for (const h of LAB_HOSTS) {
        for (const [port, path] of [[5000, "/v3"], [8080, "/health"], [15672, "/"]] as const) {
          const url = `https://${LAB_ADDRESSES[h]}:${port}${path}`;
          const tlsOk = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", caFile, url], { encoding: "utf8", timeout: 20_000 });
          assert.equal(tlsOk.stdout, "200", `${url}: ${tlsOk.stderr}`);
          const plainHttp = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", `http://${LAB_ADDRESSES[h]}:${port}${path}`], { encoding: "utf8", timeout: 20_000 });
          assert.notEqual(plainHttp.stdout, "200", `${h}:${port} no longer answers plain HTTP`);
        }
      }
      assert.match(await onHost(d, "lab1", "cat /etc/lading/haproxy/haproxy.cfg"), /server lab2 10\.98\.0\.12:5000 check .* ssl verify required ca-file \/etc\/haproxy\/ca\.pem verifyhost lab2/);
      const after = httpsTokenLoop(readFileSync(caFile, "utf8"), d.dir);
      await new Promise((r) => setTimeout(r, 3000));
      const steady = await after.stop();
      assert.ok(steady.ok > 0 && steady.failures.length === 0, `through the VIP to HTTPS backends: ${steady.ok} ok, failures ${steady.failures.join("; ")}`);
      const viaTls = openstack(d, ["token", "issue", "-f", "value", "-c", "id"]);
      assert.equal(viaTls.code, 0, viaTls.stderr);
      // The same client without the CA refuses the VIP's certificate.
      const noCa = join(d.dir, "clouds-no-ca.yaml");
      writeFileSync(noCa, clouds.split("\n").filter((l) => !l.includes("cacert:")).join("\n"), { mode: 0o600 });
      try {
        const r = spawnSync("openstack", ["--os-cloud", "lading", "token", "issue"], { encoding: "utf8", env: { ...process.env, OS_CLIENT_CONFIG_FILE: noCa }, timeout: 60_000 });
        assert.notEqual(r.status, 0, "a client without the CA must fail");
        assert.match(r.stderr, /certificate verify failed|SSL/i, r.stderr);
      } finally {
        rmSync(noCa, { force: true });
      }
    } finally {
      setGlobal(d, "tls_external", "false");
      setGlobal(d, "tls_internal", "false");
      const off = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(off.code, 0, `TLS off again: ${off.stdout}\n${off.stderr}`);
      // The TLS e2e file makes its own CA.
      rmSync(certs, { recursive: true, force: true });
    }
    assert.doesNotMatch(readFileSync(join(d.dir, "clouds.yaml"), "utf8"), /cacert|https/);
    const again = openstack(d, ["endpoint", "list", "-f", "value", "-c", "URL"]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.stdout.split("\n").filter(Boolean).every((u) => u.startsWith("http://")), again.stdout);
  });

  it("a rolling reconfigure (token lifetime) under a token loop through the VIP fails no request, and runs no job", async () => {
    const secrets = parse(readFileSync(join(d.dir, "passwords.yml"), "utf8")) as Record<string, string>;
    const auth = { auth: { identity: { methods: ["password"], password: { user: { name: "admin", domain: { name: "Default" }, password: secrets.keystone_admin_password } } }, scope: { project: { name: "admin", domain: { name: "Default" } } } } };
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const loop = (async () => {
      while (running) {
        try {
          const issued = await fetch(`${keystoneUrl}/auth/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(auth), signal: AbortSignal.timeout(10_000) });
          await issued.text();
          const token = issued.headers.get("x-subject-token");
          if (issued.status !== 201 || !token) throw new Error(`issue: ${issued.status}`);
          const check = await fetch(`${keystoneUrl}/auth/tokens`, { headers: { "x-auth-token": token, "x-subject-token": token }, signal: AbortSignal.timeout(10_000) });
          await check.text();
          if (check.status !== 200) throw new Error(`validate: ${check.status}`);
          ok++;
        } catch (err) {
          // fetch's own message is "fetch failed": the socket error is its cause.
          const cause = err instanceof Error && err.cause instanceof Error ? ` (${(err.cause as { code?: string }).code ?? ""} ${err.cause.message})` : "";
          failures.push(`${new Date().toISOString()} ${err instanceof Error ? err.message : String(err)}${cause}`);
        }
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 2000));
      setGlobal(d, "keystone_token_expiration", "7200");
      const r = await lading(["reconfigure", "-d", d.dir, "--json"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await new Promise((res) => setTimeout(res, 2000));
      const evs = events(r.stdout);
      // When each host left and rejoined HAProxy's rotation, to set beside a failed request's time.
      for (const e of evs.filter((x) => x.service === "keystone" && ((x.type === "step" && x.kind !== "write") || x.type === "gate" || x.type === "warning"))) {
        if (e.status !== "start" && e.status !== "waiting") console.log(`      ${(e as { time?: string }).time} ${e.host} ${e.type} ${e.kind ?? ""} ${e.status ?? ""} ${e.reason ?? (e as { message?: string }).message ?? ""}`);
      }
      assert.deepEqual(jobSteps(evs), [], "db_sync and bootstrap do not run again");
      const restarts = evs.filter((e) => e.type === "step" && e.service === "keystone" && e.kind === "restart" && e.status === "ok").map((e) => e.host);
      assert.deepEqual([...restarts].sort(), LAB_HOSTS);
      const batches = evs.filter((e) => e.type === "batch" && e.service === "keystone");
      assert.equal(batches.length, 3, "one host at a time");
    } finally {
      running = false;
      await loop;
    }
    console.log(`      token issue+validate through the VIP during the reconfigure: ${ok} ok, ${failures.length} failed`);
    assert.deepEqual(failures, []);
    assert.ok(ok > 20, `${ok} tokens`);
    for (const h of LAB_HOSTS) assert.match(await onHost(d, h, "cat /etc/lading/keystone/keystone.conf"), /^expiration = 7200$/m);
  });

  it("rotate-keys keystone: refused while keystone is not as deployed; then every host gets the new keys, no restart, and a token issued before validates after on every host", async () => {
    const passwords = join(d.dir, "passwords.yml");
    const before = parse(readFileSync(passwords, "utf8")) as Record<string, string[]>;
    const token = await issueToken();
    for (const h of LAB_HOSTS) assert.equal(await validateOn(h, token), 200, `${h}: the token before the rotation`);

    // A pending change of the service: nothing is rotated, nothing written.
    const text = readFileSync(passwords, "utf8");
    setGlobal(d, "keystone_token_expiration", "5400");
    const refused = await lading(["rotate-keys", "keystone", "-d", d.dir]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /keystone is not as deployed on lab1, lab2, lab3: run lading reconfigure --service keystone first; no key was rotated/);
    assert.equal(readFileSync(passwords, "utf8"), text);
    setGlobal(d, "keystone_token_expiration", "7200");

    const started = Date.now();
    const r = await lading(["rotate-keys", "keystone", "-d", d.dir, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    console.log(`      rotate-keys keystone: ${Date.now() - started} ms`);
    const evs = events(r.stdout);
    assert.deepEqual(evs.filter((e) => e.type === "keys-rotated").map((e) => (e as { secret?: string }).secret), ["keystone_fernet_keys", "keystone_credential_keys"]);
    assert.deepEqual(evs.filter((e) => e.type === "step" && e.service === "keystone" && ["restart", "recreate", "create"].includes(e.kind!)), [], "no keystone container restarted");
    assert.deepEqual(jobSteps(evs).map((e) => e.target), ["credential_migrate"], "only the job whose inputs are the credential keys ran");
    for (const s of [...before.keystone_fernet_keys!, ...before.keystone_credential_keys!]) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), "a key printed");

    const after = parse(readFileSync(passwords, "utf8")) as Record<string, string[]>;
    for (const repo of ["keystone_fernet_keys", "keystone_credential_keys"]) {
      assert.equal(after[repo]!.at(-1), before[repo]![0], `${repo}: the staged key is the primary`);
      assert.ok(after[repo]!.includes(before[repo]!.at(-1)!), `${repo}: the old primary is kept`);
      assert.ok(!before[repo]!.includes(after[repo]![0]!), `${repo}: a new staged key`);
    }
    for (const h of LAB_HOSTS) {
      assert.deepEqual(await keysOn(h, "fernet-keys"), after.keystone_fernet_keys, `${h}: fernet keys`);
      assert.deepEqual(await keysOn(h, "credential-keys"), after.keystone_credential_keys, `${h}: credential keys`);
      assert.equal(await validateOn(h, token), 200, `${h}: the token issued before the rotation`);
    }
    const fresh = await issueToken();
    for (const h of LAB_HOSTS) assert.equal(await validateOn(h, fresh), 200, `${h}: a token issued after the rotation`);
    const plan = await lading(["plan", "-d", d.dir, "--no-diff"]);
    assert.equal(plan.code, 0, plan.stdout);
  });

  it("validate refuses a malformed key of a key repository in passwords.yml with its file and line, touching no host", async () => {
    const passwords = join(d.dir, "passwords.yml");
    const good = readFileSync(passwords, "utf8");
    const keys = (parse(good) as Record<string, string[]>).keystone_fernet_keys!;
    const lines = good.split("\n");
    const at = lines.findIndex((l) => l.includes(keys[1]!));
    lines[at] = lines[at]!.replace(keys[1]!, "not-a-fernet-key");
    writeFileSync(passwords, lines.join("\n"), { mode: 0o600 });
    try {
      const r = await lading(["validate", "-d", d.dir]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`passwords\\.yml:${at + 1}:\\d+: keystone_fernet_keys/1: key 1 must be a Fernet key`));
      assert.ok(!r.stderr.includes(keys[0]!) && !r.stdout.includes(keys[0]!), "a key printed");
    } finally {
      writeFileSync(passwords, good, { mode: 0o600 });
    }
  });

  it("a deployment's own role declares its catalogue entry the same way; destroy --service removes the entry with the rest", async () => {
    const roleDir = join(d.dir, "roles", "echo");
    mkdirSync(roleDir, { recursive: true });
    writeFileSync(
      join(roleDir, "role.yaml"),
      [
        "name: echo",
        "description: an e2e service of the deployment's own, registered in Keystone's catalogue",
        "groups: [keystone]",
        "dependsOn: [keystone]",
        "parameters:",
        "  echo_port: {type: integer, format: port, default: 11999, description: its port}",
        "containers:",
        "  echo:",
        '    image: "{{image_registry}}lading/memcached:{{image_tag}}"',
        '    command: [memcached, -u, memcache, -l, "{{host.address}}", -p, "{{echo_port}}"]',
        '    ports: ["{{echo_port}}"]',
        "catalog:",
        "  type: echo",
        "  description: echo of the e2e",
        "  endpoints:",
        '    public: "http://{{vip_address}}:{{echo_port}}"',
        '    admin: "http://{{host.address}}:{{echo_port}}"',
        "rollout:",
        "  strategy: parallel",
        '  gate: {kind: tcp, port: "{{echo_port}}"}',
        "",
      ].join("\n"),
    );
    try {
      const deploy = await lading(["deploy", "-d", d.dir, "-s", "echo", "--json"]);
      assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
      assert.equal(events(deploy.stdout).filter((e) => e.type === "step" && e.kind === "register-catalog" && e.status === "ok").length, 1);
      const eps = openstack(d, ["endpoint", "list", "--service", "echo", "-f", "json"]);
      assert.equal(eps.code, 0, eps.stderr);
      const rows = (JSON.parse(eps.stdout) as { Interface: string; URL: string }[]).map((e) => [e.Interface, e.URL]).sort();
      assert.deepEqual(rows, [["admin", "http://10.98.0.11:11999"], ["public", `http://${VIP}:11999`]]);
      const again = await lading(["deploy", "-d", d.dir, "-s", "echo", "--json"]);
      assert.deepEqual(events(again.stdout).filter((e) => e.type === "step"), [], "registered once");
      const destroy = await lading(["destroy", "-d", d.dir, "--service", "echo", "--yes"]);
      assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
      assert.match(destroy.stdout, /catalogue entry echo echo of echo/);
      const services = openstack(d, ["service", "list", "-f", "json"]);
      assert.equal(services.code, 0, services.stderr);
      assert.ok(!(JSON.parse(services.stdout) as { Type: string }[]).some((s) => s.Type === "echo"), services.stdout);
    } finally {
      rmSync(roleDir, { recursive: true, force: true });
    }
  });

  it("destroy --service keystone leaves nothing of it; then a job that exits non-zero halts the deploy with its output, before the service starts", async () => {
    const destroy = await lading(["destroy", "-d", d.dir, "--service", "keystone", "--yes"]);
    assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
    for (const h of LAB_HOSTS) {
      const left = await onHost(d, h, "docker ps -aq --filter name=^keystone$; ls -d /etc/lading/keystone 2>/dev/null; grep -l 'listen keystone' /etc/lading/haproxy/haproxy.cfg; grep -rl 'job/keystone/' /etc/lading --include=*.json; true");
      assert.equal(left.trim(), "", `${h}: keystone left behind`);
    }
    const db = await onHost(d, "lab1", "docker exec mariadb mysql -N -B -e \"SHOW DATABASES LIKE 'keystone'; SELECT User FROM mysql.user WHERE User = 'keystone'\"");
    assert.equal(db.trim(), "", "keystone's database and user dropped");
    mkdirSync(join(d.dir, "config", "keystone"), { recursive: true });
    // An operator override that points the database at a closed port: db_sync cannot connect.
    writeFileSync(override(), "[database]\nconnection = mysql+pymysql://keystone:wrong@127.0.0.1:9/keystone\nmax_retries = 0\n");
    const r = await lading(["deploy", "-d", d.dir, "-s", "keystone"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /HALTED at keystone on lab\d: .*job db_sync failed \(exit [1-9]\d*\)/);
    assert.match(r.stdout, /--- last output of keystone-manage .*db_sync ---/);
    assert.match(r.stdout, /Can't connect to MySQL server|OperationalError|Connection refused/);
    for (const h of LAB_HOSTS) assert.equal((await onHost(d, h, "docker ps -aq --filter name=^keystone$ | wc -l")).trim(), "0", `${h}: no keystone container`);
    rmSync(override());
    assert.ok(!existsSync(override()));
  });
});
