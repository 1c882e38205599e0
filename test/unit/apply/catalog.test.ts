// Catalogue registrations (role.yaml catalog:, through the role that declares identity:): planned once per
// change on the service's first host, scheduled after the identity service, removed by destroy; and the keystone
// image's registration script run for real against a small fake of Keystone's API.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { catalogRequest, identityInDesired, runCatalogRequest } from "../../../src/apply/registrations.js";
import { canonicalJson, sha256 } from "../../../src/docker/commands.js";
import { destroyPlan } from "../../../src/lifecycle/destroy.js";
import { packageRoot } from "../../../src/paths.js";
import { buildPlan, type Step } from "../../../src/plan/plan.js";
import { buildSchedule } from "../../../src/plan/schedule.js";
import type { CatalogEntry, IdentityProvider } from "../../../src/render/desired.js";
import type { ExecOptions, ExecResult, Transport } from "../../../src/transport/index.js";
import { container, facts, runningFact, service, state } from "../engine/fixtures.js";

const identity: IdentityProvider = { container: "keystone", command: ["lading-keystone-catalog"], url: "http://10.0.0.1:5000/v3", user: "admin", project: "admin", domain: "Default", passwordSecret: "keystone_admin_password", region: "RegionOne" };
const entry: CatalogEntry = { name: "webapp", type: "web-app", description: "the app", endpoints: { public: "http://vip:8080", internal: "http://vip:8080" } };
const ks = container("keystone", "keystone");
const web = container("webapp", "webapp");
const desired = (catalog: CatalogEntry = entry) =>
  state({
    h1: [service("keystone", [], [ks], { identity }), service("webapp", [], [web], { catalog, dependsOn: [] })],
    h2: [service("keystone", [], [ks], { identity }), service("webapp", [], [web], { catalog, dependsOn: [] })],
  });
const catalogSteps = (steps: Step[]) => steps.filter((s): s is Extract<Step, { kind: "register-catalog" }> => s.kind === "register-catalog");

