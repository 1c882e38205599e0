import assert from "node:assert/strict";
import { decidePrune, listImages, parseImages, removeImageArgvs, repositoryOf, type HostImage } from "../../../src/lifecycle/prune.js";
import { hookArgv, parseVersion, phasesOf, tagOf, versionGateProblem } from "../../../src/lifecycle/upgrade.js";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTransport } from "../../../src/transport/index.js";
import { bootstrapSteps, probeHost, daemonJson, DAEMON_JSON, hostsFileWithBlock, parseProbe, SYSCTL_FILE, sysctlConf, DEFAULT_SYSCTLS, type Probe } from "../../../src/lifecycle/bootstrap.js";
import { container } from "../engine/fixtures.js";
import { shScriptArgv } from "../../../src/host-scripts/index.js";

describe("prune-images", () => {
  const images: HostImage[] = [
    { id: "sha256:new", tags: ["lading/webapp:1.1"], digests: [] },
    { id: "sha256:old", tags: ["lading/webapp:1.0"], digests: [] },
    { id: "sha256:older", tags: ["lading/webapp:0.9"], digests: [] },
    { id: "sha256:db", tags: ["lading/mariadb:1.0"], digests: [] },
    { id: "sha256:foreign", tags: ["debian:bookworm"], digests: [] },
    { id: "sha256:stopped", tags: ["lading/webapp:0.8"], digests: [] },
  ];
  it("keeps what a container uses, what a revision needs, what is wanted, and other repositories", () => {
    const d = decidePrune(images, new Set(["sha256:new", "sha256:stopped"]), {
      revisionRefs: new Set(["sha256:old"]),
      desiredRefs: new Set(["lading/webapp:1.1", "lading/mariadb:1.0"]),
      repositories: new Set(["lading/webapp", "lading/mariadb"]),
    });
    assert.deepEqual(d.map((x) => `${x.image.tags[0]} ${x.remove ? "remove" : "keep"}: ${x.reason}`), [
      "lading/webapp:1.1 keep: used by a container",
      "lading/webapp:1.0 keep: needed by a recorded revision (rollback)",
      "lading/webapp:0.9 remove: no container, revision or service needs it",
      "lading/mariadb:1.0 keep: wanted by the deployment",
      "debian:bookworm keep: not one of lading's repositories",
      "lading/webapp:0.8 keep: used by a container",
    ]);
  });
  it("lists images for real through a docker that answers as 20.10 does (no {{join}} on RepoTags), and fails when docker fails", async () => {
    const bin = mkdtempSync(join(tmpdir(), "lading-fake-docker-"));
    // Docker 20.10 refuses {{join .RepoTags ","}} ("wrong type for value"): the fake refuses any join.
    writeFileSync(join(bin, "docker"), `#!/bin/sh
case "$*" in
  *join*) echo "template parsing error: wrong type for value; expected []string" >&2; exit 1 ;;
  "image ls --quiet --no-trunc") [ -e "${bin}/broken" ] && exit 1; printf 'sha256:a\\nsha256:a\\nsha256:b\\n' ;;
  "ps --all --quiet") printf 'c1\\n' ;;
  "image inspect"*) printf 'sha256:a lading/webapp:1.0,lading/webapp:latest, \\nsha256:b  \\n' ;;
  "inspect --format {{.Image}} c1") printf 'sha256:a\\n' ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`);
    chmodSync(join(bin, "docker"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    const t = new LocalTransport({ host: "h", become: false });
    try {
      const listed = await listImages(t);
      assert.deepEqual(listed.images, [{ id: "sha256:a", tags: ["lading/webapp:1.0", "lading/webapp:latest"], digests: [] }, { id: "sha256:b", tags: [], digests: [] }]);
      assert.deepEqual([...listed.used], ["sha256:a"]);
      writeFileSync(join(bin, "broken"), "");
      await assert.rejects(listImages(t), /listing images failed/);
    } finally {
      process.env.PATH = path;
      await t.close();
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("parses the listing and removes a many-tagged image tag by tag", () => {
    const out = "@@images\nsha256:a lading/webapp:1.0,lading/webapp:latest reg/lading/webapp@sha256:d\nsha256:b  \n@@used\nsha256:a\n@@end\n";
    const p = parseImages(out);
    assert.deepEqual(p.images[0], { id: "sha256:a", tags: ["lading/webapp:1.0", "lading/webapp:latest"], digests: ["reg/lading/webapp@sha256:d"] });
    assert.deepEqual(p.images[1], { id: "sha256:b", tags: [], digests: [] });
    assert.ok(p.used.has("sha256:a"));
    assert.deepEqual(removeImageArgvs(p.images[0]!), [["docker", "image", "rm", "lading/webapp:1.0"], ["docker", "image", "rm", "lading/webapp:latest"]]);
    assert.deepEqual(removeImageArgvs(p.images[1]!), [["docker", "image", "rm", "sha256:b"]]);
    assert.equal(repositoryOf("reg:5000/lading/webapp:1.1"), "reg:5000/lading/webapp");
    assert.equal(repositoryOf("lading/webapp@sha256:abc"), "lading/webapp");
    assert.equal(repositoryOf("reg:5000/x"), "reg:5000/x");
  });
});

describe("upgrade", () => {
  const gate = { parameter: "image_tag", maxMinorStep: 1, noDowngrade: true };
  it("version gates: one minor at a time, no major jump, no downgrade, unknown tags refused", () => {
    assert.equal(versionGateProblem(gate, "3.12.1", "3.12.4"), undefined);
    assert.equal(versionGateProblem(gate, "3.12", "3.13.0"), undefined);
    assert.equal(versionGateProblem(gate, "3.12", "3.12"), undefined);
    assert.match(versionGateProblem(gate, "3.11.2", "3.13.0")!, /skips minor versions: at most 1 at a time \(go to 3\.12 first\)/);
    assert.match(versionGateProblem(gate, "3.13", "4.0")!, /jumps a major version/);
    assert.match(versionGateProblem(gate, "3.13", "3.12")!, /downgrade/);
    assert.equal(versionGateProblem({ parameter: "x" }, "3.13", "3.12"), undefined);
    assert.match(versionGateProblem(gate, "latest", "3.12")!, /cannot compare/);
    assert.deepEqual(parseVersion("v3.12.4-management"), { major: 3, minor: 12, patch: 4 });
    assert.equal(tagOf("reg:5000/lading/rabbitmq:3.12"), "3.12");
    assert.equal(tagOf("lading/rabbitmq@sha256:abc"), undefined);
    assert.equal(tagOf("reg:5000/lading/rabbitmq"), undefined);
  });
  it("phases: hosts of the first groups first, the rest last, each host once", () => {
    const groups: Record<string, string[]> = { a: ["control"], b: ["control", "compute"], c: ["compute"], d: [] };
    assert.deepEqual(phasesOf(["a", "b", "c", "d"], [["control"], ["compute"]], (h) => groups[h]!), [["a", "b"], ["c"], ["d"]]);
    assert.deepEqual(phasesOf(["c"], [["control"], ["compute"]], (h) => groups[h]!), [["c"]]);
    assert.deepEqual(phasesOf(["a", "b"], undefined, () => []), [["a", "b"]]);
  });
  it("a hook is a one-off container with the service's mounts on the host network", () => {
    const c = container("webapp", "webapp", { image: "lading/webapp:1.1", environment: { A: "1" }, user: "web" });
    assert.deepEqual(hookArgv("webapp", "before", { command: ["python3", "/opt/webapp/migrate.py"] }, c), [
      "docker", "run", "--rm", "--name", "lading-hook-webapp-before", "--network", "host", "--label", "lading.hook=webapp-before",
      "--env", "A=1", "--mount", "type=bind,source=/etc/lading/webapp,target=/etc/webapp,readonly", "--user", "web",
      "lading/webapp:1.1", "python3", "/opt/webapp/migrate.py",
    ]);
    assert.equal(hookArgv("webapp", "after", { image: "tools:1", command: ["x"] }, c).at(-2), "tools:1");
  });
});

describe("bootstrap-servers", () => {
  const hosts = [{ name: "n1", address: "10.0.0.1" }, { name: "n2", address: "10.0.0.2" }];
  const fresh: Probe = { os: "debian", docker: false, running: false, liveRestore: false, systemd: false, initScriptReloads: false, files: new Map(), userExists: false, configDirExists: false };
  it("daemon.json: live-restore, rotated logs, no bridge or iptables with host networking", () => {
    const j = JSON.parse(daemonJson()) as Record<string, unknown>;
    assert.equal(j["live-restore"], true);
    assert.deepEqual(j["log-opts"], { "max-size": "50m", "max-file": "5" });
    assert.equal(j.bridge, "none");
    assert.equal(j.iptables, false);
    assert.equal((JSON.parse(daemonJson({ hostNetworkingOnly: false })) as Record<string, unknown>).bridge, undefined);
  });
  it("/etc/hosts: one block between markers, replaced in place of the old one, the rest kept", () => {
    const once = hostsFileWithBlock("127.0.0.1 localhost\n", hosts);
    assert.equal(once, "127.0.0.1 localhost\n# BEGIN lading hosts (managed by lading bootstrap-servers)\n10.0.0.1\tn1\n10.0.0.2\tn2\n# END lading hosts\n");
    assert.equal(hostsFileWithBlock(once, hosts), once);
    assert.doesNotMatch(hostsFileWithBlock(once, [hosts[0]!]), /n2/);
  });
  it("a fresh host: config first, then the engine from the distribution, then started", () => {
    const steps = bootstrapSteps("n1", fresh, { hosts, configDir: "/etc/lading", user: "deploy" });
    assert.deepEqual(steps.map((s) => ("path" in s ? `${s.kind} ${s.path}` : `${s.kind} ${s.argv.join(" ")}`)), [
      "run install -d -m 0755 -- /etc/docker",
      `write ${DAEMON_JSON}`,
      "write /etc/hosts",
      `write ${SYSCTL_FILE}`,
      `run sysctl -e -p ${SYSCTL_FILE}`,
      "run useradd --create-home --shell /bin/bash -- deploy",
      "write /etc/sudoers.d/lading-deploy",
      "run install -d -m 0755 -- /etc/lading",
      `install-engine ${shScriptArgv("install-engine.sh", []).join(" ")}`,
      `run ${shScriptArgv("engine-start.sh", []).join(" ")}`,
    ]);
    assert.ok(!steps.some((s) => s.kind === "restart-engine"));
  });
  it("a bootstrapped host needs nothing; a changed daemon.json on a running engine restarts it", () => {
    const done: Probe = {
      os: "ubuntu", docker: true, running: true, liveRestore: true, systemd: true, initScriptReloads: false, userExists: true, configDirExists: true,
      files: new Map([[DAEMON_JSON, daemonJson()], ["/etc/hosts", hostsFileWithBlock("", hosts)], [SYSCTL_FILE, sysctlConf(DEFAULT_SYSCTLS)], ["/etc/sudoers.d/lading-deploy", "# Managed by lading bootstrap-servers\ndeploy ALL=(ALL:ALL) NOPASSWD: ALL\n"]]),
    };
    assert.deepEqual(bootstrapSteps("n1", done, { hosts, configDir: "/etc/lading", user: "deploy" }), []);
    const changed = bootstrapSteps("n1", done, { hosts, configDir: "/etc/lading", daemon: daemonJson({ logMaxFiles: 3 }) });
    assert.deepEqual(changed.map((s) => `${s.kind}${s.kind === "write" ? ` ${s.path}` : ""}`), ["run", "write /etc/docker/.lading-restart-pending", `write ${DAEMON_JSON}`, "restart-engine"]);
    assert.throws(() => bootstrapSteps("n1", { ...fresh, os: "centos" }, { hosts, configDir: "/etc/lading" }), /Debian and Ubuntu, not centos/);
  });
  it("parses the probe", () => {
    const p = parseProbe(`os debian\ndocker yes\nrunning no\nfile ${DAEMON_JSON} ${Buffer.from("{}").toString("base64")}\nfile /etc/hosts -\nuser no\nconfig yes\n`);
    assert.equal(p.os, "debian");
    assert.equal(p.docker, true);
    assert.equal(p.running, false);
    assert.equal(p.files.get(DAEMON_JSON), "{}");
    assert.equal(p.files.get("/etc/hosts"), undefined);
    assert.equal(p.configDirExists, true);
  });
  it("the real probe script reads this machine", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-probe-"));
    const t = new LocalTransport({ host: "local", become: false });
    try {
      const p = await probeHost(t, "lading-no-such-user", dir);
      assert.match(p.os, /^[a-z]+$/);
      assert.equal(p.userExists, false);
      assert.equal(p.configDirExists, true);
      assert.equal(typeof p.files.get("/etc/hosts"), "string");
      assert.equal((await probeHost(t, "root", join(dir, "absent"))).configDirExists, false);
      assert.equal((await probeHost(t, "root", dir)).userExists, true);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
