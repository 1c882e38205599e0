// lading serve's API on 127.0.0.1, over a copy of examples/lab whose hosts are a fake session: every route with a
// bad token (401), bad bodies (400 naming the path, nothing written), an edit that breaks validation (the file
// byte-identical), edits that keep comments, the plan with its diff and secrets redacted, runs with their event
// stream, two applies at once (the second refused), a run refused by another run's deploy lock, and no secret in
// any answer.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LISTEN } from "../../../src/cli/commands/serve.js";
import type { RunRequest } from "../../../src/generated/api.js";
import type { RunContext } from "../../../src/run/run.js";
import { OPENAPI_PATH } from "../../../src/serve/openapi.js";
import { openApiPath, ROUTES } from "../../../src/serve/routes.js";
import { loadToken } from "../../../src/serve/token.js";
import { InputError } from "../../../src/errors.js";
import { pacedReconfigure, replay } from "./recorded-run.js";
import { startServeFixture, type ServeFixture } from "./serve-fixture.js";

/** Every secret value of the fixture's passwords.yml. */
function secretsOf(dir: string): string[] {
  return readFileSync(join(dir, "passwords.yml"), "utf8")
    .split("\n")
    .map((l) => /^\s*[\w]+:\s*"(.+)"$/.exec(l)?.[1])
    .filter((v): v is string => !!v && v.length >= 8);
}

const EXAMPLE_PATH: Record<string, string> = { ":name": "memcached_memory_mb", ":id": "no-such-run" };

