// The lab's SSH key pair: authorized for root on every lab host.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import type { LabLayout } from "./layout.js";
import { runOrThrow } from "./run-command.js";

export async function ensureLabSshKey(layout: LabLayout): Promise<void> {
  mkdirSync(layout.sshDir, { recursive: true, mode: 0o700 });
  if (existsSync(layout.sshKey) && existsSync(layout.sshPublicKey)) return;
  // Half-written by an interrupted run: make a new pair.
  rmSync(layout.sshKey, { force: true });
  rmSync(layout.sshPublicKey, { force: true });
  await runOrThrow(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lading-lab", "-f", layout.sshKey], "making the lab SSH key");
}
