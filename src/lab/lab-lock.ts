// One `lab up`/`lab down` at a time per lab directory: a lock file holding the pid of the lading that runs.
import { openSync, closeSync, readFileSync, rmSync, writeSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "../errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the lock (a stale lock of a killed run is taken over) and returns its release. */
export function acquireLabLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new LabError(`another lading (pid ${holder}) is working on the lab in ${dir}; wait for it to finish`);
      }
      rmSync(file, { force: true }); // left by a killed run
    }
  }
  throw new LabError(`could not take the lab lock ${file}`);
}
