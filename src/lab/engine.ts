// The lab's own Docker engine: started detached with its own socket, data root, exec root and pid file.
import { spawn } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LabError } from "../errors.js";
import { needsRuntimeWrapper } from "./capabilities.js";
import { docker, dockerdArgv } from "./docker.js";
import type { LabEventSink } from "./events.js";
import { LAB_EXEC_ROOT, LAB_PID_FILE, LAB_RUN_DIR, LAB_SOCKET, hostImageContext, type LabLayout } from "./layout.js";
import { findProgram } from "./prerequisites.js";
import { runCommand } from "./run-command.js";

export interface EngineState {
  running: boolean;
  pid?: number;
  version?: string;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a live dockerd serving our socket (not some other process that reused the pid). */
function isOurDockerd(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return (cmdline[0] ?? "").endsWith("dockerd") && cmdline.includes(`unix://${LAB_SOCKET}`);
  } catch {
    return false;
  }
}

/** The pid of our running dockerd, if any (from the pid file, checked against /proc). */
export function enginePid(): number | undefined {
  const pid = readPid(LAB_PID_FILE);
  return pid !== undefined && isOurDockerd(pid) ? pid : undefined;
}

/** Whether anything accepts connections on the socket. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function engineStatus(): Promise<EngineState> {
  const pid = enginePid();
  if (pid === undefined) return { running: false };
  const r = await runCommand(docker.serverVersion(), { timeoutMs: 10_000 });
  return r.code === 0 ? { running: true, pid, version: r.stdout.trim() } : { running: false, pid };
}

/**
 * Starts the engine unless it runs already. Stale pid files and sockets of a killed engine are removed;
 * a socket held by another process is an error. Returns whether this call started it.
 */
export async function startEngine(layout: LabLayout, emit: LabEventSink): Promise<boolean> {
  const state = await engineStatus();
  if (state.running) {
    emit({ step: "engine", status: "skip", message: `lab engine already running (pid ${state.pid}, dockerd ${state.version})` });
    return false;
  }
  if (state.pid !== undefined) {
    // Our dockerd lives but does not answer: give it a moment (it may be starting), else replace it.
    if (await waitForEngine(15_000)) {
      emit({ step: "engine", status: "skip", message: `lab engine already running (pid ${state.pid})` });
      return false;
    }
    await stopEngine();
  }
  const t0 = Date.now();
  emit({ step: "engine", status: "start", message: "starting the lab's Docker engine" });
  rmSync(LAB_PID_FILE, { force: true });
  if (existsSync(LAB_SOCKET)) {
    if (await socketAnswers(LAB_SOCKET)) {
      throw new LabError(
        `the lab engine socket ${LAB_SOCKET} is held by another process (not the lab's dockerd); ` +
          `stop that process (see \`ss -xlp | grep ${LAB_SOCKET}\`), then retry`,
      );
    }
    rmSync(LAB_SOCKET, { force: true });
  }
  const dockerd = findProgram("dockerd");
  if (!dockerd) throw new LabError("dockerd is not installed: apt-get install docker.io (or run `lading lab up` as root to install it)");
  mkdirSync(LAB_RUN_DIR, { recursive: true, mode: 0o700 });
  mkdirSync(layout.engineDataRoot, { recursive: true, mode: 0o700 });

  let runtimeWrapper: string | undefined;
  if (needsRuntimeWrapper()) {
    copyFileSync(join(hostImageContext, "lading-runc"), layout.runtimeWrapper);
    chmodSync(layout.runtimeWrapper, 0o755);
    runtimeWrapper = layout.runtimeWrapper;
  }
  const argv = dockerdArgv({
    dockerd,
    socket: LAB_SOCKET,
    dataRoot: layout.engineDataRoot,
    execRoot: LAB_EXEC_ROOT,
    pidFile: LAB_PID_FILE,
    runtimeWrapper,
  });
  const log = openSync(layout.engineLog, "a");
  const [file, ...args] = argv as [string, ...string[]];
  // Detached in its own session: the engine outlives this lading process (lab down stops it).
  const child = spawn(file, args, { detached: true, stdio: ["ignore", log, log] });
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  child.unref();
  closeSync(log);

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && exited === undefined) {
    if ((await runCommand(docker.serverVersion(), { timeoutMs: 5_000 })).code === 0) {
      emit({ step: "engine", status: "done", message: `lab engine started (pid ${child.pid})`, ms: Date.now() - t0 });
      return true;
    }
    await sleep(250);
  }
  if (exited === undefined && child.pid) process.kill(child.pid, "SIGKILL");
  throw new LabError(`the lab's dockerd did not start (see ${layout.engineLog}):\n${tailOf(layout.engineLog, 10)}`);
}

async function waitForEngine(ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await runCommand(docker.serverVersion(), { timeoutMs: 5_000 })).code === 0) return true;
    await sleep(500);
  }
  return false;
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops our dockerd (SIGTERM, then SIGKILL after 30 s). Returns whether one was running. */
export async function stopEngine(): Promise<boolean> {
  const pid = enginePid();
  if (pid === undefined) {
    rmSync(LAB_PID_FILE, { force: true });
    return false;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) process.kill(pid, "SIGKILL");
  while (alive(pid)) await sleep(100);
  rmSync(LAB_PID_FILE, { force: true });
  return true;
}
