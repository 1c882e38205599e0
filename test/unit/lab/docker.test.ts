import assert from "node:assert/strict";
import { docker, dockerdArgv, nestedDocker } from "../../../src/lab/docker.js";
import { ip } from "../../../src/lab/ip.js";

const H = ["docker", "-H", "unix:///run/lading-lab/docker.sock"];

describe("lab docker argv builders", () => {
  it("talks to the lab's own socket", () => {
    assert.deepEqual(docker.serverVersion(), [...H, "version", "--format", "{{.Server.Version}}"]);
  });

  it("builds on the host network with the folder hash as a label and the version build arg", () => {
    assert.deepEqual(
      docker.build({ tag: "lading/webapp:1.1", context: "/p/lab/images/webapp", hash: "abc", buildArgs: { VERSION: "1.1" } }),
      [...H, "build", "--network", "host", "--label", "dev.lading.lab.hash=abc", "--build-arg", "VERSION=1.1", "-t", "lading/webapp:1.1", "/p/lab/images/webapp"],
    );
  });

  it("creates the lab network as a named bridge on 10.98.0.0/24", () => {
    assert.deepEqual(docker.networkCreate(), [
      ...H, "network", "create", "--driver", "bridge", "--subnet", "10.98.0.0/24", "--gateway", "10.98.0.1",
      "--opt", "com.docker.network.bridge.name=lading-lab0", "lading-lab",
    ]);
  });

  it("runs a host privileged, with its address, peers, tmpfs /run and its per-host stores", () => {
    const argv = docker.runHost({
      name: "lab2",
      address: "10.98.0.12",
      peers: [
        { name: "lab1", address: "10.98.0.11" },
        { name: "lab2", address: "10.98.0.12" },
      ],
      dockerDir: "/lab/hosts/lab2/docker",
      sshDir: "/lab/hosts/lab2/ssh",
      imagesDir: "/lab/images",
    });
    assert.deepEqual(argv, [
      ...H, "run", "--detach", "--name", "lab2", "--hostname", "lab2", "--label", "dev.lading.lab.host=lab2",
      "--privileged", "--network", "lading-lab", "--ip", "10.98.0.12",
      "--add-host", "lab1:10.98.0.11", "--add-host", "lab2:10.98.0.12",
      "--tmpfs", "/run", "--tmpfs", "/tmp",
      "--volume", "/lab/hosts/lab2/docker:/var/lib/docker",
      "--volume", "/lab/hosts/lab2/ssh:/etc/ssh/lab",
      "--volume", "/lab/images:/lab-images:ro",
      "lading-lab/host",
    ]);
  });

  it("loads images inside a host through docker exec", () => {
    assert.deepEqual(docker.exec("lab1", nestedDocker.load("/lab-images/x.tar")), [
      ...H, "exec", "lab1", "docker", "load", "--quiet", "--input", "/lab-images/x.tar",
    ]);
    assert.deepEqual(docker.exec("lab1", ["cat"], { stdin: true }), [...H, "exec", "--interactive", "lab1", "cat"]);
  });

  it("cuts and heals a host at its bridge port", () => {
    assert.deepEqual(ip.bridgePorts(), ["ip", "-j", "link", "show", "master", "lading-lab0"]);
    assert.deepEqual(ip.setLink("veth12ab", "down"), ["ip", "link", "set", "dev", "veth12ab", "down"]);
  });

  it("starts dockerd with its own paths, and the runc wrapper only when given", () => {
    const common = {
      dockerd: "/usr/sbin/dockerd",
      socket: "/run/lading-lab/docker.sock",
      dataRoot: "/lab/engine/data",
      execRoot: "/run/lading-lab/exec",
      pidFile: "/run/lading-lab/docker.pid",
    };
    const plain = dockerdArgv(common);
    assert.deepEqual(plain, [
      "/usr/sbin/dockerd", "--host", "unix:///run/lading-lab/docker.sock", "--data-root", "/lab/engine/data",
      "--exec-root", "/run/lading-lab/exec", "--pidfile", "/run/lading-lab/docker.pid", "--storage-driver", "overlay2",
      "--bridge", "none", "--iptables=false",
    ]);
    assert.deepEqual(dockerdArgv({ ...common, runtimeWrapper: "/lab/engine/lading-runc" }).slice(plain.length), [
      "--add-runtime", "lading-runc=/lab/engine/lading-runc", "--default-runtime", "lading-runc",
    ]);
  });
});
