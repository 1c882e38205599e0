// `lab up`: from whatever is there (nothing, caches, a half-done run, a running lab) to N ready hosts.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { LabError } from "../errors.js";
import { startEngine, stopEngine } from "./engine.js";
import type { LabEvent, LabEventSink } from "./events.js";
import { desiredHosts, ensureHosts, ensureNetwork, listHosts, loadImageOnHost, readHostKey, removeHosts, waitForHost } from "./hosts.js";
import {
  ensureBaseImage,
  ensureImage,
  hostImageSpec,
  removePartialTarballs,
  saveImage,
  serviceImageSpecs,
  specHash,
  type BuiltImage,
  type ImageSpec,
} from "./images.js";
import pLimit from "p-limit";
import { renderKnownHosts, renderLabInventory } from "./inventory.js";
import { DEFAULT_HOST_COUNT, MAX_HOST_COUNT, labLayout, serviceImagesDir, type LabLayout } from "./layout.js";
import { assertFreeSpace, assertRoot, assertSubnetFree, installMissingPackages } from "./prerequisites.js";
import { ensureLabSshKey } from "./ssh-key.js";
import { acquireLabLock } from "./lab-lock.js";
import { labStatus, type LabState } from "./status.js";
import { runCommand } from "./run-command.js";
import { docker } from "./docker.js";

export interface LabUpOptions {
  /** Number of hosts (lab1..labN); default 3. */
  hosts?: number;
  /** The lab directory; default $LADING_LAB_DIR or ~/.cache/lading/lab. */
  dir?: string;
  /**
   * Folders of service images (`<svc>/Dockerfile`); earlier folders win. Default: $LADING_LAB_IMAGE_DIRS
   * (colon-separated, for tests and development) or else the package's lab/images.
   */
  imageDirs?: string[];
  /**
   * Build folder of another host image (e.g. a lighter one for a large benchmark fleet); default lab/host.
   * It must behave like lab/host: sshd with the key in /etc/ssh/lab, a Docker engine, the runc wrapper where needed.
   */
  hostImage?: string;
  onEvent?: (event: LabEvent) => void;
}

/** What a successful `lab up` recorded, so that the next one can tell in a moment that nothing changed. */
interface LabRecord {
  hosts: number;
  imageHashes: Record<string, string>;
}

/**
 * Free space needed for a cold build (base rootfs, images, their tarballs and the host stores: 6.6 GB measured
 * for 3 hosts and the 8 service images), and for a warm start.
 */
const COLD_FREE_BYTES = 8 * 2 ** 30;
const WARM_FREE_BYTES = 1 * 2 ** 30;

function defaultImageDirs(): string[] {
  const fromEnv = (process.env.LADING_LAB_IMAGE_DIRS ?? "").split(":").filter(Boolean);
  return fromEnv.length > 0 ? fromEnv : [serviceImagesDir];
}

function readRecord(layout: LabLayout): LabRecord | undefined {
  try {
    return JSON.parse(readFileSync(layout.stateFile, "utf8")) as LabRecord;
  } catch {
    return undefined;
  }
}

function writeFileAtomic(file: string, text: string): void {
  writeFileSync(`${file}.partial`, text, { mode: 0o644 });
  renameSync(`${file}.partial`, file);
}

/** Specs grouped by build folder, in their order. */
function groupByContext(specs: ImageSpec[]): ImageSpec[][] {
  const groups = new Map<string, ImageSpec[]>();
  for (const s of specs) groups.set(s.context, [...(groups.get(s.context) ?? []), s]);
  return [...groups.values()];
}

function sameHashes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabState> {
  const count = opts.hosts ?? DEFAULT_HOST_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOST_COUNT) {
    throw new LabError(`--hosts must be a whole number from 1 to ${MAX_HOST_COUNT} (got ${count})`);
  }
  const emit: LabEventSink = opts.onEvent ?? (() => {});
  const layout = labLayout(opts.dir);
  assertRoot();

  const serviceSpecs = serviceImageSpecs(opts.imageDirs ?? defaultImageDirs());
  const hostSpec = hostImageSpec(opts.hostImage);
  const specs: ImageSpec[] = [hostSpec, ...serviceSpecs];
  const hashes = Object.fromEntries(specs.map((s) => [s.tag, specHash(s)]));

  // The quick check: a running lab built from the same folders with the same hosts is left alone.
  const record = readRecord(layout);
  if (record && record.hosts === count && sameHashes(record.imageHashes, hashes)) {
    const state = await labStatus({ dir: layout.dir });
    if (state.up && state.hosts.length === count) {
      emit({ step: "up", status: "skip", message: `lab is up: ${state.hosts.map((h) => `${h.name} ${h.address}`).join(", ")}` });
      return state;
    }
  }
  const releaseLock = acquireLabLock(layout.dir);
  try {
    return await bringUp(layout, count, hostSpec, serviceSpecs, hashes, Boolean(record), emit);
  } finally {
    releaseLock();
  }
}

