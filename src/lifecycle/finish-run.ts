// The last command a run sends to each host, folded into one round trip: lading's state file, the new revision
// files, the audit entries and the release of the deploy lock travel together over stdin (never argv: state
// and revisions hold secrets). The records are staged in a file first and applied only when the trailer
// says they all arrived, so a connection cut mid-way writes nothing and leaves the lock for --break-lock.
import { hostScript } from "../host-scripts/index.js";

export type FinishRecord =
  /** Replace a file atomically (rename), creating its folder. */
  | { kind: "write"; path: string; mode: string; content: string }
  /** Append to a file (the audit log), created 0600. */
  | { kind: "append"; path: string; content: string }
  /** Remove the lock file if it is still this run's (another run may have broken it). */
  | { kind: "release"; path: string; id: string };

// $1: lading's own folder (<config_dir>/.lading). Records on stdin, each "W mode path" / "A path" then one line
// of base64, or "U id path"; the last line is "E <number of records>", which only a whole payload ends with (no
// other line can be "E " and a number). A run that changes 20 hosts runs this on all of them at once, on hosts
// that share CPUs in the lab: it starts few processes (about ten for a state file, a revision, the audit entries
// and the release): folders are made only when missing, a new file is created private by the umask (chmod only
// for another mode), base64 reads a here-document (no printf | pipe), and the lock is read by the shell.
export const FINISH_SCRIPT = hostScript("finish-run.sh");

export function finishArgv(ladingDir: string): string[] {
  return ["sh", "-c", FINISH_SCRIPT, "lading-finish", ladingDir];
}

function checkPath(path: string): void {
  if (!path.startsWith("/") || /[\0-\x1f]/.test(path)) throw new Error(`a run's final record needs an absolute path without control characters, got ${JSON.stringify(path)}`);
}

/** The stdin of the final exec. Pure. */
export function finishPayload(records: FinishRecord[]): string {
  const lines: string[] = [];
  for (const r of records) {
    checkPath(r.path);
    if (r.kind === "write") {
      if (!/^[0-7]{3,4}$/.test(r.mode)) throw new Error(`mode must be octal, got ${r.mode}`);
      lines.push(`W ${r.mode} ${r.path}`, Buffer.from(r.content, "utf8").toString("base64"));
    } else if (r.kind === "append") lines.push(`A ${r.path}`, Buffer.from(r.content, "utf8").toString("base64"));
    else {
      if (!/^[A-Za-z0-9-]+$/.test(r.id)) throw new Error(`lock id must be a UUID, got ${r.id}`);
      lines.push(`U ${r.id} ${r.path}`);
    }
  }
  lines.push(`E ${records.length}`);
  return `${lines.join("\n")}\n`;
}
