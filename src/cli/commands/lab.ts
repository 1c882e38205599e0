// `lading lab ...`: the local test lab. Parses options, calls the lab library, prints its events.
import type { Command } from "commander";
import { countOption } from "../option-parsers.js";
import {
  labCutHost,
  labDown,
  labExec,
  labHealHost,
  labStartHost,
  labStatus,
  labStopHost,
  labUp,
  type LabEvent,
  type LabState,
} from "../../lab/index.js";


function formatEvent(e: LabEvent): string {
  const mark = e.status === "start" ? "..." : e.status === "done" ? "ok " : "-- ";
  const took = e.ms !== undefined ? ` (${(e.ms / 1000).toFixed(1)}s)` : "";
  return `${mark} ${e.step.padEnd(9)} ${e.message}${took}\n`;
}

function eventPrinter(json: boolean): (e: LabEvent) => void {
  return json
    ? (e) => process.stdout.write(`${JSON.stringify({ event: e })}\n`)
    : (e) => process.stdout.write(formatEvent(e));
}

function printState(state: LabState): void {
  const engine = state.engine.running ? `running (pid ${state.engine.pid}, dockerd ${state.engine.version})` : "stopped";
  process.stdout.write(`lab dir:   ${state.dir}\nengine:    ${engine}\n`);
  if (state.hosts.length === 0) process.stdout.write("hosts:     none\n");
  for (const h of state.hosts) {
    const s = !h.running ? "stopped" : h.connected ? "running" : "running, cut off the network";
    process.stdout.write(`  ${h.name.padEnd(6)} ${h.address.padEnd(12)} ${s}\n`);
  }
  if (state.up) process.stdout.write(`inventory: ${state.inventory}\n`);
}

export function register(program: Command): void {
  const lab = program.command("lab").description("A local multi-host test lab: Debian hosts with sshd and Docker, as containers");

  lab
    .command("up")
    .description("Install what is missing, build the images and start the lab hosts (a no-op when the lab is up)")
    .option("--hosts <n>", "number of hosts (lab1..labN at 10.98.0.11..)", countOption("--hosts"), 3)
    .option("--json", "print events and the final state as JSON lines")
    .action(async (o: { hosts: number; json?: boolean }) => {
      const state = await labUp({ hosts: o.hosts, onEvent: eventPrinter(Boolean(o.json)) });
      if (o.json) process.stdout.write(`${JSON.stringify({ state })}\n`);
      else printState(state);
    });

  lab
    .command("down")
    .description("Remove the lab hosts and stop the lab engine (caches stay)")
    .option("--purge", "also remove every cache: the whole lab directory")
    .option("--json", "print events as JSON lines")
    .action(async (o: { purge?: boolean; json?: boolean }) => {
      await labDown({ purge: Boolean(o.purge), onEvent: eventPrinter(Boolean(o.json)) });
    });

  lab
    .command("status")
    .description("Show the lab engine, hosts and addresses")
    .option("--json", "print the state as JSON")
    .action(async (o: { json?: boolean }) => {
      const state = await labStatus();
      if (o.json) process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
      else printState(state);
    });

  const hostCommand = (name: string, description: string, run: (host: string) => Promise<void>) =>
    lab
      .command(`${name} <host>`)
      .description(description)
      .action(async (host: string) => {
        await run(host);
        process.stdout.write(`${name}: ${host}\n`);
      });
  hostCommand("stop", "Stop a lab host", labStopHost);
  hostCommand("start", "Start a stopped lab host and wait until it is ready", (h) => labStartHost(h));
  hostCommand("cut", "Disconnect a lab host from the lab network (a partition)", labCutHost);
  hostCommand("heal", "Reconnect a cut lab host with its address", labHealHost);

  lab
    .command("exec <host> <command...>")
    .description("Run a command inside a lab host through the engine: lading lab exec lab1 -- ip -4 addr")
    .action(async (host: string, command: string[]) => {
      const r = await labExec(host, command);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
}
