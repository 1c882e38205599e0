// What `lab up` needs from the machine before it starts anything: root, the Debian packages, free disk,
// and a subnet nobody else uses. Each check throws a LabError that says what is missing and how to fix it.
import { accessSync, constants, mkdirSync, readdirSync, statfsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { LabError } from "../errors.js";
import type { LabEventSink } from "./events.js";
import { LAB_SUBNET } from "./layout.js";
import { ip } from "./ip.js";
import { runCommand } from "./run-command.js";
import { findSubnetConflicts, type IpLink, type IpRoute } from "./subnet-conflicts.js";

/** A program the lab runs, and the Debian package that provides it. */
export interface RequiredProgram {
  program: string;
  debianPackage: string;
}

export const REQUIRED_PROGRAMS: RequiredProgram[] = [
  { program: "dockerd", debianPackage: "docker.io" },
  { program: "docker", debianPackage: "docker.io" },
  { program: "runc", debianPackage: "runc" },
  { program: "debootstrap", debianPackage: "debootstrap" },
  { program: "ip", debianPackage: "iproute2" },
  { program: "ssh-keygen", debianPackage: "openssh-client" },
  { program: "jq", debianPackage: "jq" },
];

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The full path of a program on PATH (plus the sbin folders a non-login root shell may lack). */
export function findProgram(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SYSTEM_PATH];
  for (const dir of dirs) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function missingPackages(find: (program: string) => string | undefined = findProgram): string[] {
  const packages = REQUIRED_PROGRAMS.filter((p) => !find(p.program)).map((p) => p.debianPackage);
  return [...new Set(packages)];
}

export function assertRoot(uid: number | undefined = process.getuid?.()): void {
  if (uid !== undefined && uid !== 0) {
    throw new LabError(
      "the lab must run as root (it starts its own Docker engine and privileged host containers); run `sudo lading lab up`",
    );
  }
}

function aptListsPresent(): boolean {
  try {
    return readdirSync("/var/lib/apt/lists").some((f) => f.endsWith("_Packages") || f.includes("_Packages."));
  } catch {
    return false;
  }
}

/** Installs the missing Debian packages non-interactively (apt-get update first when the lists are empty). */
export async function installMissingPackages(emit: LabEventSink): Promise<void> {
  const missing = missingPackages();
  if (missing.length === 0) {
    emit({ step: "install", status: "skip", message: "required programs are installed" });
    return;
  }
  if (!findProgram("apt-get")) {
    throw new LabError(`missing Debian packages ${missing.join(", ")} and no apt-get to install them: install them, then retry`);
  }
  const t0 = Date.now();
  emit({ step: "install", status: "start", message: `installing ${missing.join(", ")}` });
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = ["apt-get", "install", "-y", "--no-install-recommends", ...missing];
  const update = ["apt-get", "update"];
  if (!aptListsPresent()) await runCommand(update, { env });
  let r = await runCommand(install, { env });
  if (r.code !== 0) {
    // Stale package lists are the usual reason: refresh them once and retry.
    await runCommand(update, { env });
    r = await runCommand(install, { env });
  }
  if (r.code !== 0) {
    throw new LabError(
      `could not install ${missing.join(", ")} with apt-get (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-5).join("\n")}\n` +
        `install them yourself (apt-get install ${missing.join(" ")}), then retry`,
    );
  }
  const still = missingPackages();
  if (still.length > 0) throw new LabError(`installed packages but still missing: ${still.join(", ")}`);
  emit({ step: "install", status: "done", message: `installed ${missing.join(", ")}`, ms: Date.now() - t0 });
}

/** Fails when the file system of `dir` has fewer than `bytes` free. */
export function assertFreeSpace(dir: string, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  if (free < bytes) {
    const gib = (n: number) => (n / 2 ** 30).toFixed(1);
    throw new LabError(
      `not enough free disk space for the lab in ${dir}: ${gib(free)} GiB free, ${gib(bytes)} GiB needed; ` +
        `free some space or point LADING_LAB_DIR at a larger disk`,
    );
  }
}

/** Fails when something other than the lab's own bridge routes or holds 10.98.0.0/24. */
export async function assertSubnetFree(): Promise<void> {
  const routes = await runCommand(ip.routes());
  const addrs = await runCommand(ip.addresses());
  if (routes.code !== 0 || addrs.code !== 0) throw new LabError("could not read the routing table with `ip -j` (iproute2)");
  const conflicts = findSubnetConflicts(
    LAB_SUBNET,
    JSON.parse(routes.stdout || "[]") as IpRoute[],
    JSON.parse(addrs.stdout || "[]") as IpLink[],
  );
  if (conflicts.length > 0) {
    throw new LabError(
      `the lab subnet ${LAB_SUBNET} is already in use on this machine (${conflicts.join("; ")}); ` +
        `remove that route or address (or stop what owns it), then retry`,
    );
  }
}
