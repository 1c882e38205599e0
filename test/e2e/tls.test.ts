// TLS on the lab: lading certificates, HAProxy terminating TLS on every HTTP frontend of the VIP (with the
// HTTP->HTTPS redirect), a renewal loaded into the running HAProxies while clients make requests (no failure,
// no restart, the new certificate on every host), and check / validate on a certificate that expires soon or
// has expired. The shared deployment is left as it was found: TLS off again in `after`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, rmSync } from "node:fs";
import { request, Agent } from "node:https";
import type { TLSSocket } from "node:tls";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { ensureDeployed, lading, LAB_HOSTS, onHost, setGlobal, startTimes, VIP, type Deployment } from "./deployment-fixture.js";
import { issue } from "../unit/tls/openssl-fixtures.js";

const HTTP_FRONTENDS = [
  { name: "webapp", port: 8080, path: "/health" },
  { name: "rabbitmq_management", port: 15672, path: "/" },
];

/** Runs a local command (curl, openssl) and resolves its exit code and output; never rejects. */
function run(cmd: string, args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

/** The serial HAProxy serves now on a host, from its runtime API (what that host's process holds in memory). */
async function servedSerial(d: Deployment, host: string): Promise<string> {
  const out = await onHost(d, host, `docker exec haproxy sh -c 'echo "show ssl cert /etc/haproxy/haproxy.pem" | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock'`);
  const m = /^Serial: *([0-9A-Fa-f]+)/m.exec(out);
  assert.ok(m, `${host}: show ssl cert answered:\n${out}`);
  return m[1]!.toUpperCase();
}

const serialOf = (file: string): string => new X509Certificate(readFileSync(file)).serialNumber.toUpperCase();

const haproxyStarts = async (d: Deployment): Promise<Record<string, string>> =>
  Object.fromEntries(Object.entries(await startTimes(d)).filter(([k]) => k.endsWith("/haproxy")));

/** One HTTPS GET; resolves the status and the serial of the certificate the connection presented. */
function get(url: string, opts: { ca: string; agent: Agent | false; sockets?: Set<unknown> }): Promise<{ status: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: opts.ca, agent: opts.agent, timeout: 10_000 }, (res) => {
      const socket = res.socket as TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber?.toUpperCase() ?? "";
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, serial }));
      res.on("error", reject);
    });
    req.on("socket", (s) => opts.sockets?.add(s));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

interface LoopResult {
  ok: number;
  failed: string[];
  lastSerial: string;
}

