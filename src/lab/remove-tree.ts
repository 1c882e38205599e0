// Removes a folder tree that may still have file systems mounted under it (a killed debootstrap leaves proc
// and sys mounted in its rootfs; a killed engine may leave overlay mounts): unmount first, never delete
// through a mount.
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { runCommand } from "./run-command.js";

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string, mountsText: string = readFileSync("/proc/self/mounts", "utf8")): string[] {
  return mountsText
    .split("\n")
    .map((l) => (l.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function removeTree(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await runCommand(["umount", "--lazy", m]);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
