// TLS through the deployment: a lab deployment with tls_external renders HAProxy's TLS binds and its PEM (0600),
// refuses a bad certificate at load with its file, and plans a renewed certificate as a hot reload, not a restart.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hotReloadArgv } from "../../../src/apply/apply.js";
import { checkGate } from "../../../src/apply/gates.js";
import { FakeTransport } from "../apply/fake-transport.js";
import { InputError } from "../../../src/errors.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { packageRoot } from "../../../src/paths.js";
import { buildPlan, configHashOf, type Step } from "../../../src/plan/plan.js";
import { formatPlan } from "../../../src/plan/format.js";
import { hostScript } from "../../../src/host-scripts/index.js";
import { Redactor } from "../../../src/secrets/redact.js";
import { CERT_FILES, CERTIFICATES_DIR } from "../../../src/tls/certificates.js";
import { generateCertificates } from "../../../src/tls/generate.js";
import { certificateRequestOf } from "../../../src/tls/request.js";
import { container, facts, file, fileFact, runningFact, service, sha, state, withImages } from "../engine/fixtures.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";

const HOT = { container: "haproxy", script: "haproxy-set-ssl-cert.sh", args: ["/run/haproxy/admin.sock", "/etc/haproxy/haproxy.pem"], says: "certificate renewed, hot reload" };
const kinds = (steps: Step[]): string[] => steps.map((s) => s.kind);

