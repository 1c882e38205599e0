// Failure-test controls of single hosts: stop, start, cut from the network, heal, and exec inside.
import { LabError } from "../errors.js";
import { docker } from "./docker.js";
import { engineStatus } from "./engine.js";
import { listHosts, setHostCable, waitForHost, type LabHost } from "./hosts.js";
import { labLayout } from "./layout.js";
import { runCommand, runOrThrow, type CommandResult } from "./run-command.js";

async function findHost(name: string): Promise<LabHost> {
  if (!(await engineStatus()).running) throw new LabError("the lab is not up: run `lading lab up` first");
  const hosts = await listHosts();
  const host = hosts.find((h) => h.name === name);
  if (!host) {
    throw new LabError(`no lab host named "${name}" (hosts: ${hosts.map((h) => h.name).join(", ") || "none"})`);
  }
  return host;
}

/** Stops a host (its container; its sshd and engine stop with it). */
export async function labStopHost(name: string): Promise<void> {
  await findHost(name);
  await runOrThrow(docker.stop([name]), `stopping ${name}`);
}

/** Starts a stopped host and waits until its sshd key and engine are ready. */
export async function labStartHost(name: string, opts: { dir?: string } = {}): Promise<void> {
  await findHost(name);
  await runOrThrow(docker.start(name), `starting ${name}`);
  await waitForHost(labLayout(opts.dir), name);
}

/** Cuts a host off the lab network (a partition): its cable to the lab bridge is pulled; it keeps running. */
export async function labCutHost(name: string): Promise<void> {
  const host = await findHost(name);
  if (!host.running) throw new LabError(`${name} is stopped: start it before cutting it off`);
  if (host.connected) await setHostCable(name, "down");
}

/** Plugs a cut host back into the lab network. */
export async function labHealHost(name: string): Promise<void> {
  const host = await findHost(name);
  if (!host.running) throw new LabError(`${name} is stopped: \`lading lab start ${name}\` brings it back connected`);
  if (!host.connected) await setHostCable(name, "up");
}

/** Runs argv inside a host through the engine (not over the network); resolves with exit code and output. */
export async function labExec(name: string, argv: string[], opts: { input?: string } = {}): Promise<CommandResult> {
  await findHost(name);
  return runCommand(docker.exec(name, argv, { stdin: opts.input !== undefined }), { input: opts.input });
}
