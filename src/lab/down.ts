// `lab down`: removes the hosts and stops the engine; with purge, removes the whole lab directory too.
import { stopEngine, engineStatus } from "./engine.js";
import type { LabEvent, LabEventSink } from "./events.js";
import { docker } from "./docker.js";
import { listHosts, removeHosts } from "./hosts.js";
import { LAB_BRIDGE, LAB_RUN_DIR, labLayout, type LabLayout } from "./layout.js";
import { acquireLabLock } from "./lab-lock.js";
import { assertRoot } from "./prerequisites.js";
import { removeTree } from "./remove-tree.js";
import { runCommand } from "./run-command.js";
import { existsSync, rmSync } from "node:fs";
import { ip } from "./ip.js";

export interface LabDownOptions {
  /** Also remove every cache (the whole lab directory). */
  purge?: boolean;
  dir?: string;
  onEvent?: (event: LabEvent) => void;
}

export async function labDown(opts: LabDownOptions = {}): Promise<void> {
  const emit: LabEventSink = opts.onEvent ?? (() => {});
  const layout = labLayout(opts.dir);
  assertRoot();
  const releaseLock = acquireLabLock(layout.dir);
  try {
    await takeDown(layout, Boolean(opts.purge), emit);
  } finally {
    if (!opts.purge) releaseLock();
  }
}

async function takeDown(layout: LabLayout, purge: boolean, emit: LabEventSink): Promise<void> {
  const t0 = Date.now();
  // The record says "complete lab": it is not any more.
  rmSync(layout.stateFile, { force: true });
  const engine = await engineStatus();
  if (engine.running) {
    const hosts = (await listHosts()).map((h) => h.name);
    if (hosts.length > 0) {
      emit({ step: "down", status: "start", message: `removing ${hosts.join(", ")}` });
      await removeHosts(hosts);
    }
    // Removing the network removes its bridge and route: no trace of the lab subnet stays on the machine.
    await runCommand(docker.networkRemove());
  }
  const stopped = await stopEngine();
  // dockerd keeps the bridges of networks it did not remove: no trace of the lab subnet may stay behind.
  if (existsSync(`/sys/class/net/${LAB_BRIDGE}`)) await runCommand(ip.deleteBridge());
  emit({ step: "down", status: stopped ? "done" : "skip", message: stopped ? "lab engine stopped" : "lab engine was not running" });
  if (purge) {
    await removeTree(layout.dir);
    await removeTree(LAB_RUN_DIR);
    emit({ step: "down", status: "done", message: `removed ${layout.dir}` });
  }
  emit({ step: "down", status: "done", message: "lab is down", ms: Date.now() - t0 });
}