describe("lading serve API", function () {
  this.timeout(60_000);
  let f: ServeFixture;
  let answers: string[];
  let body: ((ctx: RunContext, req: RunRequest) => Promise<number>) | undefined;

  beforeEach(async () => {
    answers = [];
    body = undefined;
    f = await startServeFixture({ deps: { runBody: (ctx, req) => (body ? body(ctx, req) : replay(pacedReconfigure(), 0)(ctx)) } });
    const call = f.call;
    f.call = async (...args) => {
      const r = await call(...args);
      answers.push(r.text);
      return r;
    };
  });
  afterEach(async () => {
    // No secret of the deployment in any answer of the test, whatever the route.
    const secrets = secretsOf(f.dir);
    assert.ok(secrets.length >= 5, "the fixture has secrets");
    for (const text of answers) for (const s of secrets) assert.ok(!text.includes(s), `a secret leaked into an answer: ${text.slice(0, 200)}`);
    await f.close();
  });

  it("refuses every route without the token, with a wrong one, or with another scheme (401), and sends no CORS header", async () => {
    const routes = [...ROUTES.map((r) => ({ method: r.method, url: r.url })), { method: "GET" as const, url: OPENAPI_PATH }];
    for (const r of routes) {
      const path = r.url.replace(/:\w+/g, (m) => EXAMPLE_PATH[m]!);
      for (const token of [null, "wrong-token-0123456789abcdef0123456789", `${f.token}x`, ""]) {
        const res = await f.call(r.method, path, r.method === "GET" ? undefined : { confirm: true }, token);
        assert.equal(res.status, 401, `${r.method} ${path} with ${token === null ? "no token" : "a bad token"}`);
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
        assert.equal(res.headers.get("access-control-allow-origin"), null);
      }
    }
    // However the path is spelled, and for paths that do not exist: the token first.
    for (const path of ["/%61pi/parameters", "/api//parameters", "/api/parameters/", "/api/nothing-here", "/secret"]) {
      const res = await fetch(`${f.url}${path}`);
      assert.equal(res.status, 401, path);
    }
    // The console's own files (no data) are the only answers without it.
    for (const path of ["/", "/console/app.js", "/console/style.css"]) assert.equal((await fetch(`${f.url}${path}`)).status, 200, path);
    const page = await fetch(`${f.url}/`);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    const basic = await fetch(`${f.url}/api/parameters`, { headers: { authorization: `Basic ${Buffer.from(`x:${f.token}`).toString("base64")}` } });
    assert.equal(basic.status, 401);
    const preflight = await fetch(`${f.url}/api/parameters`, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "PUT" } });
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    assert.notEqual(preflight.status, 204);
    const ok = await f.call("GET", "/api/parameters", undefined, undefined);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), null);
    assert.equal(ok.headers.get("cache-control"), "no-store");
  });

  it("serves the OpenAPI document, listing every route the server has, with its body and query schemas", async () => {
    const res = await f.call("GET", OPENAPI_PATH);
    assert.equal(res.status, 200);
    const doc = res.json as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string; in: string }[] }>>; components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, "3.1.0");
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const routes = [...ROUTES.map((r) => `${r.method} ${openApiPath(r.url)}`), `GET ${OPENAPI_PATH}`].sort();
    assert.deepEqual(listed, routes);
    // Each listed route is one the server answers (not 404), and each API route the server has is listed.
    for (const r of ROUTES) assert.ok(f.app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url} registered`);
    for (const r of ROUTES.filter((x) => x.body)) assert.deepEqual(doc.paths[openApiPath(r.url)]![r.method.toLowerCase()]!.requestBody, { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${r.body}` } } } });
    assert.deepEqual(doc.paths["/api/plan"]!.get!.parameters!.map((p) => `${p.in}:${p.name}`), ["query:limit", "query:service"]);
    for (const name of ["ParameterEdit", "RunRequest", "ParameterScope", "Problem"]) assert.ok(doc.components.schemas[name], name);
    assert.ok(!JSON.stringify(doc).includes('"#/$defs/'), "references point into components");
  });

  it("gives the deployment: hosts as resolved, groups, roles and each host's services", async () => {
    const res = await f.call("GET", "/api/deployment");
    assert.equal(res.status, 200);
    const d = res.json as { hosts: { name: string; address: string; services: string[]; groups: string[] }[]; roles: { name: string; enabled: boolean }[]; groups: { name: string; members: string[] }[]; inventoryEditable: boolean };
    assert.deepEqual(d.hosts.map((h) => `${h.name}=${h.address}`), ["lab1=127.0.0.11", "lab2=127.0.0.12", "lab3=127.0.0.13"]);
    assert.deepEqual([...d.hosts[0]!.services].sort(), ["haproxy", "keepalived", "mariadb", "memcached", "rabbitmq", "webapp"]);
    assert.ok(d.hosts[0]!.groups.includes("mariadb"));
    assert.deepEqual(d.groups.find((g) => g.name === "memcached")!.members, ["lab1", "lab2", "lab3"]);
    assert.equal(d.roles.find((r) => r.name === "keystone")!.enabled, false);
    assert.equal(d.inventoryEditable, true);
  });

  it("gives every parameter with its JSON Schema, role, and value per host with where it was set", async () => {
    const res = await f.call("GET", "/api/parameters");
    assert.equal(res.status, 200);
    const { parameters } = res.json as { parameters: { name: string; role: string; schema: Record<string, unknown>; global: { value: unknown; source: { kind: string; line?: number } }; hosts: Record<string, { value: unknown; source: { kind: string } }> }[] };
    assert.ok(parameters.length > 50);
    for (const p of parameters) {
      assert.ok(p.schema.type, `${p.name} has a type`);
      assert.ok(typeof p.schema.description === "string" && p.schema.description.length > 0, `${p.name} has a description`);
      assert.deepEqual(Object.keys(p.hosts), ["lab1", "lab2", "lab3"]);
    }
    const port = parameters.find((p) => p.name === "memcached_port")!;
    assert.equal(port.role, "memcached");
    assert.equal(port.schema.minimum, 1);
    assert.equal(port.schema.maximum, 65535);
    assert.deepEqual(port.global.source, { kind: "default" });
    const vip = parameters.find((p) => p.name === "vip_address")!;
    assert.equal(vip.schema.format, "ipv4");
    assert.equal(vip.global.value, "10.98.0.100");
    assert.equal(vip.global.source.kind, "globals");
    assert.equal(vip.global.source.line, 6);
    assert.ok(parameters.findIndex((p) => p.role === "global") < parameters.findIndex((p) => p.role === "mariadb"), "global first");
  });

  it("refuses bad bodies with 400 naming the path, and writes nothing", async () => {
    const globals = readFileSync(join(f.dir, "globals.yml"));
    const inventory = readFileSync(join(f.dir, "inventory.yml"));
    const cases: [unknown, string, RegExp][] = [
      [{ scope: { kind: "globals" }, value: 64 }, "/confirm", /missing key "confirm"/],
      [{ scope: { kind: "globals" }, value: 64, confirm: "yes" }, "/confirm", /must be true/],
      [{ scope: { kind: "globals" }, value: 64, confirm: true, force: 1 }, "/force", /unknown key "force"/],
      [{ scope: { kind: "everywhere" }, value: 64, confirm: true }, "/scope/kind", /must be/],
      [{ scope: { kind: "group" }, value: 64, confirm: true }, "/scope/group", /missing key "group"/],
      [{ value: 64, confirm: true }, "/scope", /missing key "scope"/],
      [[1, 2], "/", /must be object/],
    ];
    for (const [b, path, message] of cases) {
      const res = await f.call("PUT", "/api/parameters/memcached_memory_mb", b);
      assert.equal(res.status, 400, JSON.stringify(b));
      const p = (res.json as { problems: { file: string; path: string; message: string }[] }).problems;
      assert.ok(p.some((x) => x.file === "request body" && x.path === path && message.test(x.message)), `${JSON.stringify(b)}: ${JSON.stringify(p)}`);
    }
    const notJson = await f.call("PUT", "/api/parameters/memcached_memory_mb", "{not json");
    assert.equal(notJson.status, 400);
    const plain = await fetch(`${f.url}/api/runs`, { method: "POST", headers: { authorization: `Bearer ${f.token}`, "content-type": "text/plain" }, body: '{"command":"deploy","confirm":true}' });
    assert.equal(plain.status, 415, "JSON bodies only");
    const badName = await f.call("PUT", "/api/parameters/no%20such", { scope: { kind: "globals" }, value: 1, confirm: true });
    assert.equal(badName.status, 400);
    assert.equal((badName.json as { problems: { file: string; path: string }[] }).problems[0]!.file, "url");
    const run = await f.call("POST", "/api/runs", { command: "destroy", confirm: true });
    assert.equal(run.status, 400);
    assert.equal((run.json as { problems: { path: string }[] }).problems[0]!.path, "/command");
    const noConfirm = await f.call("POST", "/api/runs", { command: "reconfigure" });
    assert.equal(noConfirm.status, 400);
    const rollback = await f.call("POST", "/api/runs", { command: "rollback", confirm: true });
    assert.equal(rollback.status, 400);
    assert.equal((rollback.json as { problems: { path: string }[] }).problems[0]!.path, "/services");
    const query = await f.call("GET", "/api/plan?limit=&extra=1");
    assert.equal(query.status, 400);
    assert.equal((query.json as { problems: { file: string }[] }).problems[0]!.file, "query");
    assert.deepEqual(readFileSync(join(f.dir, "globals.yml")), globals);
    assert.deepEqual(readFileSync(join(f.dir, "inventory.yml")), inventory);
    assert.equal(f.service.runs.list().length, 0, "no run started");
  });

  it("refuses an edit that breaks validation with the validators' problem (file, line, path), the file byte-identical", async () => {
    const before = readFileSync(join(f.dir, "globals.yml"));
    const res = await f.call("PUT", "/api/parameters/vip_address", { scope: { kind: "globals" }, value: "10.98.0.300", confirm: true });
    assert.equal(res.status, 400);
    const problems = (res.json as { problems: { file: string; line: number; column: number; path: string; message: string; text: string }[] }).problems;
    assert.deepEqual(problems.map((p) => ({ file: p.file, line: p.line, path: p.path, message: p.message })), [{ file: join(f.dir, "globals.yml"), line: 6, path: "vip_address", message: 'parameter "vip_address" must match format "ipv4"' }]);
    assert.match(problems[0]!.text, /globals\.yml:6:14: vip_address: parameter "vip_address" must match format "ipv4"$/);
    // A value the schema allows but a rule refuses: an even Galera group is fine, a port clash is not.
    const clash = await f.call("PUT", "/api/parameters/memcached_port", { scope: { kind: "host", host: "lab2" }, value: 3306, confirm: true });
    assert.equal(clash.status, 400);
    assert.match(JSON.stringify(clash.json), /3306/);
    const wrongType = await f.call("PUT", "/api/parameters/memcached_memory_mb", { scope: { kind: "group", group: "memcached" }, value: "lots", confirm: true });
    assert.equal(wrongType.status, 400);
    assert.match((wrongType.json as { problems: { message: string }[] }).problems[0]!.message, /must be integer, got the string "lots"/);
    const unknown = await f.call("PUT", "/api/parameters/memcache_port", { scope: { kind: "globals" }, value: 11211, confirm: true });
    assert.equal(unknown.status, 400);
    assert.match((unknown.json as { problems: { message: string }[] }).problems[0]!.message, /unknown parameter "memcache_port" \(did you mean "memcached_port"\?\)/);
    const noHost = await f.call("PUT", "/api/parameters/memcached_port", { scope: { kind: "host", host: "lab9" }, value: 11212, confirm: true });
    assert.equal(noHost.status, 400);
    assert.match((noHost.json as { problems: { message: string }[] }).problems[0]!.message, /no host "lab9" in the inventory/);
    assert.deepEqual(readFileSync(join(f.dir, "globals.yml")), before);
    // The same check without writing, as the console asks while a value is typed.
    const check = await f.call("POST", "/api/parameters/vip_address/check", { scope: { kind: "globals" }, value: "nope" });
    assert.equal(check.status, 200);
    assert.equal((check.json as { problems: unknown[]; written: boolean }).problems.length, 1);
    assert.equal((check.json as { written: boolean }).written, false);
    assert.deepEqual(readFileSync(join(f.dir, "globals.yml")), before);
  });

  it("writes an edit into globals.yml and the inventory's vars, keeping every comment and line it does not change", async () => {
    const file = join(f.dir, "globals.yml");
    const before = readFileSync(file, "utf8");
    const mode = statSync(file).mode;
    const res = await f.call("PUT", "/api/parameters/keepalived_virtual_router_id", { scope: { kind: "globals" }, value: 61, confirm: true });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as { written: boolean }).written, true);
    const after = readFileSync(file, "utf8");
    assert.equal(after, before.replace("keepalived_virtual_router_id: 51", "keepalived_virtual_router_id: 61"));
    assert.equal(statSync(file).mode, mode);
    assert.match((res.json as { diff: string }).diff, /-keepalived_virtual_router_id: 51\n\+keepalived_virtual_router_id: 61/);
    // A quoted string stays quoted; a new key goes at the end.
    await f.call("PUT", "/api/parameters/image_tag", { scope: { kind: "globals" }, value: "1.1", confirm: true });
    assert.match(readFileSync(file, "utf8"), /^image_tag: "1\.1"$/m);
    const inv = join(f.dir, "inventory.yml");
    const invBefore = readFileSync(inv, "utf8");
    const group = await f.call("PUT", "/api/parameters/memcached_memory_mb", { scope: { kind: "group", group: "memcached" }, value: 96, confirm: true });
    assert.equal(group.status, 200, group.text);
    const host = await f.call("PUT", "/api/parameters/keepalived_priority", { scope: { kind: "host", host: "lab2" }, value: 120, confirm: true });
    assert.equal(host.status, 200, host.text);
    const invAfter = readFileSync(inv, "utf8");
    // Only lines were added: every line of the file before is there, in order, comments included.
    const added = invAfter.split("\n").filter((l) => !invBefore.split("\n").includes(l));
    assert.deepEqual(added, ["    vars:", "      keepalived_priority: 120", "    vars:", "      memcached_memory_mb: 96"]);
    assert.ok(invAfter.includes("# The lab's three hosts"), "comments kept");
    assert.ok(invAfter.includes("hosts: [lab1, lab2, lab3]"), "flow lists kept as written");
    // The parameters now say where each value was set.
    const params = (await f.call("GET", "/api/parameters")).json as { parameters: { name: string; hosts: Record<string, { value: unknown; source: { kind: string; group?: string; host?: string; line?: number } }> }[] };
    const mem = params.parameters.find((p) => p.name === "memcached_memory_mb")!;
    assert.deepEqual([mem.hosts.lab1!.value, mem.hosts.lab1!.source.kind, mem.hosts.lab1!.source.group], [96, "group", "memcached"]);
    const prio = params.parameters.find((p) => p.name === "keepalived_priority")!;
    assert.deepEqual([prio.hosts.lab2!.value, prio.hosts.lab2!.source.kind, prio.hosts.lab2!.source.host], [120, "host", "lab2"]);
    assert.notEqual(prio.hosts.lab1!.source.kind, "host");
    // Unset puts the default back.
    const unset = await f.call("PUT", "/api/parameters/memcached_memory_mb", { scope: { kind: "group", group: "memcached" }, unset: true, confirm: true });
    assert.equal(unset.status, 200);
    assert.ok(!readFileSync(inv, "utf8").includes("memcached_memory_mb"));
  });

  it("validates as lading validate does, with each problem's file, line and path", async () => {
    const ok = await f.call("GET", "/api/validate");
    assert.deepEqual([ok.status, (ok.json as { ok: boolean }).ok], [200, true]);
    writeFileSync(join(f.dir, "globals.yml"), `${readFileSync(join(f.dir, "globals.yml"), "utf8")}memcached_port: 99999\n`);
    const bad = await f.call("GET", "/api/validate");
    const problems = (bad.json as { ok: boolean; problems: { text: string }[] }).problems;
    assert.equal((bad.json as { ok: boolean }).ok, false);
    assert.ok(problems.some((p) => /globals\.yml:\d+:\d+: memcached_port: parameter "memcached_port" must be <= 65535/.test(p.text)), JSON.stringify(problems));
    // A deployment with problems: the routes that need it say so (422), naming them.
    const params = await f.call("GET", "/api/parameters");
    assert.equal(params.status, 422);
    assert.match(JSON.stringify(params.json), /memcached_port/);
  });

  it("plans with the schedule and the diff of what an edit changes, secrets [REDACTED]", async () => {
    const clean = await f.call("GET", "/api/plan");
    assert.equal(clean.status, 200, clean.text);
    assert.equal((clean.json as { outcome: number; result: { changes: number } }).result.changes, 0, "the fake hosts are as deployed");
    assert.equal((clean.json as { outcome: number }).outcome, 0);
    assert.equal((await f.call("PUT", "/api/parameters/webapp_message", { scope: { kind: "globals" }, value: "hello from the console", confirm: true })).status, 200);
    // A rotated secret: the new value renders into haproxy.cfg, and shows as [REDACTED].
    const pw = join(f.dir, "passwords.yml");
    writeFileSync(pw, readFileSync(pw, "utf8").replace(/^haproxy_stats_password: .*$/m, 'haproxy_stats_password: "rotated-stats-password-0123456789"'));
    chmodSync(pw, 0o600);
    const res = await f.call("GET", "/api/plan");
    assert.equal(res.status, 200, res.text);
    const plan = (res.json as { outcome: number; result: { changes: number; hosts: { host: string; services: { service: string; steps: { kind: string; reason: string; diff?: string }[] }[] }[]; schedule: { services: { service: string; batches: { hosts: string[] }[] }[] } } }).result;
    assert.equal((res.json as { outcome: number }).outcome, 2);
    const webapp = plan.hosts.find((h) => h.host === "lab2")!.services.find((s) => s.service === "webapp")!;
    assert.deepEqual(webapp.steps.map((s) => s.kind), ["write", "restart"]);
    const diff = webapp.steps[0]!.diff!;
    assert.match(diff, /^-message = /m);
    assert.match(diff, /^\+message = hello from the console$/m);
    const haproxy = plan.hosts.find((h) => h.host === "lab1")!.services.find((s) => s.service === "haproxy")!;
    assert.match(haproxy.steps.find((s) => s.kind === "write")!.diff!, /^\+.*\[REDACTED\]/m);
    assert.ok(!res.text.includes("rotated-stats-password-0123456789"));
    const sched = plan.schedule.services.find((s) => s.service === "webapp")!;
    assert.deepEqual(sched.batches.map((b) => b.hosts), [["lab1"], ["lab2"], ["lab3"]]);
    assert.equal(f.log.filter((l) => /put |docker (restart|run|rm)/.test(l)).length, 0, "plan changes nothing");
  });

  it("starts a run, streams its events (the same objects as --json) over SSE, and keeps it", async () => {
    body = replay(pacedReconfigure(), 0.005);
    const res = await f.call("POST", "/api/runs", { command: "reconfigure", confirm: true });
    assert.equal(res.status, 202, res.text);
    const run = res.json as { id: string; status: string; command: string };
    assert.equal(run.command, "reconfigure");
    const stream = await fetch(`${f.url}/api/runs/${run.id}/events`, { headers: { authorization: `Bearer ${f.token}` } });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    const text = await stream.text();
    answers.push(text);
    const blocks = text.split("\n\n").filter(Boolean);
    const events = blocks.filter((b) => !b.startsWith("event: end")).map((b) => JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as { type: string; time: string });
    assert.equal(events[0]!.type, "run-start");
    assert.ok(events.every((e) => typeof e.time === "string"));
    assert.deepEqual(events.filter((e) => e.type === "batch").length, 7);
    assert.equal(events.filter((e) => e.type !== "stats").at(-1)!.type, "recap");
    assert.match(blocks.at(-1)!, /^event: end\ndata: \{.*"status":"succeeded".*"outcome":0/);
    const ids = blocks.filter((b) => b.startsWith("id: ")).map((b) => Number(/^id: (\d+)/.exec(b)![1]));
    assert.deepEqual(ids, ids.map((_, i) => i));
    // Resuming after an event id gives the ones after it.
    const resumed = await fetch(`${f.url}/api/runs/${run.id}/events`, { headers: { authorization: `Bearer ${f.token}`, "last-event-id": String(ids.length - 2) } });
    assert.equal((await resumed.text()).split("\n\n").filter((b) => b.startsWith("id: ")).length, 1);
    const listed = await f.call("GET", "/api/runs");
    assert.deepEqual((listed.json as { id: string; status: string }[]).map((r) => [r.id, r.status]), [[run.id, "succeeded"]]);
    const one = await f.call("GET", `/api/runs/${run.id}`);
    assert.equal((one.json as { events: unknown[] }).events.length, events.length);
    assert.equal((await f.call("GET", "/api/runs/no-such-run")).status, 404);
    assert.equal((await f.call("GET", "/api/runs/no-such-run/events")).status, 404);
  });

  it("refuses a second apply while one runs (409), and edits too, then takes the next", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    body = replay(pacedReconfigure(), 0, gate);
    const [a, b] = await Promise.all([f.call("POST", "/api/runs", { command: "reconfigure", confirm: true }), f.call("POST", "/api/runs", { command: "deploy", confirm: true })]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [202, 409]);
    const refused = (a.status === 409 ? a : b).json as { error: string; run: { id: string } };
    assert.match(refused.error, /is under way: one applying run at a time/);
    const edit = await f.call("PUT", "/api/parameters/memcached_memory_mb", { scope: { kind: "globals" }, value: 64, confirm: true });
    assert.equal(edit.status, 409);
    release();
    await eventually(() => f.service.runs.activeRun === undefined);
    const next = await f.call("POST", "/api/runs", { command: "reconfigure", confirm: true });
    assert.equal(next.status, 202, next.text);
  });

  it("refuses a run while another run holds the deploy lock of a host (409 naming it), changing nothing", async () => {
    let ran = false;
    body = async () => {
      ran = true;
      return 0;
    };
    f.holdLock("lab2");
    const res = await f.call("POST", "/api/runs", { command: "reconfigure", confirm: true });
    assert.equal(res.status, 409, res.text);
    const answer = res.json as { error: string; messages: string[]; run: { status: string } };
    assert.match(answer.error, /another run holds the deploy lock/);
    assert.ok(answer.messages.some((m) => m.startsWith("lab2:") && m.includes("ops@elsewhere")), JSON.stringify(answer.messages));
    assert.equal(ran, false);
    await eventually(() => f.service.runs.list()[0]?.status === "refused");
    const lock = await f.call("GET", "/api/lock");
    const rows = (lock.json as { outcome: number; result: { host: string; locked: boolean }[] }).result;
    assert.deepEqual(rows.map((r) => [r.host, r.locked]), [["lab1", false], ["lab2", true], ["lab3", false]]);
    assert.equal((lock.json as { outcome: number }).outcome, 2);
  });

  it("gives history, lock status and check from the hosts", async () => {
    const history = await f.call("GET", "/api/history?service=webapp");
    assert.equal(history.status, 200, history.text);
    const rows = (history.json as { result: { host: string; service: string; rev: number; command: string }[] }).result;
    assert.deepEqual(rows.filter((r) => r.host === "lab1").map((r) => [r.service, r.rev, r.command]), [["webapp", 1, "deploy"], ["webapp", 2, "upgrade"]]);
    const lock = await f.call("GET", "/api/lock?limit=lab1");
    assert.deepEqual((lock.json as { result: { host: string; locked: boolean; message: string }[] }).result, [{ host: "lab1", locked: false, message: "lab1: free" }]);
    const check = await f.call("GET", "/api/check");
    assert.equal(check.status, 200, check.text);
    const report = (check.json as { result: { drift: boolean; summary: string; problems: string[] } }).result;
    assert.equal(report.drift, false);
    assert.equal(typeof report.summary, "string");
    const badLimit = await f.call("GET", "/api/plan?limit=nohost");
    assert.equal(badLimit.status, 400);
    assert.deepEqual((badLimit.json as { problems: { file: string; path: string }[] }).problems.map((p) => [p.file, p.path]), [["query", "/limit"]]);
    const badService = await f.call("POST", "/api/runs", { command: "reconfigure", services: ["nosuch"], confirm: true });
    assert.equal(badService.status, 400);
    assert.deepEqual((badService.json as { problems: { path: string; message: string }[] }).problems.map((p) => [p.path, p.message]), [["/services", 'unknown service "nosuch"']]);
    assert.deepEqual(f.service.runs.list(), [], "a refused request leaves no run");
  });

  it("listens on loopback by default, keeps its token 0600, and refuses a token file others can read", async () => {
    assert.equal(DEFAULT_LISTEN.split(":")[0], "127.0.0.1");
    assert.equal(statSync(join(f.dir, ".lading", "serve-token")).mode & 0o777, 0o600);
    assert.equal(statSync(join(f.dir, ".lading")).mode & 0o777, 0o700);
    assert.equal(loadToken({ dir: f.dir }).token, f.token, "the same token at the next start");
    const loose = join(f.dir, "token");
    writeFileSync(loose, `${"t".repeat(40)}\n`, { mode: 0o644 });
    chmodSync(loose, 0o644);
    assert.throws(() => loadToken({ dir: f.dir, tokenFile: loose }), (e: unknown) => e instanceof InputError && /chmod 600/.test(e.message));
    chmodSync(loose, 0o600);
    assert.equal(loadToken({ dir: f.dir, tokenFile: loose }).token, "t".repeat(40));
    writeFileSync(loose, "short\n");
    assert.throws(() => loadToken({ dir: f.dir, tokenFile: loose }), /at least 32 characters/);
  });
});

async function eventually(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
