// lading serve on the shared lab deployment: a parameter changed through the API (webapp_message, which rolls
// webapp host by host behind its http gate), a reconfigure started from the console in headless Chromium whose
// timeline lanes advance to success, a CLI run refused by the deploy lock the console's run holds, the new message
// through the VIP, and the parameter put back with a second reconfigure (through the API and its event stream), so
// that the files after this one find the deployment as it was.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { openBrowser, type Browser } from "../unit/serve/browser.js";
import { ensureDeployed, eventually, lading, LAB_HOSTS, VIP, type Deployment } from "./deployment-fixture.js";

interface Served {
  child: ChildProcess;
  url: string;
  token: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
}

/** `lading serve` on the deployment, on a free loopback port; resolves once it prints where it listens. */
async function serve(d: Deployment): Promise<Served> {
  const child = spawn(process.execPath, [join(packageRoot, "bin", "lading.js"), "serve", "-d", d.dir, "--listen", "127.0.0.1:0"], { env: { ...process.env, CI: "true", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      const m = /^lading serve: (http:\/\/127\.0\.0\.1:\d+)\//m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`lading serve exited (${code}): ${out}${err}`)));
  });
  const token = readFileSync(join(d.dir, ".lading", "serve-token"), "utf8").trim();
  return {
    child,
    url,
    token,
    call: async (method, path, body) => {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text };
    },
  };
}

