// Where the lab keeps its caches and state, and the fixed topology of its network (see the lab contract).
import { homedir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../paths.js";

/** Run-time files of the lab's own Docker engine. Fixed, so one lab per machine. */
export const LAB_RUN_DIR = "/run/lading-lab";
export const LAB_SOCKET = join(LAB_RUN_DIR, "docker.sock");
export const LAB_PID_FILE = join(LAB_RUN_DIR, "docker.pid");
export const LAB_EXEC_ROOT = join(LAB_RUN_DIR, "exec");

export const LAB_NETWORK = "lading-lab";
/** The Linux bridge of the lab network, named so that a route through it is recognisably ours. */
export const LAB_BRIDGE = "lading-lab0";
export const LAB_SUBNET = "10.98.0.0/24";
export const LAB_GATEWAY = "10.98.0.1";
export const LAB_RUNTIME = "lading-runc";

export const BASE_IMAGE = "lading-lab/debian:bookworm";
export const HOST_IMAGE = "lading-lab/host";
/** Label holding the hash of the folder an image was built from. */
export const HASH_LABEL = "dev.lading.lab.hash";
/** Label marking the lab's host containers; its value is the host name. */
export const HOST_LABEL = "dev.lading.lab.host";

export const DEFAULT_HOST_COUNT = 3;
export const MAX_HOST_COUNT = 89; // 10.98.0.11 .. 10.98.0.99; .100-.109 are reserved for VIPs.

/** The lab host name of the 1-based host number n: lab1, lab2, ... */
export function labHostName(n: number): string {
  return `lab${n}`;
}

/** Host n lives at 10.98.0.(10+n). */
export function labHostAddress(n: number): string {
  return `10.98.0.${10 + n}`;
}

/** The lab directory: $LADING_LAB_DIR, else ~/.cache/lading/lab. */
export function defaultLabDir(): string {
  const fromEnv = process.env.LADING_LAB_DIR;
  return fromEnv && fromEnv.length > 0 ? fromEnv : join(homedir(), ".cache", "lading", "lab");
}

/** Every path under the lab directory, in one place. */
export interface LabLayout {
  dir: string;
  engineDir: string;
  engineDataRoot: string;
  engineLog: string;
  runtimeWrapper: string;
  cacheDir: string;
  baseTarball: string;
  imagesDir: string;
  hostsDir: string;
  sshDir: string;
  sshKey: string;
  sshPublicKey: string;
  knownHosts: string;
  inventory: string;
  stateFile: string;
}

export function labLayout(dir: string = defaultLabDir()): LabLayout {
  const sshDir = join(dir, "ssh");
  const engineDir = join(dir, "engine");
  return {
    dir,
    engineDir,
    engineDataRoot: join(engineDir, "data"),
    engineLog: join(engineDir, "dockerd.log"),
    runtimeWrapper: join(engineDir, "lading-runc"),
    cacheDir: join(dir, "cache"),
    baseTarball: join(dir, "cache", "debian-bookworm-minbase.tar"),
    imagesDir: join(dir, "images"),
    hostsDir: join(dir, "hosts"),
    sshDir,
    sshKey: join(sshDir, "id_ed25519"),
    sshPublicKey: join(sshDir, "id_ed25519.pub"),
    knownHosts: join(sshDir, "known_hosts"),
    inventory: join(dir, "inventory.yml"),
    stateFile: join(dir, "state.json"),
  };
}

/** Per-host folders: the host's /var/lib/docker and its sshd keys. */
export function hostDirs(layout: LabLayout, host: string): { root: string; docker: string; ssh: string } {
  const root = join(layout.hostsDir, host);
  return { root, docker: join(root, "docker"), ssh: join(root, "ssh") };
}

/** The folder of the host image's build context, shipped in the package. */
export const hostImageContext = join(packageRoot, "lab", "host");
/** Service image folders per the contract: lab/images/<svc>/Dockerfile. */
export const serviceImagesDir = join(packageRoot, "lab", "images");
