import assert from "node:assert/strict";
import { InputError } from "../../../src/errors.js";
import { LineSplitter, logsArgv, mergeLogLines, parseLogLine, parseLogsQuery, runLogs, type LogsNotice } from "../../../src/ops/logs.js";
import type { ExecStream, StreamOptions, Transport } from "../../../src/transport/index.js";
import { HostError } from "../../../src/errors.js";
import { runCli } from "../run-cli.js";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.problems.map((p) => `${p.file}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("logs options", () => {
  it("rejects a bad --since, --tail or --grep naming each option, exit 3, before reading the deployment", async () => {
    for (const [args, option] of [
      [["--since", "10 minutes"], "--since"],
      [["--tail", "-5"], "--tail"],
      [["--grep", "([a"], "--grep"],
    ] as const) {
      const r = await runCli(["logs", "mariadb", "-d", "/nonexistent/lading-deployment", ...args]);
      assert.equal(r.code, 3, `${option}: ${r.err}`);
      assert.match(r.err, new RegExp(`^error: ${option}: `, "m"));
      assert.doesNotMatch(r.err, /nonexistent/, "refused before the deployment is read");
    }
    assert.match(problemsOf(() => parseLogsQuery({ grep: "([a" }))[0]!, /^--grep: not a regular expression/);
  });
  it("builds docker logs --timestamps with since, tail and follow", () => {
    const q = parseLogsQuery({ since: 90_000, tail: 20, follow: true });
    assert.deepEqual(logsArgv("mariadb", q), ["docker", "logs", "--timestamps", "--since", "90s", "--tail", "20", "--follow", "mariadb"]);
    assert.deepEqual(logsArgv("mariadb", q, { sinceIso: "2026-01-01T00:00:00.5Z" }), ["docker", "logs", "--timestamps", "--since", "2026-01-01T00:00:00.5Z", "--follow", "mariadb"]);
  });
});

describe("log merge", () => {
  it("parses docker's timestamps (nanoseconds, trailing zeros trimmed) and orders lines of several hosts by them", () => {
    const a = ["2026-01-01T00:00:01.5Z a1", "2026-01-01T00:00:03Z a2", "no stamp after a2"].map((l) => parseLogLine("lab1", l));
    const b = ["2026-01-01T00:00:01.25Z b1", "2026-01-01T00:00:02.999999999Z b2", "2026-01-01T00:00:03Z b3"].map((l) => parseLogLine("lab2", l));
    assert.equal(a[0]!.text, "a1");
    assert.equal(a[0]!.at! - b[0]!.at!, 250_000_000n);
    assert.deepEqual(
      mergeLogLines([a, b]).map((l) => l.text),
      ["b1", "a1", "b2", "a2", "no stamp after a2", "b3"],
    );
  });
  it("splits chunks into lines across chunk boundaries", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push("one\ntw");
    s.push("o\r\nthree");
    s.flush();
    assert.deepEqual(lines, ["one", "two", "three"]);
  });
});

/** A host whose `docker logs -f` answers from a script: each attach gets the next entry. */
class ScriptedHost implements Partial<Transport> {
  attaches: string[][] = [];
  inspects = 0;
  constructor(
    readonly host: string,
    private readonly script: ({ lines: string[]; end: "stop" | "drop" | "hang" } | "refuse")[],
  ) {}
  async stream(argv: readonly string[], opts: StreamOptions): Promise<ExecStream> {
    this.attaches.push([...argv]);
    const next = this.script.shift();
    if (!next || next === "refuse") throw new HostError(this.host, "connection refused");
    for (const l of next.lines) opts.onStdout(Buffer.from(`${l}\n`));
    let release: () => void = () => undefined;
    const done =
      next.end === "stop"
        ? Promise.resolve({ code: 0 })
        : next.end === "hang"
          ? new Promise<{ code: number | null; signal?: string }>((r) => (release = () => r({ code: null, signal: "HUP" })))
          : Promise.reject(new HostError(this.host, "connection lost"));
    done.catch(() => undefined);
    return { done, write: () => undefined, end: () => undefined, resize: () => undefined, stop: () => release() };
  }
  async exec(): Promise<{ code: number; stdout: string; stderr: string; durationMs: number }> {
    this.inspects++;
    return { code: 0, stdout: "true 2026-01-01T00:01:00Z\n", stderr: "", durationMs: 1 };
  }
}

describe("logs -f", () => {
  it("re-attaches after a restart without repeating lines, says so, reconnects after a drop, and ends when stopped", async () => {
    const h = new ScriptedHost("lab1", [
      { lines: ["2026-01-01T00:00:01Z before", "2026-01-01T00:00:02Z last before restart"], end: "stop" },
      { lines: ["2026-01-01T00:00:02Z last before restart", "2026-01-01T00:01:00Z after restart"], end: "drop" },
      "refuse",
      { lines: ["2026-01-01T00:01:00Z after restart", "2026-01-01T00:02:00Z after reconnect"], end: "hang" },
    ]);
    const out: string[] = [];
    const notices: LogsNotice["kind"][] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let reconnects = 0;
    await runLogs({
      targets: [{ host: "lab1", container: "mariadb" }],
      query: parseLogsQuery({ follow: true }),
      transportOf: () => h as unknown as Transport,
      reconnect: async () => {
        reconnects++;
        if (reconnects === 1) throw new HostError("lab1", "still down");
        return h as unknown as Transport;
      },
      onLine: (l) => {
        out.push(l.text);
        if (l.text === "after reconnect") stop();
      },
      onNotice: (n) => notices.push(n.kind),
      stopped,
      reorderMs: 5,
      pollMs: 1,
      sleep: () => new Promise((r) => setTimeout(r, 1)),
    });
    assert.deepEqual(out, ["before", "last before restart", "after restart", "after reconnect"]);
    assert.deepEqual(notices, ["stopped", "back", "dropped", "reconnected", "dropped", "reconnected"]);
    assert.equal(reconnects, 3, "a failed attempt (backoff), a new connection that refused the command, then one that works");
    assert.equal(h.attaches[1]![h.attaches[1]!.indexOf("--since") + 1], "2026-01-01T00:00:02Z", "resumed from the last line's time");
  });
});
