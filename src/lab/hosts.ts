// The lab hosts: privileged containers on the lab bridge, each with sshd and its own Docker engine.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LabError } from "../errors.js";
import { HOST_IMAGES_MOUNT, docker, nestedDocker } from "./docker.js";
import type { LabEventSink } from "./events.js";
import type { SavedImage } from "./images.js";
import { HOST_LABEL, LAB_NETWORK, LAB_SUBNET, hostDirs, labHostAddress, labHostName, type LabLayout } from "./layout.js";
import { runCommand, runOrThrow } from "./run-command.js";
import { ip } from "./ip.js";

/** A lab host as the engine sees it. */
export interface LabHost {
  name: string;
  /** The fixed address of the host (10.98.0.(10+n)). */
  address: string;
  running: boolean;
  /** Whether the host is plugged into the lab network (false when stopped or after `lab cut`). */
  connected: boolean;
  /** Id of the image the container runs. */
  imageId: string;
}

interface ContainerInspect {
  Name: string;
  Image: string;
  State: { Running: boolean; Status: string };
  Config: { Labels: Record<string, string> | null };
  HostConfig: { ExtraHosts: string[] | null };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> | null };
}

/** `lab7` -> 7; undefined for anything else. */
export function labHostNumber(name: string): number | undefined {
  const m = /^lab([1-9][0-9]*)$/.exec(name);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Reads the hosts from `docker container inspect` output (one JSON document per line). */
export function parseHostInspect(text: string): (LabHost & { extraHosts: string[] })[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ContainerInspect)
    .map((c) => {
      const name = c.Config.Labels?.[HOST_LABEL] ?? c.Name.replace(/^\//, "");
      const n = labHostNumber(name);
      const net = c.NetworkSettings.Networks?.[LAB_NETWORK];
      return {
        name,
        address: n ? labHostAddress(n) : (net?.IPAddress ?? ""),
        running: c.State.Running,
        connected: Boolean(net?.IPAddress),
        imageId: c.Image,
        extraHosts: c.HostConfig.ExtraHosts ?? [],
      };
    })
    .sort((a, b) => (labHostNumber(a.name) ?? 0) - (labHostNumber(b.name) ?? 0));
}

/** Every lab host container, running or not, in host order. */
export async function listHosts(): Promise<(LabHost & { extraHosts: string[] })[]> {
  const names = (await runOrThrow(docker.listHosts(), "listing the lab hosts")).split("\n").filter(Boolean);
  if (names.length === 0) return [];
  const hosts = parseHostInspect(await runOrThrow(docker.inspectContainers(names), "inspecting the lab hosts"));
  // A running host is connected when it is on the network and its cable is plugged (see hostCable).
  return Promise.all(
    hosts.map(async (h) => (h.running && h.connected ? { ...h, connected: await isCablePlugged(h.name) } : h)),
  );
}

/** The lab network, created when missing (or re-created when it has another subnet). */
export async function ensureNetwork(emit: LabEventSink): Promise<void> {
  const r = await runCommand(docker.networkSubnet());
  if (r.code === 0 && r.stdout.trim() === LAB_SUBNET) {
    emit({ step: "network", status: "skip", message: `network ${LAB_NETWORK} exists` });
    return;
  }
  if (r.code === 0) await runOrThrow(docker.networkRemove(), `removing network ${LAB_NETWORK} with subnet ${r.stdout.trim()}`);
  await runOrThrow(docker.networkCreate(), `creating network ${LAB_NETWORK}`);
  emit({ step: "network", status: "done", message: `network ${LAB_NETWORK} ${LAB_SUBNET} created` });
}

/** The hosts lab1..labN with their addresses. */
export function desiredHosts(count: number): { name: string; address: string }[] {
  return Array.from({ length: count }, (_, i) => ({ name: labHostName(i + 1), address: labHostAddress(i + 1) }));
}

/** The --add-host entries a host is created with, in docker's `name:address` form. */
function extraHostsOf(peers: { name: string; address: string }[]): string[] {
  return peers.map((p) => `${p.name}:${p.address}`);
}

/**
 * Makes hosts lab1..labN run the current host image: creates missing ones, re-creates those built from another
 * image or with another peer list, starts stopped ones, removes hosts beyond N. Per-host stores stay on disk.
 */
export async function ensureHosts(
  layout: LabLayout,
  count: number,
  hostImage: { tag: string; id: string },
  emit: LabEventSink,
): Promise<void> {
  const wanted = desiredHosts(count);
  const existing = await listHosts();
  const extra = existing.filter((h) => !wanted.some((w) => w.name === h.name));
  if (extra.length > 0) {
    const names = extra.map((h) => h.name);
    await runCommand(docker.stop(names));
    await runOrThrow(docker.removeForce(names), "removing extra hosts");
    emit({ step: "host", status: "done", message: `removed ${names.join(", ")}` });
  }
  const peerEntries = extraHostsOf(wanted).sort();
  await Promise.all(
    wanted.map(async (want) => {
      const dirs = hostDirs(layout, want.name);
      mkdirSync(dirs.docker, { recursive: true });
      mkdirSync(dirs.ssh, { recursive: true, mode: 0o755 });
      copyFileSync(layout.sshPublicKey, join(dirs.ssh, "authorized_keys"));
      const have = existing.find((h) => h.name === want.name);
      const stale =
        have && (have.imageId !== hostImage.id || [...have.extraHosts].sort().join(",") !== peerEntries.join(","));
      if (have && !stale) {
        if (have.running) {
          if (!have.connected) await setHostCable(want.name, "up");
          emit({ step: "host", status: "skip", host: want.name, message: `${want.name} is running` });
          return;
        }
        if ((await runCommand(docker.start(want.name))).code === 0) {
          emit({ step: "host", status: "done", host: want.name, message: `started ${want.name}` });
          return;
        }
      }
      if (have) {
        await runCommand(docker.stop([want.name]));
        await runOrThrow(docker.removeForce([want.name]), `removing the old ${want.name}`);
      }
      await runOrThrow(
        docker.runHost({
          name: want.name,
          address: want.address,
          peers: wanted,
          dockerDir: dirs.docker,
          sshDir: dirs.ssh,
          imagesDir: layout.imagesDir,
          image: hostImage.tag,
        }),
        `creating host ${want.name}`,
      );
      emit({ step: "host", status: "done", host: want.name, message: `created ${want.name} at ${want.address}` });
    }),
  );
}

/** One port of the lab bridge, from `ip -j link show master <bridge>`. */
interface BridgePort {
  ifindex: number;
  ifname: string;
  flags?: string[];
}

/**
 * The machine-side end of a host's eth0: the bridge port whose index eth0 names as its peer (iflink).
 * A cut pulls this "cable" (the port goes down) and leaves the host's own view alone: eth0 keeps its name and
 * address, as after a real link failure. (docker network disconnect/connect would bring the address back on eth1.)
 */
async function hostCable(name: string): Promise<BridgePort | undefined> {
  const r = await runCommand(docker.exec(name, ["cat", "/sys/class/net/eth0/iflink"]));
  if (r.code !== 0) return undefined;
  const peer = Number(r.stdout.trim());
  const ports = JSON.parse((await runOrThrow(ip.bridgePorts(), "listing the lab bridge ports")) || "[]") as BridgePort[];
  return ports.find((p) => p.ifindex === peer);
}

/** Whether a running host's cable is plugged in (its bridge port is up). */
async function isCablePlugged(name: string): Promise<boolean> {
  const port = await hostCable(name);
  return Boolean(port && (port.flags ?? []).includes("UP"));
}

/** Pulls (cut) or plugs (heal) a running host's cable to the lab network. */
export async function setHostCable(name: string, state: "up" | "down"): Promise<void> {
  const port = await hostCable(name);
  if (!port) throw new LabError(`${name} has no link to the lab network (is it running?)`);
  await runOrThrow(ip.setLink(port.ifname, state), `${state === "down" ? "cutting" : "healing"} ${name}`);
}

/** Waits until the host has its host key and (unless `engine` is false: a host without one) its nested dockerd answers. */
export async function waitForHost(layout: LabLayout, name: string, timeoutMs = 90_000, opts: { engine?: boolean } = {}): Promise<void> {
  const keyFile = join(hostDirs(layout, name).ssh, "ssh_host_ed25519_key.pub");
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (existsSync(keyFile) && opts.engine === false) return;
    if (existsSync(keyFile)) {
      const r = await runCommand(docker.exec(name, nestedDocker.info()), { timeoutMs: 10_000 });
      if (r.code === 0) return;
      last = r.stderr.trim();
    }
    await sleep(300);
  }
  const log = await runCommand(docker.exec(name, ["tail", "-n", "15", "/var/log/docker.log"]));
  throw new LabError(`host ${name} did not become ready (sshd host key and its Docker engine): ${last}\n${log.stdout}`);
}