describe("TLS in the deployment", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"));
    writeFakePasswords(dir);
  });
  afterEach(() => removeDeployment(dir));
  const enable = (extra = ""): void => {
    const g = join(dir, "globals.yml");
    writeFileSync(g, `${readFileSync(g, "utf8")}\ntls_external: true\n${extra}`);
  };

  it("lading certificates covers the VIP and each HAProxy host; with tls_external HAProxy binds TLS on HTTP frontends only and gets its PEM at 0600", () => {
    const project0 = loadProject({ dir, checkCertificates: false });
    const req = certificateRequestOf(project0, { days: 30, renew: false });
    assert.deepEqual(req.addresses, ["10.98.0.100", "10.98.0.11", "10.98.0.12", "10.98.0.13"]);
    assert.deepEqual(req.names, ["lab1", "lab2", "lab3"]);
    generateCertificates(req);
    enable("tls_redirect: true\n");
    const project = loadProject({ dir });
    const desired = renderProject(project);
    const haproxy = desired.hosts.get("lab1")!.services.find((s) => s.name === "haproxy")!;
    const cfg = haproxy.files.find((f) => f.path.endsWith("haproxy.cfg"))!.content;
    const pem = haproxy.files.find((f) => f.path.endsWith("haproxy.pem"))!;
    assert.equal(pem.mode, "0600");
    assert.deepEqual(pem.restarts, []);
    assert.deepEqual(pem.hotReload, HOT);
    assert.equal(pem.content, project.certificates!.bundle);
    assert.match(cfg, /ssl-default-bind-options ssl-min-ver TLSv1\.2 no-tls-tickets/);
    assert.match(cfg, /listen webapp\n {4}mode http\n {4}bind abns@lading-webapp-tls accept-proxy ssl crt \/etc\/haproxy\/haproxy\.pem alpn h2,http\/1\.1\n {4}bind abns@lading-webapp-plain accept-proxy\n {4}http-request redirect scheme https code 301 unless \{ ssl_fc \}/);
    assert.match(cfg, /frontend webapp_by_protocol\n {4}mode tcp\n {4}bind 10\.98\.0\.100:8080 transparent\n/);
    assert.match(cfg, /frontend rabbitmq_management_by_protocol\n/);
    // MariaDB is a TCP frontend: its protocol has its own TLS, HAProxy passes it through.
    assert.match(cfg, /listen mariadb\n {4}mode tcp\n {4}bind 10\.98\.0\.100:3306 transparent\n/);
    assert.doesNotMatch(cfg, /mariadb_by_protocol/);
  });

  it("an environment gets its own certificates folder (its own VIP), the folder's own without -e", () => {
    mkdirSync(join(dir, "environments", "staging"), { recursive: true });
    copyFileSync(join(dir, "inventory.yml"), join(dir, "environments", "staging", "inventory.yml"));
    const staging = certificateRequestOf(loadProject({ dir, environment: "staging", checkCertificates: false }), { days: 30, renew: false });
    assert.equal(staging.dir, join(dir, "environments", "staging"));
    assert.equal(certificateRequestOf(loadProject({ dir, checkCertificates: false }), { days: 30, renew: false }).dir, dir);
  });

  it("with Keystone, tls_external makes every URL a client is given https: identity endpoints, catalogue entries, clouds.yaml (with the CA) and openrc", () => {
    const os = copyDeployment(join(packageRoot, "examples", "openstack"));
    try {
      writeFakePasswords(os);
      const render = (): Map<string, { jobs: string[]; catalog: string[]; clouds: string; openrc: string }> => {
        const out = new Map<string, { jobs: string[]; catalog: string[]; clouds: string; openrc: string }>();
        for (const svc of renderProject(loadProject({ dir: os })).hosts.get("lab1")!.services) {
          const op = (dest: string): string => svc.operatorFiles?.find((f) => f.dest === dest)?.content ?? "";
          out.set(svc.name, {
            jobs: svc.jobs?.flatMap((j) => j.command) ?? [],
            catalog: Object.values(svc.catalog?.endpoints ?? {}),
            clouds: op("clouds.yaml"),
            openrc: op("admin-openrc.sh"),
          });
        }
        return out;
      };
      const plain = render();
      assert.ok(plain.get("keystone")!.jobs.includes("http://10.98.0.100:5000/v3"));
      assert.match(plain.get("keystone")!.clouds, /auth_url: "http:\/\/10\.98\.0\.100:5000\/v3"/);
      assert.doesNotMatch(plain.get("keystone")!.clouds, /cacert/);
      assert.deepEqual(plain.get("webapp")!.catalog, ["http://10.98.0.100:8080", "http://10.98.0.100:8080"]);

      generateCertificates(certificateRequestOf(loadProject({ dir: os, checkCertificates: false }), { days: 30, renew: false }));
      const g = join(os, "globals.yml");
      writeFileSync(g, `${readFileSync(g, "utf8")}\ntls_external: true\n`);
      const tls = render();
      const ca = join(os, CERTIFICATES_DIR, CERT_FILES.ca);
      const ks = tls.get("keystone")!;
      assert.equal(ks.jobs.filter((a) => a === "https://10.98.0.100:5000/v3").length, 3, "admin, internal and public identity endpoints");
      assert.ok(!ks.jobs.some((a) => a.startsWith("http://")));
      assert.match(ks.clouds, /auth_url: "https:\/\/10\.98\.0\.100:5000\/v3"/);
      assert.ok(ks.clouds.includes(`cacert: "${ca}"`), ks.clouds);
      assert.match(ks.openrc, /^export OS_AUTH_URL=https:\/\/10\.98\.0\.100:5000\/v3$/m);
      assert.ok(ks.openrc.includes(`export OS_CACERT=${ca}\n`));
      assert.deepEqual(tls.get("webapp")!.catalog, ["https://10.98.0.100:8080", "https://10.98.0.100:8080"]);
    } finally {
      removeDeployment(os);
    }
  });

  it("tls_internal: lading certificates issues the backends' certificate; HAProxy verifies each HTTP backend over TLS; the services serve HTTPS with their key private; gates probe HTTPS", () => {
    const os = copyDeployment(join(packageRoot, "examples", "openstack"));
    try {
      writeFakePasswords(os);
      const req = certificateRequestOf(loadProject({ dir: os, checkCertificates: false }), { days: 30, renew: false });
      assert.deepEqual(req.backend, { addresses: ["10.98.0.11", "10.98.0.12", "10.98.0.13"], names: ["lab1", "lab2", "lab3"] });
      const report = generateCertificates(req);
      assert.ok(report.backendIssued && report.issued);
      assert.equal(statSync(join(os, CERTIFICATES_DIR, CERT_FILES.backendKey)).mode & 0o777, 0o600);
      // Run again: both kept.
      const again = generateCertificates(req);
      assert.ok(again.kept && again.backendKept && !again.backendIssued);
      const g = join(os, "globals.yml");
      writeFileSync(g, `${readFileSync(g, "utf8")}\ntls_internal: true\n`);
      const project = loadProject({ dir: os });
      const lab2 = renderProject(project).hosts.get("lab2")!;
      const svc = (n: string) => lab2.services.find((x) => x.name === n)!;
      const fileOf = (n: string, f: string) => svc(n).files.find((x) => x.path.endsWith(`/${f}`));
      const cfg = fileOf("haproxy", "haproxy.cfg")!.content;
      for (const [name, port] of [["webapp", 8080], ["keystone", 5000], ["rabbitmq_management", 15672]] as const) {
        assert.match(cfg, new RegExp(`listen ${name}\\n[\\s\\S]*?server lab1 10\\.98\\.0\\.11:${port} check .* ssl verify required ca-file /etc/haproxy/ca\\.pem verifyhost lab1\\n`), name);
      }
      // The database stays a TCP backend without it; the frontends stay plain HTTP (tls_external is off).
      assert.match(cfg, /server lab1 10\.98\.0\.11:3306 check inter 2s rise 2 fall 5\n/);
      assert.doesNotMatch(cfg, /crt \/etc\/haproxy\/haproxy\.pem/);
      assert.equal(fileOf("haproxy", "ca.pem")!.content, project.backendCertificate!.caPem);
      assert.equal(fileOf("haproxy", "ca.pem")!.hotReload?.says, "CA bundle changed, seamless reload");
      for (const [name, owner, mode] of [["webapp", "42400:42400", "0600"], ["keystone", "42425:42425", "0600"], ["rabbitmq", "root:42439", "0640"]] as const) {
        const key = fileOf(name, "backend.key")!;
        assert.deepEqual([key.owner, key.mode], [owner, mode], name);
        assert.equal(key.content, project.backendCertificate!.keyPem);
        assert.ok(fileOf(name, "backend.pem")!.content.includes("BEGIN CERTIFICATE"));
      }
      assert.match(fileOf("webapp", "webapp.ini")!.content, /certfile = \/etc\/webapp\/backend\.pem\nkeyfile = \/etc\/webapp\/backend\.key/);
      assert.match(fileOf("keystone", "keystone-uwsgi.ini")!.content, /^https-socket = 10\.98\.0\.12:5000,\/etc\/keystone\/backend\.pem,\/etc\/keystone\/backend\.key,HIGH$/m);
      assert.match(fileOf("rabbitmq", "rabbitmq.conf")!.content, /management\.ssl\.port = 15672/);
      assert.doesNotMatch(fileOf("rabbitmq", "rabbitmq.conf")!.content, /management\.tcp/);
      assert.deepEqual(svc("webapp").rollout.gate, { kind: "http", port: 8080, path: "/health", status: 200, tls: { when: "tls_internal", caFile: "/etc/webapp/ca.pem" } });
      assert.ok(svc("webapp").containers[0]!.healthcheck!.test.includes("https://10.98.0.12:8080/health"));
      assert.equal(svc("keystone").identity?.url, "https://10.98.0.12:5000/v3");
      // The key is redacted like HAProxy's.
      const r = new Redactor(Object.values(project.secrets));
      assert.doesNotMatch(r.redact(project.backendCertificate!.keyPem), /PRIVATE KEY-----\n[A-Za-z0-9+/]/);
    } finally {
      removeDeployment(os);
    }
  });

  it("tls_internal refuses a backends' certificate that does not cover a backend host, naming the file", () => {
    generateCertificates({ ...certificateRequestOf(loadProject({ dir, checkCertificates: false }), { days: 30, renew: false }), backend: { addresses: ["10.98.0.11"], names: ["lab1"] } });
    const g = join(dir, "globals.yml");
    writeFileSync(g, `${readFileSync(g, "utf8")}\ntls_internal: true\n`);
    assert.throws(
      () => loadProject({ dir }),
      (err: unknown) => err instanceof InputError && err.problems.some((p) => p.file.endsWith("certificates/backend.pem") && /does not cover 10\.98\.0\.12/.test(p.message)),
    );
  });

  it("without tls_redirect each HTTP frontend binds TLS on its own port", () => {
    generateCertificates(certificateRequestOf(loadProject({ dir, checkCertificates: false }), { days: 30, renew: false }));
    enable();
    const cfg = renderProject(loadProject({ dir })).hosts.get("lab2")!.services.find((s) => s.name === "haproxy")!.files[0]!.content;
    assert.match(cfg, /listen webapp\n {4}mode http\n {4}bind 10\.98\.0\.100:8080 transparent ssl crt \/etc\/haproxy\/haproxy\.pem alpn h2,http\/1\.1\n/);
    assert.doesNotMatch(cfg, /by_protocol|redirect/);
  });

  it("every command that loads the deployment refuses tls_external without certificates, naming the folder's files", () => {
    enable();
    assert.throws(() => loadProject({ dir }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.deepEqual(err.problems.map((p) => [p.file.slice(dir.length + 1), p.message.split(":")[0]]), [
        [`${CERTIFICATES_DIR}/${CERT_FILES.ca}`, "not found"],
        [`${CERTIFICATES_DIR}/${CERT_FILES.cert}`, "not found"],
        [`${CERTIFICATES_DIR}/${CERT_FILES.key}`, "not found"],
      ]);
      return true;
    });
  });

  it("a certificate that does not cover tls_external_name is refused", () => {
    generateCertificates(certificateRequestOf(loadProject({ dir, checkCertificates: false }), { days: 30, renew: false }));
    enable("tls_external_name: www.example.com\n");
    assert.throws(() => loadProject({ dir }), /haproxy\.pem: certificate CN=10\.98\.0\.100 does not cover www\.example\.com/);
  });

  it("the TLS key is a secret: redacted from plans (every line of it), like passwords", () => {
    generateCertificates(certificateRequestOf(loadProject({ dir, checkCertificates: false }), { days: 30, renew: false }));
    enable();
    const project = loadProject({ dir });
    const desired = renderProject(project);
    const plan = buildPlan({ desired, facts: new Map([["lab1", facts()]]), secrets: project.secrets, mode: "deploy" });
    const redactor = new Redactor(Object.values(project.secrets));
    const text = formatPlan(plan, { redact: (s) => redactor.redact(s), diffs: true });
    const keyLines = project.certificates!.keyPem.split("\n").filter((l) => !l.startsWith("-----"));
    assert.ok(keyLines.length > 0);
    for (const l of keyLines) assert.ok(!text.includes(l), "no line of the key in the plan");
    assert.match(text, /\[REDACTED\]/);
  });
});

