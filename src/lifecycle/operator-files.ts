// The files a role renders for the operator (role.yaml operatorFiles: a client's credentials), written into the
// deployment folder after a successful run, mode 0600 (they hold secrets).
import { join } from "node:path";
import type { DesiredState } from "../render/desired.js";
import { encryptedPathOf, encryptText } from "../secrets/encrypted.js";
import { writePrivateFileAtomically } from "../secrets/write-private-file.js";

export interface OperatorFile {
  service: string;
  path: string;
  content: string;
}

/** Each service's operator files as rendered for its first host in `desired`, with their paths under `dir`. Pure. */
export function operatorFilesOf(desired: DesiredState, dir: string): OperatorFile[] {
  const out = new Map<string, OperatorFile>();
  for (const h of desired.hosts.values()) {
    for (const s of h.services) {
      for (const f of s.operatorFiles ?? []) {
        const path = join(dir, f.dest);
        if (!out.has(path)) out.set(path, { service: s.name, path, content: f.content });
      }
    }
  }
  return [...out.values()];
}

/**
 * Writes them (atomically, 0600); returns what was written. A deployment whose passwords are encrypted gets its
 * operator files encrypted too (`clouds.yaml.age`, to the same recipients): no secret in plain text on its disk.
 */
export async function writeOperatorFiles(files: OperatorFile[], encryptTo?: string[]): Promise<OperatorFile[]> {
  const out: OperatorFile[] = [];
  for (const f of files) {
    const path = encryptTo ? encryptedPathOf(f.path) : f.path;
    writePrivateFileAtomically(path, encryptTo ? await encryptText(f.content, encryptTo) : f.content);
    out.push({ ...f, path });
  }
  return out;
}
