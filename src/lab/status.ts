// What the lab looks like right now: engine, hosts, and the files it wrote.
import { existsSync } from "node:fs";
import { engineStatus, type EngineState } from "./engine.js";
import { listHosts, type LabHost } from "./hosts.js";
import { labLayout, type LabLayout } from "./layout.js";

export interface LabState {
  dir: string;
  engine: EngineState;
  hosts: LabHost[];
  /** Paths users and tests need; they exist once `lab up` succeeded. */
  inventory: string;
  sshKey: string;
  knownHosts: string;
  /** True when the last `lab up` completed and the engine and every host run, connected. */
  up: boolean;
}

export async function labStatus(opts: { dir?: string } = {}): Promise<LabState> {
  const layout: LabLayout = labLayout(opts.dir);
  const engine = await engineStatus();
  const hosts = engine.running ? (await listHosts()).map(({ extraHosts: _, ...h }) => h) : [];
  return {
    dir: layout.dir,
    engine,
    hosts,
    inventory: layout.inventory,
    sshKey: layout.sshKey,
    knownHosts: layout.knownHosts,
    up: engine.running && hosts.length > 0 && hosts.every((h) => h.running && h.connected) && existsSync(layout.stateFile),
  };
}