describe("catalogue registrations", () => {
  it("plans the entry once, on the service's first host, until the recorded entry is the same", () => {
    const fresh = buildPlan({ desired: desired(), facts: new Map([["h1", facts()], ["h2", facts()]]), secrets: {}, mode: "deploy" });
    const h1 = catalogSteps(fresh.hosts.get("h1")!.services[1]!.steps);
    assert.equal(h1.length, 1);
    assert.equal(h1[0]!.reason, "catalogue entry web-app webapp (public, internal): not registered or changed");
    assert.deepEqual(catalogSteps(fresh.hosts.get("h2")!.services[1]!.steps), []);

    const recorded = { state: { registrations: { "catalog/webapp": sha256(canonicalJson(entry)).slice(0, 32) } } };
    const again = buildPlan({ desired: desired(), facts: new Map([["h1", facts(recorded)], ["h2", facts()]]), secrets: {}, mode: "reconfigure" });
    assert.deepEqual(catalogSteps(again.hosts.get("h1")!.services[1]!.steps), []);
    const moved = buildPlan({ desired: desired({ ...entry, endpoints: { public: "https://vip:8443" } }), facts: new Map([["h1", facts(recorded)], ["h2", facts()]]), secrets: {}, mode: "reconfigure" });
    assert.equal(catalogSteps(moved.hosts.get("h1")!.services[1]!.steps).length, 1);
  });

  it("schedules the service after the identity service when both are in the run", () => {
    const d = desired();
    const f = new Map([["h1", facts()], ["h2", facts()]]);
    const plan = buildPlan({ desired: d, facts: f, secrets: {}, mode: "deploy" });
    const schedule = buildSchedule({ plan, desired: d, facts: f });
    const webapp = schedule.services.find((s) => s.service === "webapp")!;
    assert.deepEqual(webapp.after, [{ service: "keystone", why: "registers in its catalogue" }]);
  });

  it("sends the admin password on stdin only, to the identity service's command in its container", async () => {
    const calls: { argv: readonly string[]; stdin?: string }[] = [];
    const t = {
      host: "h1",
      exec: async (argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
        calls.push({ argv, stdin: typeof opts.stdin === "string" ? opts.stdin : undefined });
        return { code: 0, stdout: '{"service": "created"}\n', stderr: "", durationMs: 1 };
      },
    } as unknown as Transport;
    const out = await runCatalogRequest(t, identity, catalogRequest("ensure", identity, "s3cret-pw", entry));
    assert.equal(out, '{"service": "created"}');
    assert.deepEqual(calls[0]!.argv, ["docker", "exec", "--interactive", "keystone", "lading-keystone-catalog"]);
    const req = JSON.parse(calls[0]!.stdin!) as { action: string; auth: { password: string }; region: string; endpoints: Record<string, string> };
    assert.equal(req.action, "ensure");
    assert.equal(req.auth.password, "s3cret-pw");
    assert.equal(req.region, "RegionOne");
    assert.deepEqual(req.endpoints, entry.endpoints);
    assert.ok(!calls[0]!.argv.join(" ").includes("s3cret-pw"));
  });

  it("destroy removes the entry through a running identity container and forgets its record; destroying the identity service forgets every entry", () => {
    const d = desired();
    const running = (c: typeof ks) => new Map([[c.name, runningFact(c, "x")]]);
    const regs = { "catalog/webapp": "v1", "catalog/other": "v2", "database/webapp": "d" };
    const f = new Map([
      ["h1", facts({ containers: new Map([...running(ks), ...running(web)]), state: { registrations: { ...regs } } })],
      ["h2", facts({ containers: running(web) })],
    ]);
    const plan = destroyPlan(d, d, f, "webapp", undefined);
    const remove = plan.steps.filter((s) => s.kind === "remove-catalog");
    assert.deepEqual(remove.map((s) => [s.host, s.kind === "remove-catalog" && s.name]), [["h1", "webapp"]]);
    const forget = plan.steps.find((s) => s.kind === "forget-state" && s.host === "h1");
    assert.deepEqual(forget?.kind === "forget-state" && forget.state.registrations, { "catalog/other": "v2" });

    const gone = destroyPlan(d, d, f, "keystone", undefined);
    assert.deepEqual(gone.steps.filter((s) => s.kind === "remove-catalog"), [], "no API left to remove entries from");
    const forgot = gone.steps.find((s) => s.kind === "forget-state" && s.host === "h1");
    assert.deepEqual(forgot?.kind === "forget-state" && forgot.state.registrations, { "database/webapp": "d" });
    assert.equal(identityInDesired(d)?.service, "keystone");
  });

  describe("the keystone image's lading-keystone-catalog, against a fake identity API", function () {
    // Each run starts python3: about 0.15 s alone, seconds on a loaded machine.
    this.timeout(60_000);
    interface Svc { id: string; name: string; type: string; description: string; enabled: boolean }
    interface Ep { id: string; service_id: string; interface: string; url: string; region_id: string; enabled: boolean }
    let server: Server;
    let url: string;
    let services: Svc[] = [];
    let endpoints: Ep[] = [];
    let n = 0;
    const body = async (req: IncomingMessage): Promise<Record<string, Record<string, unknown>>> => {
      let text = "";
      for await (const chunk of req) text += String(chunk);
      return text ? (JSON.parse(text) as Record<string, Record<string, unknown>>) : {};
    };
    before(async () => {
      server = createServer((req, res) => {
        void (async () => {
          const u = new URL(req.url!, "http://x");
          const b = await body(req);
          const send = (code: number, value?: unknown, headers: Record<string, string> = {}): void => {
            res.writeHead(code, { "content-type": "application/json", ...headers });
            res.end(value === undefined ? "" : JSON.stringify(value));
          };
          if (u.pathname === "/v3/auth/tokens" && req.method === "POST") {
            const pw = (b.auth as { identity: { password: { user: { password: string } } } }).identity.password.user.password;
            return pw === "right" ? send(201, { token: {} }, { "x-subject-token": "tok" }) : send(401, { error: { message: "bad" } });
          }
          if (req.headers["x-auth-token"] !== "tok") return send(401, { error: {} });
          const [, , kind, id] = u.pathname.split("/");
          if (kind === "services") {
            if (req.method === "GET") return send(200, { services: services.filter((s) => !u.searchParams.get("type") || s.type === u.searchParams.get("type")) });
            if (req.method === "POST") {
              const s = { id: `s${++n}`, enabled: true, ...(b.service as object) } as Svc;
              services.push(s);
              return send(201, { service: s });
            }
            if (req.method === "PATCH") return send(200, { service: Object.assign(services.find((s) => s.id === id)!, b.service) });
            if (req.method === "DELETE") {
              services = services.filter((s) => s.id !== id);
              return send(204);
            }
          }
          if (kind === "endpoints") {
            if (req.method === "GET") return send(200, { endpoints: endpoints.filter((e) => e.service_id === u.searchParams.get("service_id")) });
            if (req.method === "POST") {
              const e = { id: `e${++n}`, ...(b.endpoint as object) } as Ep;
              endpoints.push(e);
              return send(201, { endpoint: e });
            }
            if (req.method === "PATCH") return send(200, { endpoint: Object.assign(endpoints.find((e) => e.id === id)!, b.endpoint) });
            if (req.method === "DELETE") {
              endpoints = endpoints.filter((e) => e.id !== id);
              return send(204);
            }
          }
          send(404, {});
        })();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v3`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    const script = join(packageRoot, "lab", "images", "keystone", "lading-keystone-catalog");
    // Asynchronous: the fake API answers from this process's event loop.
    const run = (action: "ensure" | "remove", e: Partial<CatalogEntry> & Pick<CatalogEntry, "name" | "type">, password = "right") =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const child = spawn("python3", [script], { stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.on("data", (c: Buffer) => (err += c.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out: out.trim(), err: err.trim() }));
        child.stdin.end(catalogRequest(action, { ...identity, url }, password, e));
      });

    it("creates the service and its endpoints, keeps them on a second run, corrects a changed URL and drops an undeclared interface", async () => {
      const first = await run("ensure", entry);
      assert.equal(first.code, 0, first.err);
      assert.deepEqual(JSON.parse(first.out), { service: "created", endpoints: { internal: "created", public: "created" } });
      assert.deepEqual(endpoints.map((e) => [e.interface, e.url, e.region_id]).sort(), [["internal", "http://vip:8080", "RegionOne"], ["public", "http://vip:8080", "RegionOne"]]);
      assert.deepEqual(JSON.parse((await run("ensure", entry)).out), { service: "kept", endpoints: { internal: "kept", public: "kept" } });
      const moved = await run("ensure", { ...entry, description: "new", endpoints: { public: "https://vip:8443" } });
      assert.deepEqual(JSON.parse(moved.out), { service: "updated", endpoints: { internal: "removed", public: "updated" } });
      assert.deepEqual(endpoints.map((e) => [e.interface, e.url]), [["public", "https://vip:8443"]]);
      assert.equal(services.length, 1);
    });

    it("removes the service with its endpoints, and says when there is none", async () => {
      assert.deepEqual(JSON.parse((await run("remove", { name: "webapp", type: "web-app" })).out), { service: "removed", endpoints: 1 });
      assert.deepEqual([services.length, endpoints.length], [0, 0]);
      assert.deepEqual(JSON.parse((await run("remove", { name: "webapp", type: "web-app" })).out), { service: "absent", endpoints: 0 });
    });

    it("fails with the API's answer and never prints the password", async () => {
      const bad = await run("ensure", entry, "wrong-password-123");
      assert.equal(bad.code, 1);
      assert.match(bad.err, /lading-keystone-catalog: POST \/auth\/tokens: HTTP 401/);
      assert.ok(!bad.err.includes("wrong-password-123") && !bad.out.includes("wrong-password-123"));
    });
  });
});
