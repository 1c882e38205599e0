// bootstrap-servers: daemon.json from the global parameters, and files written in place of a mount point.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bootstrapSteps,
  copyInPlaceArgv,
  daemonJson,
  daemonSettingsOf,
  DAEMON_JSON,
  DEFAULT_DAEMON_SETTINGS,
  runBootstrapStep,
  type Probe,
} from "../../../src/lifecycle/bootstrap.js";
import { ParameterResolver } from "../../../src/model/params.js";
import { loadRoles } from "../../../src/model/roles.js";
import { parseYaml } from "../../../src/model/source.js";
import { builtinRolesDir } from "../../../src/paths.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { FakeTransport } from "./fake-transport.js";

function resolverWith(globalsYaml: string | undefined): ParameterResolver {
  const roles = loadRoles([builtinRolesDir]);
  return new ParameterResolver(roles.parameters, globalsYaml === undefined ? undefined : parseYaml("/d/globals.yml", globalsYaml));
}

describe("bootstrap-servers daemon.json parameters", () => {
  it("the declared defaults of roles/global.yaml give lading's default daemon.json", () => {
    const params = resolverWith(undefined).forHost(new Map());
    assert.deepEqual(daemonSettingsOf(params), DEFAULT_DAEMON_SETTINGS);
    assert.equal(daemonJson(daemonSettingsOf(params)), daemonJson());
  });

  it("globals.yml and host vars change log rotation and live-restore, per host", () => {
    const resolver = resolverWith("docker_log_max_size: 20m\ndocker_log_max_files: 3\n");
    assert.deepEqual(resolver.problems, []);
    const all = JSON.parse(daemonJson(daemonSettingsOf(resolver.forHost(new Map())))) as Record<string, unknown>;
    assert.deepEqual(all["log-opts"], { "max-size": "20m", "max-file": "3" });
    assert.equal(all["live-restore"], true);
    const one = JSON.parse(daemonJson(daemonSettingsOf(resolver.forHost(new Map([["docker_live_restore", { value: false, source: { file: "/d/inventory.yml" } }]]))))) as Record<string, unknown>;
    assert.equal(one["live-restore"], false);
  });

  it("a malformed size or count is refused at globals.yml, located", () => {
    const resolver = resolverWith("docker_log_max_size: 20 MB\ndocker_log_max_files: 0\n");
    const byLine = resolver.problems.map((p) => `${p.file}:${p.line} ${p.message}`).sort();
    assert.equal(byLine.length, 2, byLine.join("\n"));
    assert.match(byLine[0]!, /^\/d\/globals\.yml:1 .*docker_log_max_size/);
    assert.match(byLine[1]!, /^\/d\/globals\.yml:2 .*docker_log_max_files/);
  });

  it("a changed parameter plans the daemon.json write and one engine restart on a running host", () => {
    const current = daemonJson();
    const probe: Probe = { os: "debian", docker: true, running: true, liveRestore: true, systemd: false, initScriptReloads: false, files: new Map([[DAEMON_JSON, current]]), userExists: false, configDirExists: true };
    const hosts = [{ name: "n1", address: "10.0.0.1" }];
    const wanted = daemonJson(daemonSettingsOf(resolverWith("docker_log_max_size: 20m\n").forHost(new Map())));
    const steps = bootstrapSteps("n1", probe, { hosts, configDir: "/etc/lading", daemon: wanted });
    assert.deepEqual(steps.filter((s) => s.kind === "restart-engine" || ("path" in s && s.path === DAEMON_JSON)).map((s) => s.kind), ["write", "restart-engine"]);
    // The same value as on the host: no write, no restart.
    const same = bootstrapSteps("n1", probe, { hosts, configDir: "/etc/lading", daemon: current });
    assert.ok(!same.some((s) => s.kind === "restart-engine" || ("path" in s && s.path === DAEMON_JSON)));
  });
});

describe("bootstrap-servers writes /etc/hosts in place", () => {
  it("stages the whole file beside it, then copies it in and removes the staged copy", async () => {
    const t = new FakeTransport("n1");
    await runBootstrapStep(t, { kind: "write", path: "/etc/hosts", content: "10.0.0.1\tn1\n", mode: "0644", reason: "r", inPlace: true });
    assert.equal(t.files.get("/etc/hosts.lading-new")?.content, "10.0.0.1\tn1\n");
    assert.equal(t.files.has("/etc/hosts"), false);
    assert.deepEqual(t.calls.at(-1)?.argv, copyInPlaceArgv("/etc/hosts.lading-new", "/etc/hosts"));
  });

  it("the copy keeps the destination's inode (a bind mount stays valid) and leaves no staged file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-inplace-"));
    try {
      const dest = join(dir, "hosts");
      writeFileSync(dest, "old\n");
      const inode = statSync(dest).ino;
      const t = new LocalTransport({ host: "local", become: false });
      await runBootstrapStep(t, { kind: "write", path: dest, content: "new\n", mode: "0644", reason: "r", inPlace: true });
      assert.equal(readFileSync(dest, "utf8"), "new\n");
      assert.equal(statSync(dest).ino, inode);
      assert.throws(() => statSync(`${dest}.lading-new`), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