/** Loads an image onto a host unless the host has it with the same id already. */
export async function loadImageOnHost(host: string, image: SavedImage, emit: LabEventSink): Promise<void> {
  const r = await runCommand(docker.exec(host, nestedDocker.imageId(image.tag)));
  if (r.code === 0 && r.stdout.trim() === image.id) {
    emit({ step: "load", status: "skip", host, image: image.tag, message: `${host} has ${image.tag}` });
    return;
  }
  const t0 = Date.now();
  emit({ step: "load", status: "start", host, image: image.tag, message: `loading ${image.tag} onto ${host}` });
  await runOrThrow(docker.exec(host, nestedDocker.load(`${HOST_IMAGES_MOUNT}/${image.file}`)), `loading ${image.tag} onto ${host}`);
  emit({ step: "load", status: "done", host, image: image.tag, message: `loaded ${image.tag} onto ${host}`, ms: Date.now() - t0 });
}

/** The public host key of a host, read from its per-host folder (written by the host itself at first start). */
export function readHostKey(layout: LabLayout, name: string): string {
  const file = join(hostDirs(layout, name).ssh, "ssh_host_ed25519_key.pub");
  const [type, key] = readFileSync(file, "utf8").trim().split(/\s+/);
  if (!type || !key) throw new LabError(`host key of ${name} in ${file} is malformed`);
  return `${type} ${key}`;
}

/** Removes the given hosts (stop with a grace period first, so nested engines shut down cleanly). */
export async function removeHosts(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await runCommand(docker.stop(names));
  await runCommand(docker.removeForce(names));
}

