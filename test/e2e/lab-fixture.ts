// The shared end-to-end lab: brought up once per test process (3 hosts) and reused by every e2e file.
// Never torn down here: the CI script runs `lading lab down` at the end, so the next run starts warm.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { labUp, type LabEvent, type LabState } from "../../src/lab/index.js";
import { serviceImagesDir } from "../../src/lab/layout.js";
import { packageRoot } from "../../src/paths.js";

/** Test-only image folders (a minimal memcached), used only where lab/images lacks the service. */
export const fixtureImagesDir = join(packageRoot, "test", "fixtures", "lab-images");
export const labImageDirs = [serviceImagesDir, fixtureImagesDir];
// The same folders for every `lab up` of the test run, in this process and in the `lading` it spawns, so
// that one of them finds the lab up as another left it.
process.env.LADING_LAB_IMAGE_DIRS = labImageDirs.join(":");

/** Every event of the fixture's `lab up`, for tests that look at what it did. */
export const labUpEvents: LabEvent[] = [];

let pending: Promise<LabState> | undefined;

export function ensureLab(): Promise<LabState> {
  pending ??= labUp({
    hosts: 3,
    imageDirs: labImageDirs,
    onEvent: (e) => {
      labUpEvents.push(e);
      if (process.env.LADING_E2E_VERBOSE) process.stderr.write(`    [lab] ${e.status} ${e.step} ${e.message}\n`);
    },
  });
  return pending;
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a fixed command on a lab host with the OpenSSH client, verifying the host key against `knownHosts`.
 * `remoteCommand` is a constant written in the test (ssh hands it to the remote shell as it is).
 */
export function sshRun(state: LabState, address: string, remoteCommand: string, opts: { knownHosts?: string } = {}): Promise<SshResult> {
  const argv = [
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${opts.knownHosts ?? state.knownHosts}`,
    "-o", "ConnectTimeout=5",
    "-o", "LogLevel=ERROR",
    "-i", state.sshKey,
    `root@${address}`,
    remoteCommand,
  ];
  return new Promise((resolve) => {
    const child = spawn("ssh", argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 255, stdout, stderr }));
  });
}
