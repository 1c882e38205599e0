// A content hash of an image's build folder: file names, executable bits and contents, in a stable order.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function listFiles(root: string, dir: string = root): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const full = join(dir, e.name);
      if (e.isDirectory()) return listFiles(root, full);
      return e.isFile() ? [full] : [];
    });
}

/** sha256 of the folder's files, plus any extra strings (e.g. build args) that change the image. */
export function hashFolder(dir: string, extra: string[] = []): string {
  const h = createHash("sha256");
  for (const file of listFiles(dir)) {
    const executable = (statSync(file).mode & 0o111) !== 0;
    h.update(`${relative(dir, file)}\0${executable ? "x" : "-"}\0`);
    h.update(readFileSync(file));
    h.update("\0");
  }
  for (const e of extra) h.update(`extra\0${e}\0`);
  return h.digest("hex");
}