/** Requests one after the other until `stop` resolves: each on a new connection, or all on one kept-alive agent. */
function clientLoop(url: string, ca: string, mode: "new" | "keep-alive", stop: Promise<void>, sockets?: Set<unknown>): Promise<LoopResult> {
  const agent = mode === "keep-alive" ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const result: LoopResult = { ok: 0, failed: [], lastSerial: "" };
  let stopped = false;
  void stop.then(() => (stopped = true));
  return (async () => {
    while (!stopped) {
      try {
        const r = await get(url, { ca, agent, sockets });
        if (r.status === 200) result.ok++;
        else result.failed.push(`status ${r.status}`);
        result.lastSerial = r.serial;
      } catch (err) {
        result.failed.push(err instanceof Error ? err.message : String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (agent) agent.destroy();
    return result;
  })();
}

describe("TLS: certificates, HTTPS on the VIP, renewal without a restart, expiry", function () {
  this.timeout(900_000);
  let d: Deployment;
  let certs: string;
  let ca: string;

  before(async () => {
    d = await ensureDeployed();
    certs = join(d.dir, "certificates");
    const made = await lading(["certificates", "-d", d.dir]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /created a private CA/);
    assert.doesNotMatch(made.stdout, /BEGIN|PRIVATE KEY/, "no key material printed");
    ca = readFileSync(join(certs, "ca.pem"), "utf8");
    setGlobal(d, "tls_external", "true");
    setGlobal(d, "tls_redirect", "true");
    const on = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(on.code, 0, `${on.stdout}\n${on.stderr}`);
    assert.doesNotMatch(on.stdout, /-----BEGIN PRIVATE KEY|PRIVATE KEY-----/, "no key in the run's output");
  });

  after(async () => {
    if (!d) return;
    setGlobal(d, "tls_external", "false");
    setGlobal(d, "tls_redirect", "false");
    const off = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(off.code, 0, `TLS off again: ${off.stdout}\n${off.stderr}`);
    const plain = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", `http://${VIP}:8080/health`]);
    assert.equal(plain.stdout, "200", "plain HTTP serves again for the other test files");
  });

  it("HTTPS with the CA succeeds on every HTTP frontend (curl --cacert, openssl s_client -verify_return_error); without the CA it fails; plain HTTP is redirected", async () => {
    const caFile = join(certs, "ca.pem");
    for (const f of HTTP_FRONTENDS) {
      const url = `https://${VIP}:${f.port}${f.path}`;
      const ok = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}", "--cacert", caFile, url]);
      assert.equal(ok.code, 0, `${f.name}: ${ok.stderr}`);
      assert.equal(ok.stdout, "200 0", f.name);
      const sc = await run("openssl", ["s_client", "-connect", `${VIP}:${f.port}`, "-CAfile", caFile, "-verify_ip", VIP, "-verify_return_error", "-brief"], "");
      assert.equal(sc.code, 0, `${f.name}: s_client: ${sc.stderr}`);
      assert.match(sc.stderr, /Verification: OK/, f.name);
      assert.match(sc.stderr, /Protocol version: TLSv1\.[23]/, f.name);
      const noCa = await run("curl", ["-sS", "-o", "/dev/null", url]);
      assert.equal(noCa.code, 60, `${f.name}: a client without the CA must fail certificate verification (curl exit 60), got ${noCa.code} ${noCa.stderr}`);
      const noCaSc = await run("openssl", ["s_client", "-connect", `${VIP}:${f.port}`, "-verify_return_error", "-brief"], "");
      assert.notEqual(noCaSc.code, 0, `${f.name}: s_client without the CA`);
      const old = await run("curl", ["-sS", "-o", "/dev/null", "--cacert", caFile, "--tls-max", "1.1", "--tlsv1", url]);
      assert.notEqual(old.code, 0, `${f.name}: TLS 1.1 must be refused`);
      const plain = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", `http://${VIP}:${f.port}${f.path}`]);
      assert.equal(plain.stdout, `301 https://${VIP}:${f.port}${f.path}`, `${f.name}: plain HTTP redirected`);
    }
  });

  it("a renewed certificate is loaded into every running HAProxy while clients make requests: 0 failures, no restart, the new certificate served everywhere", async () => {
    const url = `https://${VIP}:8080/health`;
    const oldSerial = serialOf(join(certs, "haproxy.pem"));
    for (const h of LAB_HOSTS) assert.equal(await servedSerial(d, h), oldSerial, `${h} serves the first certificate`);
    const before = await haproxyStarts(d);
    assert.equal(Object.keys(before).length, 3);

    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const keptSockets = new Set<unknown>();
    const loops = [clientLoop(url, ca, "new", stopped), clientLoop(url, ca, "keep-alive", stopped, keptSockets)];
    await new Promise((r) => setTimeout(r, 1500));

    const renewed = await lading(["certificates", "-d", d.dir, "--renew"]);
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.match(renewed.stdout, /^issued .*haproxy\.pem/m);
    const newSerial = serialOf(join(certs, "haproxy.pem"));
    assert.notEqual(newSerial, oldSerial);
    const plan = await lading(["plan", "-d", d.dir]);
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stdout, /reload +haproxy \(haproxy\.pem, no restart\) +# haproxy: certificate renewed, hot reload \(haproxy\.pem\)/);
    assert.doesNotMatch(plan.stdout, /restart +haproxy|recreate +haproxy/);
    assert.ok(!plan.stdout.includes(readFileSync(join(certs, "haproxy.key"), "utf8").split("\n")[1]!), "no line of the key in the plan's diff");

    const reconfigureStarted = Date.now();
    const apply = await lading(["reconfigure", "-d", d.dir, "--json"]);
    const reconfigureMs = Date.now() - reconfigureStarted;
    assert.equal(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
    const steps = apply.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; kind?: string; status?: string; host?: string; reason?: string });
    const reloads = steps.filter((e) => e.type === "step" && e.kind === "reload" && e.status === "ok");
    assert.deepEqual(reloads.map((e) => e.host).sort(), LAB_HOSTS);
    for (const e of reloads) assert.equal(e.reason, "haproxy: certificate renewed, hot reload (haproxy.pem)");
    assert.deepEqual(steps.filter((e) => e.type === "step" && (e.kind === "restart" || e.kind === "recreate")), [], "nothing restarted");

    await new Promise((r) => setTimeout(r, 2000));
    stop();
    const [fresh, kept] = await Promise.all(loops);
    process.stdout.write(`      renewal under load: ${fresh!.ok} requests on new connections, ${kept!.ok} on one kept-alive connection, ${fresh!.failed.length + kept!.failed.length} failed; reconfigure with the hot reload took ${reconfigureMs} ms\n`);
    assert.deepEqual(fresh!.failed, [], "no failed request on new connections");
    assert.deepEqual(kept!.failed, [], "no failed request on the kept-alive connection");
    assert.ok(fresh!.ok > 20 && kept!.ok > 20, `requests made: ${fresh!.ok} new-connection, ${kept!.ok} kept-alive`);
    assert.equal(keptSockets.size, 1, "the kept-alive client used one connection throughout");
    assert.equal(fresh!.lastSerial, newSerial, "a new connection gets the new certificate");
    assert.equal(kept!.lastSerial, oldSerial, "the kept-alive connection kept its session (it was never cut)");
    assert.deepEqual(await haproxyStarts(d), before, "no HAProxy container restarted");
    for (const h of LAB_HOSTS) assert.equal(await servedSerial(d, h), newSerial, `${h} serves the new certificate`);
    const again = await lading(["plan", "-d", d.dir]);
    assert.equal(again.code, 0, `nothing left to do after the reload:\n${again.stdout}`);
  });

  it("check exits 2 for a deployed certificate that expires in 2 days, naming host, file, subject and date (also as --json events)", async () => {
    const clean = await lading(["check", "-d", d.dir]);
    assert.equal(clean.code, 0, `check is clean with a 1-year certificate:\n${clean.stdout}`);
    const short = await lading(["certificates", "-d", d.dir, "--renew", "--days", "2"]);
    assert.equal(short.code, 0, short.stderr);
    const deployed = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(deployed.code, 0, deployed.stdout);
    const before = await haproxyStarts(d);
    const check = await lading(["check", "-d", d.dir]);
    assert.equal(check.code, 2, check.stdout);
    for (const h of LAB_HOSTS) {
      assert.match(check.stdout, new RegExp(`^${h}: certificate /etc/lading/haproxy/haproxy\\.pem \\(CN=${VIP.replace(/\./g, "\\.")}\\) expires on \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(in 1 day\\), within tls_expiry_warning \\(30 days\\)`, "m"));
    }
    assert.match(check.stdout, /^deployment: certificate .*certificates\/haproxy\.pem \(CN=10\.98\.0\.100\) expires on/m);
    assert.doesNotMatch(check.stdout, /configuration not deployed/, "the exit 2 is the certificate, not drift");
    const json = await lading(["check", "-d", d.dir, "--json"]);
    assert.equal(json.code, 2);
    const events = json.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; host?: string; file?: string; subject?: string; expires?: string; daysLeft?: number });
    const expiring = events.filter((e) => e.type === "certificate-expiring");
    assert.deepEqual(expiring.map((e) => e.host).sort(), ["deployment", ...LAB_HOSTS]);
    for (const e of expiring) assert.ok(e.file && e.subject === `CN=${VIP}` && e.expires && e.daysLeft === 1, JSON.stringify(e));
    assert.deepEqual(await haproxyStarts(d), before, "check touched nothing");
    // Back to a certificate of a year (hot reload again), for the next test and the after hook.
    const year = await lading(["certificates", "-d", d.dir, "--renew"]);
    assert.equal(year.code, 0);
    assert.equal((await lading(["reconfigure", "-d", d.dir])).code, 0);
  });

  it("validate (and every command that loads the deployment) refuses an expired certificate before touching any host", async () => {
    const [cert, key] = [join(certs, "haproxy.pem"), join(certs, "haproxy.key")];
    copyFileSync(cert, `${cert}.good`);
    copyFileSync(key, `${key}.good`);
    try {
      issue({ caCert: join(certs, "ca.pem"), caKey: join(certs, "ca.key"), sans: `IP:${VIP}`, start: "20200101000000Z", end: "20200201000000Z", out: cert, keyOut: key });
      const before = await haproxyStarts(d);
      const validate = await lading(["validate", "-d", d.dir]);
      assert.equal(validate.code, 3, validate.stdout);
      assert.match(validate.stderr + validate.stdout, /certificates\/haproxy\.pem: certificate CN=test server expired on 2020-02-01T00:00:00\.000Z/);
      const deploy = await lading(["deploy", "-d", d.dir]);
      assert.equal(deploy.code, 3, deploy.stdout);
      assert.match(deploy.stderr, /expired on 2020-02-01/);
      assert.match(deploy.stderr, /nothing was changed on any host/);
      assert.deepEqual(await haproxyStarts(d), before);
      for (const h of LAB_HOSTS) assert.notEqual(await servedSerial(d, h), serialOf(cert), `${h} never got the expired certificate`);
    } finally {
      copyFileSync(`${cert}.good`, cert);
      copyFileSync(`${key}.good`, key);
      chmodSync(key, 0o600);
      rmSync(`${cert}.good`);
      rmSync(`${key}.good`);
    }
    assert.equal((await lading(["validate", "-d", d.dir])).code, 0);
  });
});
