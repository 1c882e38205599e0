import assert from "node:assert/strict";
import * as docker from "../../../src/docker/commands.js";
import { container } from "./fixtures.js";

describe("docker command builders", () => {
  it("builds docker run with host networking, labels, mounts, caps and a quoted healthcheck", () => {
    const c = container("keepalived", "keepalived", {
      capAdd: ["NET_ADMIN"],
      command: ["keepalived", "-n"],
      healthcheck: { test: ["sh", "-c", "test -e '/run/x y'"], interval: "10s", timeout: "5s", retries: 3, startPeriod: "10s" },
      ulimits: { nofile: { soft: 1024, hard: 2048 } },
    });
    const argv = docker.run(c, { configHash: "abc" });
    assert.deepEqual(argv.slice(0, 9), ["docker", "run", "--detach", "--name", "keepalived", "--network", "host", "--restart", "unless-stopped"]);
    assert.ok(argv.includes("lading.config-hash=abc"));
    assert.ok(argv.includes("type=bind,source=/etc/lading/keepalived,target=/etc/keepalived,readonly"));
    assert.deepEqual(argv.slice(argv.indexOf("--cap-add"), argv.indexOf("--cap-add") + 2), ["--cap-add", "NET_ADMIN"]);
    assert.equal(argv[argv.indexOf("--health-cmd") + 1], `sh -c 'test -e '\\''/run/x y'\\'''`);
    assert.deepEqual(argv.slice(-3), ["lading/keepalived:1.0", "keepalived", "-n"]);
  });

  it("starts the bootstrap member with the bootstrap command and no restart policy", () => {
    const c = container("mariadb", "mariadb", { command: ["mysqld"], bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const argv = docker.run(c, { configHash: "", bootstrap: true });
    assert.deepEqual(argv.slice(-2), ["mysqld", "--wsrep-new-cluster"]);
    assert.equal(argv[argv.indexOf("--restart") + 1], "no");
    assert.ok(argv.includes("lading.bootstrap=true"));
  });

  it("hashes specs stably whatever the key order, and differently when a field changes", () => {
    const a = container("m", "m", { environment: { A: "1", B: "2" } });
    const b = container("m", "m", { environment: { B: "2", A: "1" } });
    assert.equal(docker.specHash(a), docker.specHash(b));
    assert.notEqual(docker.specHash(a), docker.specHash(container("m", "m", { environment: { A: "1" } })));
  });

  it("builds exec with stdin kept open for secrets", () => {
    assert.deepEqual(docker.exec("mariadb", ["mysql"], { interactive: true }), ["docker", "exec", "--interactive", "mariadb", "mysql"]);
    assert.deepEqual(docker.stop("x", 30), ["docker", "stop", "--time", "30", "x"]);
  });
});
