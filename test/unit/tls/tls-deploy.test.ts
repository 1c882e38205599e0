// TLS through the deployment: a lab deployment with tls_external renders HAProxy's TLS binds and its PEM (0600),
// refuses a bad certificate at load with its file, and plans a renewed certificate as a hot reload, not a restart.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
    const svc = service("haproxy", [], [container("haproxy", "haproxy")], { provides: "loadbalancer", rollout: { gate: { kind: "haproxy", container: "haproxy" } } });
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
