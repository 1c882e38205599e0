// Builders of the docker CLI commands the lab runs: each returns an argv array and runs nothing.
// Every command talks to the lab's own engine through its socket, never to a user's engine.
import {
  HASH_LABEL,
  HOST_IMAGE,
  HOST_LABEL,
  LAB_BRIDGE,
  LAB_GATEWAY,
  LAB_NETWORK,
  LAB_RUNTIME,
  LAB_SOCKET,
  LAB_SUBNET,
} from "./layout.js";

/** `docker -H unix://<lab socket>`: the prefix of every outer-engine command. */
export function labDocker(socket: string = LAB_SOCKET): string[] {
  return ["docker", "-H", `unix://${socket}`];
}

/** Where the saved image tarballs appear inside every host (bind-mounted read-only). */
export const HOST_IMAGES_MOUNT = "/lab-images";

export const docker = {
  serverVersion(): string[] {
    return [...labDocker(), "version", "--format", "{{.Server.Version}}"];
  },

  /** Prints `<image id> <labels as JSON, or nothing>`; fails when the image does not exist. */
  imageIdAndLabels(tag: string): string[] {
    return [...labDocker(), "image", "inspect", "--format", "{{.Id}} {{with .Config}}{{json .Labels}}{{end}}", tag];
  },

  importImage(tarball: string, tag: string): string[] {
    return [...labDocker(), "import", tarball, tag];
  },

  /** A legacy-builder build (run with DOCKER_BUILDKIT=0) on the host network, so apt reaches the mirror. */
  build(opts: { tag: string; context: string; hash: string; buildArgs?: Record<string, string> }): string[] {
    const args = Object.entries(opts.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    return [...labDocker(), "build", "--network", "host", "--label", `${HASH_LABEL}=${opts.hash}`, ...args, "-t", opts.tag, opts.context];
  },

  save(tag: string, file: string): string[] {
    return [...labDocker(), "save", "-o", file, tag];
  },

  /** Removes untagged images (older builds whose tag moved on); build-cache parents of tagged images stay. */
  pruneDanglingImages(): string[] {
    return [...labDocker(), "image", "prune", "--force"];
  },

  networkSubnet(): string[] {
    return [...labDocker(), "network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", LAB_NETWORK];
  },

  networkCreate(): string[] {
    return [
      ...labDocker(), "network", "create", "--driver", "bridge",
      "--subnet", LAB_SUBNET, "--gateway", LAB_GATEWAY,
      "--opt", `com.docker.network.bridge.name=${LAB_BRIDGE}`,
      LAB_NETWORK,
    ];
  },

  networkRemove(): string[] {
    return [...labDocker(), "network", "rm", LAB_NETWORK];
  },

  /** Names of every lab host container, running or not. */
  listHosts(): string[] {
    return [...labDocker(), "ps", "--all", "--filter", `label=${HOST_LABEL}`, "--format", "{{.Names}}"];
  },

  inspectContainers(names: string[]): string[] {
    return [...labDocker(), "container", "inspect", "--format", "{{json .}}", ...names];
  },

  runHost(opts: {
    name: string;
    address: string;
    peers: { name: string; address: string }[];
    dockerDir: string;
    sshDir: string;
    imagesDir: string;
    /** The host image; default lading-lab/host. */
    image?: string;
  }): string[] {
    return [
      ...labDocker(), "run", "--detach",
      "--name", opts.name, "--hostname", opts.name,
      "--label", `${HOST_LABEL}=${opts.name}`,
      "--privileged",
      "--network", LAB_NETWORK, "--ip", opts.address,
      ...opts.peers.flatMap((p) => ["--add-host", `${p.name}:${p.address}`]),
      "--tmpfs", "/run", "--tmpfs", "/tmp",
      "--volume", `${opts.dockerDir}:/var/lib/docker`,
      "--volume", `${opts.sshDir}:/etc/ssh/lab`,
      "--volume", `${opts.imagesDir}:${HOST_IMAGES_MOUNT}:ro`,
      opts.image ?? HOST_IMAGE,
    ];
  },

  start(name: string): string[] {
    return [...labDocker(), "start", name];
  },

  /** Stop with a grace period, so the host's init stops its own dockerd cleanly. */
  stop(names: string[], graceSeconds = 20): string[] {
    return [...labDocker(), "stop", "--time", String(graceSeconds), ...names];
  },

  removeForce(names: string[]): string[] {
    return [...labDocker(), "rm", "--force", ...names];
  },

  /** Run argv inside a host container (through the engine, not the network). */
  exec(name: string, argv: string[], opts: { stdin?: boolean } = {}): string[] {
    return [...labDocker(), "exec", ...(opts.stdin ? ["--interactive"] : []), name, ...argv];
  },
};

/** Commands run INSIDE a lab host, against its own nested engine (wrap them with docker.exec). */
export const nestedDocker = {
  info(): string[] {
    return ["docker", "info", "--format", "{{.ServerVersion}}"];
  },
  imageId(tag: string): string[] {
    return ["docker", "image", "inspect", "--format", "{{.Id}}", tag];
  },
  load(tarballInHost: string): string[] {
    return ["docker", "load", "--quiet", "--input", tarballInHost];
  },
};

/** The lab engine's dockerd: own socket, data root, exec root and pid file; no default bridge, no iptables. */
export function dockerdArgv(opts: {
  dockerd: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  /** Path of the runc wrapper, only where the capability bounding set lacks CAP_SYS_RESOURCE. */
  runtimeWrapper?: string;
}): string[] {
  return [
    opts.dockerd,
    "--host", `unix://${opts.socket}`,
    "--data-root", opts.dataRoot,
    "--exec-root", opts.execRoot,
    "--pidfile", opts.pidFile,
    "--storage-driver", "overlay2",
    // The lab network is a user-defined bridge; no docker0 (it would fight a user's engine over it) and no
    // iptables rules on the user's machine (lab hosts need no NAT: nothing leaves the lab subnet).
    "--bridge", "none",
    "--iptables=false",
    ...(opts.runtimeWrapper ? ["--add-runtime", `${LAB_RUNTIME}=${opts.runtimeWrapper}`, "--default-runtime", LAB_RUNTIME] : []),
  ];
}