/** Follows a run's event stream to its end: every event, and the run's summary. */
async function followToEnd(s: Served, id: string): Promise<{ events: { type: string }[]; end: { status: string; outcome: number } }> {
  const res = await fetch(`${s.url}/api/runs/${id}/events`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(res.status, 200);
  const blocks = (await res.text()).split("\n\n").filter(Boolean);
  const end = blocks.find((b) => b.startsWith("event: end"));
  assert.ok(end, "the stream ends with the run's end");
  return {
    events: blocks.filter((b) => !b.startsWith("event: end")).flatMap((b) => (/^data: (.*)$/m.exec(b) ? [JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as { type: string }] : [])),
    end: JSON.parse(/^data: (.*)$/m.exec(end)![1]!) as { status: string; outcome: number },
  };
}

async function webappMessage(): Promise<string> {
  const res = await fetch(`http://${VIP}:8080/`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

describe("lading serve: the API and the console on the lab (e2e)", function () {
  this.timeout(900_000);
  let d: Deployment;
  let s: Served;
  let b: Browser | undefined;
  let globals: string;
  let originalGlobals: string;
  let setBefore: { kind: string; value: unknown };

  before(async () => {
    d = await ensureDeployed();
    globals = join(d.dir, "globals.yml");
    originalGlobals = readFileSync(globals, "utf8");
    s = await serve(d);
    const params = await s.call("GET", "/api/parameters");
    assert.equal(params.status, 200, params.text);
    const p = (params.json as { parameters: { name: string; global: { value: unknown; source: { kind: string } } }[] }).parameters.find((x) => x.name === "webapp_message")!;
    setBefore = { kind: p.global.source.kind, value: p.global.value };
  });

  after(async () => {
    await b?.close();
    // Whatever happened: globals.yml as it was, and the deployment reconfigured back to it.
    if (readFileSync(globals, "utf8") !== originalGlobals) {
      writeFileSync(globals, originalGlobals);
      const back = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(back.code, 0, back.stdout + back.stderr);
    }
    if (s) {
      s.child.kill("SIGTERM");
      await new Promise((r) => s.child.once("exit", r));
    }
  });

  it("plans nothing on the deployed lab, and refuses a request without the token", async () => {
    const plan = await s.call("GET", "/api/plan");
    assert.equal(plan.status, 200, plan.text);
    assert.equal((plan.json as { result: { changes: number } }).result.changes, 0, plan.text);
    const anonymous = await fetch(`${s.url}/api/plan`);
    assert.equal(anonymous.status, 401);
  });

  it("changes webapp_message through the API, and the plan rolls webapp with its diff", async () => {
    const message = `hello from lading serve ${Date.now()}`;
    const bad = await s.call("PUT", "/api/parameters/webapp_port", { scope: { kind: "globals" }, value: 70000, confirm: true });
    assert.equal(bad.status, 400);
    assert.equal(readFileSync(globals, "utf8"), originalGlobals, "a refused edit writes nothing");
    const edit = await s.call("PUT", "/api/parameters/webapp_message", { scope: { kind: "globals" }, value: message, confirm: true });
    assert.equal(edit.status, 200, edit.text);
    const plan = await s.call("GET", "/api/plan");
    const result = (plan.json as { result: { hosts: { host: string; services: { service: string; steps: { kind: string; diff?: string }[] }[] }[]; schedule: { services: { service: string; batches: { hosts: string[] }[] }[] } } }).result;
    for (const h of LAB_HOSTS) {
      const webapp = result.hosts.find((x) => x.host === h)!.services.find((x) => x.service === "webapp")!;
      assert.deepEqual(webapp.steps.map((x) => x.kind), ["write", "restart"], h);
      assert.ok(webapp.steps[0]!.diff!.includes(`+message = ${message}`), webapp.steps[0]!.diff);
    }
    assert.deepEqual(result.schedule.services.find((x) => x.service === "webapp")!.batches.map((x) => x.hosts.length), [1, 1, 1]);
  });

  it("starts the reconfigure from the console; its lanes advance to success while the deploy lock keeps a CLI run off", async () => {
    b = await openBrowser();
    const { page } = b;
    await page.goto(`${s.url}/#token=${encodeURIComponent(s.token)}`);
    await page.locator('section.role[data-role="webapp"]').waitFor();
    await page.locator("#tab-runs").click();
    await page.getByTestId("run-command").selectOption("reconfigure");
    await page.getByTestId("run-start").click();
    await page.getByTestId("confirm-ok").click();
    await page.locator('[data-testid="timeline"] svg.timeline').waitFor({ timeout: 120_000 });
    // The first webapp host is being changed: the run holds the deploy lock, and a CLI run is refused by it.
    await page.waitForSelector('g.lane[data-service="webapp"][data-host="lab1"]', { timeout: 300_000 });
    const cli = await lading(["reconfigure", "-d", d.dir]);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout + cli.stderr, /holds the deploy lock|deploy lock could not be taken/);
    // And a second apply through the API: refused while this one runs.
    const second = await s.call("POST", "/api/runs", { command: "reconfigure", confirm: true });
    assert.equal(second.status, 409, second.text);
    // The lanes advance one host at a time: lab1's webapp passes its gate before lab3's starts.
    await page.waitForSelector('g.lane[data-service="webapp"][data-host="lab1"][data-state="ok"]', { timeout: 300_000 });
    const midway = await page.locator('g.lane[data-service="webapp"][data-host="lab3"]').count();
    const lab3 = midway ? await page.locator('g.lane[data-service="webapp"][data-host="lab3"]').getAttribute("data-state") : "not started";
    assert.notEqual(lab3, "ok", "lab3 is not done when lab1 just passed");
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]', { timeout: 600_000 });
    const lanes = await page.locator('g.lane[data-service="webapp"]').evaluateAll((els) => els.map((e) => `${e.getAttribute("data-host")}:${e.getAttribute("data-state")}:${e.getAttribute("data-gates")}`));
    // One lane per host, each ended in success after its gate (the http probe of webapp's rollout) passed.
    assert.equal(lanes.length, LAB_HOSTS.length, lanes.join(" "));
    LAB_HOSTS.forEach((h, i) => assert.match(lanes[i]!, new RegExp(`^${h}:ok:.*:passed$`)));
    const message = String((await s.call("GET", "/api/parameters")).json.parameters.find((p: { name: string }) => p.name === "webapp_message").global.value);
    const body = await eventually("the new message through the VIP", 60_000, async () => ((await webappMessage()).includes(message) ? true : undefined));
    assert.ok(body);
  });

  it("puts the parameter back and reconfigures through the API, following the run's events to success", async () => {
    const back = setBefore.kind === "globals" ? { scope: { kind: "globals" }, value: setBefore.value, confirm: true } : { scope: { kind: "globals" }, unset: true, confirm: true };
    const edit = await s.call("PUT", "/api/parameters/webapp_message", back);
    assert.equal(edit.status, 200, edit.text);
    const run = await s.call("POST", "/api/runs", { command: "reconfigure", confirm: true });
    assert.equal(run.status, 202, run.text);
    const { events, end } = await followToEnd(s, (run.json as { id: string }).id);
    assert.equal(end.status, "succeeded", JSON.stringify(events.filter((e) => e.type === "warning" || e.type === "halt")));
    assert.equal(end.outcome, 0);
    assert.deepEqual(events.filter((e) => e.type === "batch" && (e as unknown as { service: string }).service === "webapp").length, 3);
    const plan = await s.call("GET", "/api/plan");
    assert.equal((plan.json as { result: { changes: number } }).result.changes, 0, plan.text);
    // globals.yml as it was before this file: the edit and its undo leave no trace.
    if (readFileSync(globals, "utf8") !== originalGlobals) writeFileSync(globals, originalGlobals);
    const check = await lading(["check", "-d", d.dir]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});