async function bringUp(
  layout: LabLayout,
  count: number,
  hostSpec: ImageSpec,
  serviceSpecs: ImageSpec[],
  hashes: Record<string, string>,
  hadRecord: boolean,
  emit: LabEventSink,
): Promise<LabState> {
  // From here on the lab is not known to be complete until this run finishes.
  rmSync(layout.stateFile, { force: true });
  const t0 = Date.now();

  emit({ step: "check", status: "start", message: "checking the machine" });
  await installMissingPackages(emit);
  assertFreeSpace(layout.dir, hadRecord || existsSync(layout.engineDataRoot) ? WARM_FREE_BYTES : COLD_FREE_BYTES);
  await assertSubnetFree();
  emit({ step: "check", status: "done", message: "root, packages, disk space and subnet are fine" });

  const startedEngine = await startEngine(layout, emit);
  try {
    // A pipeline: once the base exists, the host image and the service images build (three at a time); the
    // hosts start as soon as the host image exists, and each service image travels to the hosts as soon as it
    // is built and saved, while the next ones build.
    const base = await ensureBaseImage(layout, emit);
    const builds = pLimit(3);
    const hostImage = builds(() => ensureImage(hostSpec, emit));
    await ensureLabSshKey(layout);
    removePartialTarballs(layout);
    const hosts = desiredHosts(count);
    const hostsReady = (async () => {
      const image = await hostImage;
      await ensureNetwork(emit);
      await ensureHosts(layout, count, image, emit);
      await Promise.all(hosts.map((h) => waitForHost(layout, h.name)));
    })();
    // One load at a time per host: loads share layers, and the disk is the bottleneck anyway.
    const hostQueues = new Map(hosts.map((h) => [h.name, pLimit(1)]));
    const deliver = async (image: BuiltImage): Promise<void> => {
      const saved = await saveImage(layout, image, emit);
      await hostsReady;
      await Promise.all(hosts.map((h) => hostQueues.get(h.name)!(() => loadImageOnHost(h.name, saved, emit))));
    };
    // The versions of one folder build one after the other, so the later ones reuse the first one's layers.
    const buildFolder = async (folderSpecs: ImageSpec[]): Promise<void> => {
      const deliveries: Promise<void>[] = [];
      for (const spec of folderSpecs) {
        const delivery = deliver(await builds(() => ensureImage(spec, emit)));
        delivery.catch(() => undefined); // awaited below; do not let it count as unhandled meanwhile
        deliveries.push(delivery);
      }
      await Promise.all(deliveries);
    };
    await Promise.all([hostsReady, deliver(base), ...groupByContext(serviceSpecs).map(buildFolder)]);
    // Images that lost their tag to a rebuild only take space.
    await runCommand(docker.pruneDanglingImages());

    writeFileAtomic(
      layout.knownHosts,
      renderKnownHosts(hosts.map((h) => ({ address: h.address, hostKey: readHostKey(layout, h.name) }))),
    );
    writeFileAtomic(layout.inventory, renderLabInventory({ hosts, key: layout.sshKey, knownHosts: layout.knownHosts }));
    emit({ step: "inventory", status: "done", message: `wrote ${layout.inventory} and ${layout.knownHosts}` });
    writeFileAtomic(layout.stateFile, `${JSON.stringify({ hosts: count, imageHashes: hashes } satisfies LabRecord, null, 2)}\n`);
  } catch (err) {
    // Leave nothing half-started: an engine this run started goes down again (caches stay for the next run).
    if (startedEngine) {
      await removeHosts((await listHosts().catch(() => [])).map((h) => h.name)).catch(() => undefined);
      await runCommand(docker.networkRemove());
      await stopEngine();
    }
    throw err;
  }
  const state = await labStatus({ dir: layout.dir });
  emit({ step: "up", status: "done", message: `lab is up with ${count} host(s)`, ms: Date.now() - t0 });
  return state;
}
