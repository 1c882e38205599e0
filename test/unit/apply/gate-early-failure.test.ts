// A gate that cannot pass says why and stops early: a container of the service that has stopped ends the wait
// after a few checks (not at the deadline), and a failing healthcheck's state is part of every waiting detail.
import assert from "node:assert/strict";
import { waitForGate, type GateResult } from "../../../src/apply/gates.js";
import { container, service } from "../engine/fixtures.js";
import { FakeTransport } from "./fake-transport.js";

const svc = service("mariadb", [], [container("mariadb", "mariadb")], { rollout: { gate: { kind: "tcp", port: 3306 } } });

function ctxWith(state: () => string, log: string[] = []): { transport: FakeTransport; service: typeof svc; expectedMembers: number; address: string } {
  const t = new FakeTransport("lab1", log, (_host, argv) => {
    if (argv[0] === "docker" && argv[1] === "inspect") return { stdout: `${state()}\n` };
    if (argv.includes("timeout")) return { code: 1 }; // the port stays closed
    return undefined;
  });
  return { transport: t, service: svc, expectedMembers: 1, address: "10.0.0.1" };
}

describe("gates that cannot pass", function () {
  this.timeout(10_000);

  it("a container that exited ends the wait after 3 checks, saying so, long before the deadline", async () => {
    const checks: GateResult[] = [];
    const started = Date.now();
    const res = await waitForGate({ kind: "tcp", port: 3306 }, ctxWith(() => "exited none"), { deadlineMs: 60_000, intervalMs: 5, onCheck: (r) => checks.push(r) });
    assert.equal(res.ok, false);
    assert.equal(res.detail, "cannot pass: port 3306 closed; container mariadb exited");
    assert.equal(checks.length, 3);
    assert.ok(Date.now() - started < 5_000);
  });

  it("a container restarting back (exited once, then running) is waited for", async () => {
    const states = ["exited none", "running none", "running none", "running none", "running none"];
    let i = 0;
    const res = await waitForGate({ kind: "tcp", port: 3306 }, ctxWith(() => states[Math.min(i++, states.length - 1)]!), { deadlineMs: 200, intervalMs: 5 });
    assert.equal(res.ok, false);
    assert.match(res.detail, /^deadline 0s passed: port 3306 closed$/);
  });

  it("an unhealthy container is named in each waiting detail, without ending the wait", async () => {
    const checks: GateResult[] = [];
    const res = await waitForGate({ kind: "tcp", port: 3306 }, ctxWith(() => "running unhealthy"), { deadlineMs: 100, intervalMs: 5, onCheck: (r) => checks.push(r) });
    assert.equal(res.ok, false);
    assert.match(res.detail, /^deadline 0s passed: port 3306 closed; container mariadb is unhealthy$/);
    assert.ok(checks.length > 3);
    assert.ok(checks.every((c) => c.detail === "port 3306 closed; container mariadb is unhealthy"));
  });
});