describe("plan: a renewed certificate is a hot reload", () => {
  const cfg = file("haproxy", "haproxy.cfg", "global\n", { restarts: ["haproxy"] });
  const pem = (content: string) => file("haproxy", "haproxy.pem", content, { mode: "0600", restarts: [], hotReload: HOT });
  const hp = container("haproxy", "haproxy");
  const running = () => {
    const f = withImages(facts(), hp.image);
    f.files.set(cfg.path, fileFact(cfg.content, "0644"));
    f.files.set(pem("old").path, fileFact("old", "0600"));
    f.containers.set(hp.name, runningFact(hp, configHashOf([{ path: cfg.path, sha256: sha(cfg.content), mode: "0644", owner: "root" }])));
    return f;
  };

  it("only the certificate changed: write it, then reload, no restart, and the plan says so", () => {
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [cfg, pem("new")], [hp])] }), facts: new Map([["h1", running()]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["write", "reload"]);
    assert.equal(steps[1]!.reason, "haproxy: certificate renewed, hot reload (haproxy.pem)");
    assert.match(formatPlan(plan, { redact: (s) => s, diffs: false }), /reload +haproxy \(haproxy\.pem, no restart\) +# haproxy: certificate renewed, hot reload \(haproxy\.pem\)/);
  });

  it("the config changed too: the restart reads the new certificate, no reload", () => {
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [{ ...cfg, content: "global\n  maxconn 1\n" }, pem("new")], [hp])] }), facts: new Map([["h1", running()]]), secrets: {}, mode: "deploy" });
    assert.deepEqual(kinds(plan.hosts.get("h1")!.services[0]!.steps), ["write", "write", "restart"]);
  });

  it("no running container: nothing to reload (create, or start, reads the file)", () => {
    const none = withImages(facts(), hp.image);
    const created = buildPlan({ desired: state({ h1: [service("haproxy", [cfg, pem("new")], [hp])] }), facts: new Map([["h1", none]]), secrets: {}, mode: "deploy" });
    assert.deepEqual(kinds(created.hosts.get("h1")!.services[0]!.steps), ["write", "write", "create"]);
    const stopped = running();
    stopped.containers.set(hp.name, { ...stopped.containers.get(hp.name)!, running: false, status: "exited" });
    const started = buildPlan({ desired: state({ h1: [service("haproxy", [cfg, pem("new")], [hp])] }), facts: new Map([["h1", stopped]]), secrets: {}, mode: "deploy" });
    assert.deepEqual(kinds(started.hosts.get("h1")!.services[0]!.steps), ["write", "start"]);
  });

  it("a changed configuration and a changed CA bundle are one seamless reload, naming both files", () => {
    const RELOAD = { container: "haproxy", script: "haproxy-reload.sh", args: ["/run/haproxy/admin.sock", "/etc/haproxy/haproxy.cfg"], says: "configuration changed, seamless reload", full: true };
    const hot = file("haproxy", "haproxy.cfg", "global\n  maxconn 1\n", { restarts: [], hotReload: RELOAD });
    const ca = file("haproxy", "ca.pem", "CA", { restarts: [], hotReload: { ...RELOAD, says: "CA bundle changed, seamless reload" } });
    // Running with files that restart nothing: its config hash covers none of them.
    const f = running();
    f.containers.set(hp.name, runningFact(hp, configHashOf([])));
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [hot, ca, pem("new")], [hp])] }), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["write", "write", "write", "reload"], JSON.stringify(steps.map((x) => x.reason)));
    assert.equal(steps[3]!.reason, "haproxy: configuration changed, seamless reload (haproxy.cfg, ca.pem, haproxy.pem)");
  });

  it("genconfig writes the file and reloads nothing", () => {
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [cfg, pem("new")], [hp])] }), facts: new Map([["h1", running()]]), secrets: {}, mode: "genconfig" });
    assert.deepEqual(kinds(plan.hosts.get("h1")!.services[0]!.steps), ["write"]);
  });

  it("the reload runs the host script in the container with paths only: the PEM never travels in argv", () => {
    assert.deepEqual(hotReloadArgv({ container: "haproxy", script: HOT.script, args: HOT.args }), [
      "docker", "exec", "haproxy", "sh", "-c", hostScript("haproxy-set-ssl-cert.sh"), "lading-haproxy-set-ssl-cert", "/run/haproxy/admin.sock", "/etc/haproxy/haproxy.pem",
    ]);
    assert.throws(() => hotReloadArgv({ container: "haproxy", script: "no-such.sh", args: [] }), /unknown host script/);
  });
});


