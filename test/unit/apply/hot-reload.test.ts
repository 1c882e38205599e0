// A configuration change loaded into the running container by a hot reload (HAProxy's master reloads its whole
// configuration, keepalived rereads its own): the plan reloads instead of restarting, one full reload covers the
// container's other reloadable files, and a reload that fails puts the files back so that a re-run reloads again.
import assert from "node:assert/strict";
import { applyPlan } from "../../../src/apply/apply.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { buildPlan, configHashOf, type Step } from "../../../src/plan/plan.js";
import { container, facts, file, fileFact, runningFact, service, state, withImages } from "../engine/fixtures.js";
import { FakeTransport } from "./fake-transport.js";

const CFG_RELOAD = { container: "haproxy", script: "haproxy-reload.sh", args: ["/run/haproxy/admin.sock", "/etc/haproxy/haproxy.cfg"], says: "configuration changed, seamless reload", full: true };
const PEM_RELOAD = { container: "haproxy", script: "haproxy-set-ssl-cert.sh", args: ["/run/haproxy/admin.sock", "/etc/haproxy/haproxy.pem"], says: "certificate renewed, hot reload" };
const hp = container("haproxy", "haproxy");
const cfg = (content: string) => file("haproxy", "haproxy.cfg", content, { restarts: [], hotReload: CFG_RELOAD });
const pem = (content: string) => file("haproxy", "haproxy.pem", content, { mode: "0600", restarts: [], hotReload: PEM_RELOAD });
const kinds = (steps: Step[]): string[] => steps.map((s) => s.kind);

function running() {
  const f = withImages(facts(), hp.image);
  f.files.set(cfg("").path, fileFact("global\n", "0644"));
  f.files.set(pem("").path, fileFact("old pem", "0600"));
  f.containers.set(hp.name, runningFact(hp, configHashOf([])));
  return f;
}

describe("hot reload of a whole configuration", () => {
  it("a changed HAProxy configuration is written, then reloaded: no restart, and the plan says so", () => {
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [cfg("global\n  maxconn 10\n"), pem("old pem")], [hp])] }), facts: new Map([["h1", running()]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["write", "reload"]);
    assert.equal(steps[1]!.reason, "haproxy: configuration changed, seamless reload (haproxy.cfg)");
  });

  it("configuration and certificate changed: one full reload reads both (the certificate's own reload would name a certificate the running configuration does not know yet)", () => {
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [cfg("global\n  maxconn 10\n"), pem("new pem")], [hp])] }), facts: new Map([["h1", running()]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["write", "write", "reload"]);
    assert.deepEqual(steps.filter((s) => s.kind === "reload").map((s) => s.kind === "reload" && s.script), ["haproxy-reload.sh"]);
  });

  it("only the certificate changed: its own reload, not the full one", () => {
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [cfg("global\n"), pem("new pem")], [hp])] }), facts: new Map([["h1", running()]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(steps.filter((s) => s.kind === "reload").map((s) => s.kind === "reload" && s.script), ["haproxy-set-ssl-cert.sh"]);
  });

  it("a reloadable file missing on the host (its folder removed under the running container) restarts the container: a reload would read the gone folder", () => {
    const f = running();
    f.files.delete(cfg("").path);
    f.files.delete(pem("").path);
    const plan = buildPlan({ desired: state({ h1: [service("haproxy", [cfg("global\n"), pem("old pem")], [hp])] }), facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    const steps = plan.hosts.get("h1")!.services[0]!.steps;
    assert.deepEqual(kinds(steps), ["write", "write", "restart"]);
    assert.equal(steps[2]!.reason, "haproxy: config changed (haproxy.cfg, haproxy.pem)");
  });

  it("a reload HAProxy refuses fails the host and puts the previous files back: the next run sees the change again", async () => {
    const desired = state({ h1: [service("haproxy", [cfg("global\n  bad directive\n"), pem("new pem")], [hp], { rollout: { gate: { kind: "healthcheck" } } })] });
    const f = running();
    const plan = buildPlan({ desired, facts: new Map([["h1", f]]), secrets: {}, mode: "deploy" });
    const log: string[] = [];
    const t = new FakeTransport("h1", log, (_h, argv) => (argv.some((a) => a === "lading-haproxy-reload") ? { code: 1, stderr: "HAProxy refuses the new configuration; the running one stays: [ALERT] unknown keyword 'bad'" } : undefined));
    const events: RunEvent[] = [];
    const res = await applyPlan({ plan, desired, facts: new Map([["h1", f]]), transports: new Map([["h1", t]]), secrets: {}, emit: (e) => events.push(e), forks: 1 });
    assert.equal(res.ok, false);
    assert.ok(events.some((e) => e.type === "step" && e.kind === "reload" && e.status === "failed" && /unknown keyword 'bad'/.test(String(e.error))), JSON.stringify(events.filter((e) => e.type === "step")));
    assert.equal(t.files.get(cfg("").path)?.content, "global\n", "the previous configuration is back");
    assert.equal(t.files.get(pem("").path)?.content, "old pem", "and the previous certificate");
    assert.ok(!log.some((l) => l.includes("docker restart")), "nothing restarted");
  });
});
