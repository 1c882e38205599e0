// bootstrap-servers on a running engine: reload, restart, or both, and whether the restart keeps the containers.
import assert from "node:assert/strict";
import {
  bootstrapSteps,
  changedDaemonOptions,
  daemonJson,
  DAEMON_JSON,
  ENGINE_PID_FILE,
  engineChangeSteps,
  LIVE_RESTORE_ARGV,
  parseProbe,
  reloadEngineArgv,
  RESTART_PENDING,
  runBootstrapStep,
  RESUME_HEALTH_ARGV,
  type BootstrapStep,
  type Probe,
} from "../../../src/lifecycle/bootstrap.js";
import { FakeTransport } from "./fake-transport.js";
import { shScriptArgv } from "../../../src/host-scripts/index.js";

/** A Debian sysvinit host (no systemd, Debian's init script without reload) whose engine runs. */
function runningHost(over: Partial<Probe> & { daemon?: string | undefined } = {}): Probe {
  const { daemon, ...rest } = over;
  const files = new Map<string, string | undefined>();
  if (!("daemon" in over) || daemon !== undefined) files.set(DAEMON_JSON, "daemon" in over ? daemon : daemonJson());
  return { os: "debian", docker: true, running: true, liveRestore: true, systemd: false, initScriptReloads: false, files, userExists: true, configDirExists: true, ...rest };
}

const kinds = (steps: BootstrapStep[]): string[] => steps.map((s) => s.kind);
const restartOf = (steps: BootstrapStep[]) => steps.find((s): s is Extract<BootstrapStep, { kind: "restart-engine" }> => s.kind === "restart-engine");

