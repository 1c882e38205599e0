// Writes files of secrets so that no reader ever sees them half-written or readable by others.
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** Owner read/write only: what ssh and lading ask of a file of secrets. */
export const PRIVATE_MODE = 0o600;

/**
 * Replaces `file` with `text` atomically: a temporary file in the same directory (so rename stays on one
 * filesystem), created 0600 before any byte is written, synced, then renamed over the target.
 */
export function writePrivateFileAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", PRIVATE_MODE);
  try {
    try {
      // The umask may have removed bits from the create mode; set exactly 0600.
      fchmodSync(fd, PRIVATE_MODE);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or never created: nothing to clean.
    }
    throw err;
  }
}

/** True when group or others may read, write or execute the file (`mode` as from stat). */
export function isLooserThanPrivate(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/** `0644`: a mode as people write it. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}
