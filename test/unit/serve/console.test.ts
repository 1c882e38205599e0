// The web console in headless Chromium (Debian's chromium, driven by playwright-core) against lading serve over a
// copy of examples/lab whose hosts are a fake session: a bad parameter value shows the validators' inline error,
// the fixed value is saved and the plan shows its diff, a reconfigure started from the console (behind its
// confirmation) draws lanes that advance to success, a failing one shows its failed lane, and a rollback asks
// first. With LADING_SCREENSHOTS=DIR it saves the pictures of the README (the form, the plan, the timeline).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CHROMIUM, openBrowser, type Browser } from "./browser.js";
import { pacedReconfigure, recordedRun, replay, type Paced } from "./recorded-run.js";
import { startServeFixture, type ServeFixture } from "./serve-fixture.js";

const SHOTS = process.env.LADING_SCREENSHOTS;

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, name);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: false });
}

describe("lading serve console (headless Chromium)", function () {
  this.timeout(120_000);
  let f: ServeFixture;
  let b: Browser;
  let events: Paced[] = pacedReconfigure();
  let scale = 0.1;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test.sh installs it)`);
    f = await startServeFixture({ deps: { runBody: (ctx) => replay(events, scale)(ctx) } });
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await f?.close();
  });

  it("asks for the token, then shows the parameters grouped by role with type, description, default and constraints", async () => {
    const { page } = b;
    await page.goto(`${f.url}/`);
    await page.getByTestId("token-input").waitFor();
    await page.getByTestId("token-input").fill(f.token);
    await page.getByTestId("token-submit").click();
    await page.locator('section.role[data-role="haproxy"]').waitFor();
    const roles = await page.locator("section.role").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.role));
    assert.deepEqual(roles.slice(0, 1), ["global"]);
    for (const r of ["haproxy", "keepalived", "mariadb", "rabbitmq", "memcached", "webapp"]) assert.ok(roles.includes(r), r);
    const field = page.locator('.field[data-param="haproxy_max_connections"]');
    const text = await field.innerText();
    assert.match(text, /haproxy_max_connections/);
    assert.match(text, /integer/);
    assert.match(text, /Global maxconn of the HAProxy process/);
    assert.match(text, /default: 4000/);
    assert.match(text, /100 to 1000000/);
    assert.match(await page.getByTestId("validation").innerText(), /validate: ok/);
    // The token came from the form, not the address bar; the page keeps it for this tab only.
    assert.equal(new URL(page.url()).hash, "");
  });

  it("shows the validators' inline error for a bad value, then saves the fixed one and shows it in the plan's diff", async () => {
    const { page } = b;
    // A fresh load: on the page the previous test left, a goto that changes only the hash boots the console again
    // (hashchange), which renders the form anew, possibly after this test typed into the old one.
    await page.goto("about:blank");
    await page.goto(`${f.url}/#token=${encodeURIComponent(f.token)}`);
    const input = page.locator("#param-haproxy_max_connections");
    await input.waitFor();
    assert.equal(new URL(page.url()).hash, "", "the token is taken out of the address bar");
    await input.fill("50");
    const error = page.getByTestId("error-haproxy_max_connections");
    await error.waitFor({ state: "visible" });
    assert.match(await error.innerText(), /parameter "haproxy_max_connections" must be >= 100/);
    assert.match(await error.innerText(), /globals\.yml:\d+ haproxy_max_connections/);
    assert.ok(await page.getByTestId("save-haproxy_max_connections").isDisabled());
    await input.fill("many");
    await page.waitForFunction(() => /must be integer/.test(document.querySelector('[data-testid="error-haproxy_max_connections"]')?.textContent ?? ""));
    await input.fill("50");
    await page.waitForFunction(() => /must be >= 100/.test(document.querySelector('[data-testid="error-haproxy_max_connections"]')?.textContent ?? ""));
    // The picture: the haproxy role's form, with the inline error.
    await page.getByTestId("filter").fill("haproxy_");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "serve-parameters.png");
    await page.getByTestId("filter").fill("");
    const globals = readFileSync(join(f.dir, "globals.yml"), "utf8");
    assert.ok(!globals.includes("haproxy_max_connections"), "nothing written while the value is wrong");

    await input.fill("8000");
    await error.waitFor({ state: "hidden" });
    const save = page.getByTestId("save-haproxy_max_connections");
    await page.waitForFunction(() => !(document.querySelector('[data-testid="save-haproxy_max_connections"]') as HTMLButtonElement).disabled);
    await save.click();
    await page.getByTestId("saved-haproxy_max_connections").waitFor({ state: "visible" });
    assert.match(await page.getByTestId("saved-haproxy_max_connections").innerText(), /written to globals\.yml[\s\S]*\+haproxy_max_connections: 8000/);
    assert.match(readFileSync(join(f.dir, "globals.yml"), "utf8"), /^haproxy_max_connections: 8000$/m);

    await page.locator("#tab-plan").click();
    await page.getByTestId("plan-summary").waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    const host = page.locator('.plan-host[data-host="lab1"] .plan-service[data-service="haproxy"]');
    await host.waitFor();
    const planText = await host.innerText();
    assert.match(planText, /haproxy\.cfg: content differs/);
    assert.match(planText, /-\s*maxconn 4000/);
    assert.match(planText, /\+\s*maxconn 8000/);
    assert.equal(await page.locator('.plan-host[data-host="lab1"] .plan-service[data-service="haproxy"] pre.diff .add').count() > 0, true);
    assert.match(await page.getByTestId("plan").innerText(), /Schedule[\s\S]*haproxy/);
    await shot(page, "serve-plan.png");
  });

  it("starts a reconfigure behind a confirmation and draws its lanes advancing to success", async () => {
    const { page } = b;
    events = pacedReconfigure();
    scale = 0.1;
    await page.locator("#tab-runs").click();
    await page.getByTestId("run-command").selectOption("reconfigure");
    await page.getByTestId("run-start").click();
    const dialog = page.getByTestId("confirm-dialog");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /This changes the hosts/);
    await page.getByTestId("confirm-ok").click();
    await page.locator('[data-testid="timeline"] svg.timeline').waitFor();
    // The lanes advance: lab1's memcached is done while lab3's has not started, then every lane ends in success.
    await page.waitForSelector('g.lane[data-service="memcached"][data-host="lab1"][data-state="ok"]');
    const lanesMidway = await lanes(page);
    assert.ok(!lanesMidway.some((l) => l.service === "memcached" && l.host === "lab3" && l.state === "ok"), JSON.stringify(lanesMidway));
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]');
    const done = await lanes(page);
    assert.deepEqual(
      done.map((l) => `${l.service}/${l.host}:${l.state}`),
      ["memcached", "webapp", "haproxy"].flatMap((s) => ["lab1", "lab2", "lab3"].map((h) => `${s}/${h}:ok`)),
    );
    for (const l of done.filter((x) => x.service !== "haproxy")) assert.equal(l.restarts, "1", `${l.service} restarted once on ${l.host}`);
    assert.deepEqual([...new Set(done.filter((x) => x.service === "memcached").map((l) => l.gates))], ["container:passed"]);
    assert.deepEqual([...new Set(done.filter((x) => x.service === "webapp").map((l) => l.gates))], ["http:passed"]);
    assert.equal(await page.locator('g.lane[data-service="memcached"] .segment-gate').count(), 3);
    assert.match(await page.locator('g.lane[data-service="memcached"][data-host="lab2"]').innerHTML(), /gate container \d+\.\ds passed/);
  });

  it("draws a recorded run's timeline with the times it ran at (the README's picture)", async () => {
    const { page } = b;
    f.service.runs.keep(recordedRun("recorded-reconfigure", new Date(Date.now() - 3_600_000)));
    await page.locator("#tab-parameters").click();
    await page.locator("#tab-runs").click();
    await page.locator('tr[data-run="recorded-reconfigure"] button').click();
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]');
    await page.waitForFunction(() => document.querySelectorAll('g.lane[data-state="ok"]').length === 9);
    const ls = await lanes(page);
    assert.deepEqual(ls.map((l) => l.service), ["memcached", "memcached", "memcached", "webapp", "webapp", "webapp", "haproxy", "haproxy", "haproxy"]);
    assert.match(await page.locator('g.lane[data-service="memcached"][data-host="lab1"]').innerHTML(), /gate container 3\.2s passed/);
    await page.locator('[data-testid="run-view"]').scrollIntoViewIfNeeded();
    await shot(page, "serve-timeline.png", '[data-testid="run-view"]');
  });

  it("shows a failed gate as a failed lane and the run as failed", async () => {
    const { page } = b;
    events = pacedReconfigure({ failOn: "lab2" });
    scale = 0.02;
    await page.getByTestId("run-start").click();
    await page.getByTestId("confirm-ok").click();
    await page.waitForSelector('[data-testid="run-status"][data-status="failed"]');
    await page.waitForSelector('g.lane[data-service="memcached"][data-host="lab2"][data-state="failed"]');
    const ls = await lanes(page);
    assert.deepEqual(ls.map((l) => `${l.host}:${l.state}`), ["lab1:ok", "lab2:failed"]);
    assert.match(await page.locator(".notes").innerText(), /halted at memcached on lab2/);
  });

  it("asks before a rollback from the history, and starts nothing when cancelled", async () => {
    const { page } = b;
    await page.locator("#tab-history").click();
    const button = page.getByTestId("rollback-webapp-1").first();
    await button.waitFor();
    const before = f.service.runs.list().length;
    await button.click();
    await page.getByTestId("confirm-dialog").waitFor();
    assert.match(await page.getByTestId("confirm-dialog").innerText(), /Roll webapp back to revision 1\?/);
    await page.getByTestId("confirm-cancel").click();
    await page.getByTestId("confirm-dialog").waitFor({ state: "detached" });
    assert.equal(f.service.runs.list().length, before);
  });
});

async function lanes(page: Page): Promise<{ service: string; host: string; state: string; restarts: string; gates: string }[]> {
  return page.locator("g.lane").evaluateAll((els) =>
    els.map((e) => ({ service: e.getAttribute("data-service")!, host: e.getAttribute("data-host")!, state: e.getAttribute("data-state")!, restarts: e.getAttribute("data-restarts")!, gates: e.getAttribute("data-gates")! })),
  );
}