describe("bootstrap-servers: what a running engine needs", () => {
  it("an engine that ran without live-restore is reloaded to turn it on, then restarted (keeping its containers)", () => {
    // The lab's case and an operator's first bootstrap of hosts that already run services: no daemon.json yet.
    const steps = engineChangeSteps("n1", runningHost({ daemon: undefined, liveRestore: false }), daemonJson());
    assert.deepEqual(kinds(steps), ["reload-engine", "restart-engine"]);
    assert.equal(steps[0]!.kind === "reload-engine" && steps[0]!.expectLiveRestore, true);
    assert.match(steps[0]!.reason, /without live-restore.*would otherwise stop every container on n1/);
    assert.equal(restartOf(steps)!.stopsContainers, false);
    assert.equal(restartOf(steps)!.expectLiveRestore, true);
    // In the whole plan the write comes before both, so the reload reads the new file.
    const all = bootstrapSteps("n1", runningHost({ daemon: undefined, liveRestore: false }), { hosts: [], configDir: "/etc/lading" });
    const at = (pred: (s: BootstrapStep) => boolean) => all.findIndex(pred);
    assert.ok(at((s) => s.kind === "write" && s.path === DAEMON_JSON) < at((s) => s.kind === "reload-engine"));
    assert.ok(at((s) => s.kind === "reload-engine") < at((s) => s.kind === "restart-engine"));
  });

  it("an engine with live-restore on is restarted directly for a non-reloadable change", () => {
    const steps = engineChangeSteps("n1", runningHost(), daemonJson({ logMaxSize: "20m" }));
    assert.deepEqual(kinds(steps), ["restart-engine"]);
    assert.equal(restartOf(steps)!.stopsContainers, false);
    assert.match(steps[0]!.reason, /\(log-opts\).*live-restore keeps containers up/);
  });

  it("a change of reloadable options only is a reload, no restart", () => {
    const on = engineChangeSteps("n1", runningHost({ daemon: daemonJson({ liveRestore: false }), liveRestore: false }), daemonJson());
    assert.deepEqual(kinds(on), ["reload-engine"]);
    assert.match(on[0]!.reason, /live-restore.*reloadable, no restart/);
    const off = engineChangeSteps("n1", runningHost(), daemonJson({ liveRestore: false }));
    assert.deepEqual(kinds(off), ["reload-engine"]);
    assert.equal(off[0]!.kind === "reload-engine" && off[0]!.expectLiveRestore, false);
  });

  it("with docker_live_restore false the restart is planned and says it stops every container", () => {
    const steps = engineChangeSteps("n2", runningHost({ daemon: daemonJson({ liveRestore: false }), liveRestore: false }), daemonJson({ liveRestore: false, logMaxFiles: 3 }));
    assert.deepEqual(kinds(steps), ["restart-engine"]);
    assert.equal(restartOf(steps)!.stopsContainers, true);
    assert.equal(restartOf(steps)!.expectLiveRestore, false);
    assert.match(steps[0]!.reason, /live-restore is off, so the restart STOPS AND RESTARTS every container on n2/);
  });

  it("an option removed from daemon.json, or a file that is not JSON, needs a restart (a reload keeps the old value)", () => {
    const withMirror = JSON.stringify({ ...(JSON.parse(daemonJson()) as object), "registry-mirrors": ["http://m"] });
    assert.deepEqual(kinds(engineChangeSteps("n1", runningHost({ daemon: withMirror }), daemonJson())), ["restart-engine"]);
    assert.deepEqual(kinds(engineChangeSteps("n1", runningHost({ daemon: "{ not json" }), daemonJson())), ["restart-engine"]);
    assert.deepEqual(changedDaemonOptions(withMirror, daemonJson()), { changed: [], removed: ["registry-mirrors"] });
    assert.equal(changedDaemonOptions(undefined, daemonJson()), undefined);
  });

  it("daemon.json already right: nothing, unless the engine's live-restore is not the file's (written, never reloaded)", () => {
    assert.deepEqual(engineChangeSteps("n1", runningHost(), daemonJson()), []);
    assert.deepEqual(kinds(engineChangeSteps("n1", runningHost({ liveRestore: false }), daemonJson())), ["reload-engine"]);
  });

  it("a restart it plans is marked due (before daemon.json is written) until it is done, so a run that stops between them is finished by the next", () => {
    const probe = runningHost();
    const first = bootstrapSteps("n1", probe, { hosts: [], configDir: "/etc/lading", daemon: daemonJson({ logMaxSize: "20m" }) });
    const at = (path: string) => first.findIndex((s) => s.kind === "write" && s.path === path);
    assert.ok(at(RESTART_PENDING) >= 0 && at(RESTART_PENDING) < at(DAEMON_JSON), kinds(first).join());
    const marker = first[at(RESTART_PENDING)]!;
    assert.match(marker.kind === "write" ? marker.content : "", /^daemon\.json changed \(log-opts\): restart the engine/);
    // The run wrote both files and stopped before this host's restart (a halt on an earlier host, a kill):
    // daemon.json no longer differs, the marker says the restart is still due.
    const left = runningHost({ daemon: daemonJson({ logMaxSize: "20m" }) });
    left.files.set(RESTART_PENDING, marker.kind === "write" ? marker.content : "");
    const next = engineChangeSteps("n1", left, daemonJson({ logMaxSize: "20m" }));
    assert.deepEqual(kinds(next), ["restart-engine"]);
    assert.match(next[0]!.reason, /daemon\.json was written by a run that stopped before this engine's restart .*live-restore keeps containers up/);
    // Without the marker the same host needs nothing: what the marker fixes.
    assert.deepEqual(engineChangeSteps("n1", runningHost({ daemon: daemonJson({ logMaxSize: "20m" }) }), daemonJson({ logMaxSize: "20m" })), []);
    // A later change that alone would only reload keeps the pending restart.
    const reloadOnly = runningHost({ daemon: daemonJson({ logMaxSize: "20m", liveRestore: false }), liveRestore: false });
    reloadOnly.files.set(RESTART_PENDING, "x\n");
    assert.deepEqual(kinds(engineChangeSteps("n1", reloadOnly, daemonJson({ logMaxSize: "20m" }))), ["reload-engine", "restart-engine"]);
  });

  it("no marker for a change that only reloads; an engine that is started drops a marker left (it reads the current file)", () => {
    const reload = bootstrapSteps("n1", runningHost({ daemon: daemonJson({ liveRestore: false }) }), { hosts: [], configDir: "/etc/lading" });
    assert.ok(!reload.some((s) => s.kind === "write" && s.path === RESTART_PENDING), kinds(reload).join());
    const stopped = runningHost({ running: false, liveRestore: false });
    stopped.files.set(RESTART_PENDING, "x\n");
    const steps = bootstrapSteps("n1", stopped, { hosts: [], configDir: "/etc/lading" });
    assert.deepEqual(steps.slice(-2).map((s) => (s.kind === "run" ? s.argv.join(" ") : s.kind)), [shScriptArgv("engine-start.sh", []).join(" "), `rm -f -- ${RESTART_PENDING}`]);
  });

  it("an installed engine that does not run is started, neither reloaded nor restarted", () => {
    const steps = bootstrapSteps("n1", runningHost({ running: false, liveRestore: false, daemon: undefined }), { hosts: [], configDir: "/etc/lading" });
    assert.ok(!steps.some((s) => s.kind === "reload-engine" || s.kind === "restart-engine"));
    const last = steps.at(-1)!;
    assert.match(last.kind === "run" ? last.argv.join(" ") : "", /service docker start/);
  });

  it("reloads through systemd, an init script with a reload action, else SIGHUP to the pid dockerd wrote", () => {
    assert.deepEqual(reloadEngineArgv({ systemd: true, initScriptReloads: true }), ["systemctl", "reload", "docker"]);
    assert.deepEqual(reloadEngineArgv({ systemd: false, initScriptReloads: true }), ["service", "docker", "reload"]);
    const hup = reloadEngineArgv({ systemd: false, initScriptReloads: false });
    // A fixed script; the pid file is an argument, and the pid is read when the step runs.
    assert.deepEqual(hup.slice(0, 2), ["sh", "-c"]);
    assert.equal(hup.at(-1), ENGINE_PID_FILE);
    assert.doesNotMatch(hup[2]!, /docker\.pid/);
  });

  it("parses live-restore, systemd and the init script's reload from the probe", () => {
    const p = parseProbe("os debian\ndocker yes\nrunning yes\nliverestore true\nsystemd no\ninitreload yes\nuser no\nconfig yes\n");
    assert.deepEqual([p.liveRestore, p.systemd, p.initScriptReloads], [true, false, true]);
    const q = parseProbe("os debian\ndocker yes\nrunning no\nliverestore \nsystemd yes\ninitreload no\n");
    assert.deepEqual([q.liveRestore, q.systemd, q.initScriptReloads], [false, true, false]);
  });
});

describe("bootstrap-servers: a reload must show live-restore before anything restarts", () => {
  const reload: BootstrapStep = { kind: "reload-engine", argv: ["systemctl", "reload", "docker"], reason: "r", expectLiveRestore: true };
  const isInfo = (argv: readonly string[]) => argv.join(" ") === LIVE_RESTORE_ARGV.join(" ");

  it("waits until the engine reports live-restore on", async () => {
    let asked = 0;
    const t = new FakeTransport("n1", (argv) => (isInfo(argv) ? { stdout: ++asked < 3 ? "false\n" : "true\n" } : {}));
    await runBootstrapStep(t, reload, { pollMs: 1, timeoutMs: 5_000 });
    assert.deepEqual(t.commands()[0], "systemctl reload docker");
    assert.equal(asked, 3);
  });

  it("fails the host, naming the risk, when live-restore stays off", async () => {
    const t = new FakeTransport("n1", (argv) => (isInfo(argv) ? { stdout: "false\n" } : {}));
    await assert.rejects(runBootstrapStep(t, reload, { pollMs: 1, timeoutMs: 30 }), /after the reload, the engine does not report live-restore on \(LiveRestoreEnabled=false\): not restarting it/);
  });

  it("a failed reload command fails the host before any wait", async () => {
    const t = new FakeTransport("n1", (argv) => (isInfo(argv) ? { stdout: "true\n" } : { code: 1, stderr: "Failed to reload docker.service\n" }));
    await assert.rejects(runBootstrapStep(t, reload, { pollMs: 1, timeoutMs: 30 }), /systemctl reload docker failed \(exit 1\): Failed to reload/);
    assert.equal(t.calls.length, 1);
  });

  it("after a restart, waits for the engine to answer again", async () => {
    let asked = 0;
    const t = new FakeTransport("n1", (argv) => (isInfo(argv) ? (++asked < 2 ? { code: 1, stderr: "Cannot connect to the Docker daemon\n" } : { stdout: "true\n" }) : {}));
    await runBootstrapStep(t, { kind: "restart-engine", argv: ["true"], reason: "r", expectLiveRestore: true, stopsContainers: false }, { pollMs: 1, timeoutMs: 5_000 });
    assert.equal(asked, 2);
    // The restored containers' health checks are resumed (Docker before 23 stops them), then the restart is no longer due.
    assert.equal(t.calls.at(-2)!.argv.join("\0"), RESUME_HEALTH_ARGV.join("\0"));
    assert.equal(t.commands().at(-1), `rm -f -- ${RESTART_PENDING}`);
  });

  it("a restart without live-restore restarted the containers: nothing to resume", async () => {
    const t = new FakeTransport("n1", () => ({ stdout: "false\n" }));
    await runBootstrapStep(t, { kind: "restart-engine", argv: ["true"], reason: "r", expectLiveRestore: false, stopsContainers: true }, { pollMs: 1, timeoutMs: 5_000 });
    assert.ok(!t.calls.some((c) => c.argv.join("\0") === RESUME_HEALTH_ARGV.join("\0")));
  });

  it("a container the resume left paused fails the host, and the restart stays due", async () => {
    const t = new FakeTransport("n1", (argv) => (argv.join("\0") === RESUME_HEALTH_ARGV.join("\0") ? { code: 1, stderr: "container webapp is left paused: docker unpause c1 failed\n" } : { stdout: "true\n" }));
    await assert.rejects(runBootstrapStep(t, { kind: "restart-engine", argv: ["true"], reason: "r", expectLiveRestore: true, stopsContainers: false }, { pollMs: 1, timeoutMs: 5_000 }), /resuming its containers' health checks failed \(exit 1\): container webapp is left paused/);
    assert.ok(!t.commands().some((c) => c.startsWith("rm ")));
  });

  it("a restart that fails leaves its marker: the next run restarts again", async () => {
    const t = new FakeTransport("n1", (argv) => (argv[0] === "false" ? { code: 1, stderr: "Job for docker.service failed\n" } : { stdout: "true\n" }));
    await assert.rejects(runBootstrapStep(t, { kind: "restart-engine", argv: ["false"], reason: "r", expectLiveRestore: true, stopsContainers: false }, { pollMs: 1, timeoutMs: 30 }), /failed \(exit 1\)/);
    assert.ok(!t.commands().some((c) => c.startsWith("rm ")));
  });
});