describe("haproxy gate after TLS is turned off", () => {
  const stat = (rows: string[]): string => `# pxname,svname,status,addr\n${rows.join("\n")}\n`;
  const gateWith = async (answer: string, before: string[]) => {
    const t = new FakeTransport("h1", [], (_h, argv) => (argv.some((a) => a.includes("show stat")) ? { stdout: answer } : undefined));
    const svc = service("haproxy", [], [container("haproxy", "haproxy")], { rollout: { gate: { kind: "haproxy", container: "haproxy" } } });
    return checkGate({ kind: "haproxy", container: "haproxy" }, { transport: t, service: svc, expectedMembers: 1, address: "10.0.0.1", backendsUpBefore: before });
  };

  it("does not wait for a backend the new config no longer has (the TLS detection backends), but does for one that is down", async () => {
    const before = ["webapp", "webapp_tls_in", "webapp_plain_in"];
    const off = await gateWith(stat(["webapp,FRONTEND,OPEN,", "webapp,BACKEND,UP,"]), before);
    assert.deepEqual(off, { ok: true, detail: "1 backends up" });
    const down = await gateWith(stat(["webapp,FRONTEND,OPEN,", "webapp,BACKEND,DOWN,"]), before);
    assert.deepEqual(down, { ok: false, detail: "backends down: webapp" });
  });
});
