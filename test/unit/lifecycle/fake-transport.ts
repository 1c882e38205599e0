// A transport that runs nothing: it records every command and file, and answers with a handler.
import type { ExecOptions, ExecResult, ExecStream, StreamOptions, FileToPut, PutFileOptions, Transport } from "../../../src/transport/index.js";
import { cliFormOfInspect, inspectJsonOf, inspectScriptNames } from "../gate-inspect-shim.js";

export interface Call {
  argv: string[];
  stdin?: string;
}

export class FakeTransport implements Transport {
  readonly calls: Call[] = [];
  readonly files = new Map<string, { content: string; mode: string; owner?: string }>();
  readonly stats = { connections: 1, execs: 0 };

  constructor(
    readonly host: string,
    private readonly answer: (argv: readonly string[], stdin: string | undefined, self: FakeTransport) => Partial<ExecResult> = () => ({}),
  ) {}

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.stats.execs++;
    const stdin = opts.stdin === undefined ? undefined : String(opts.stdin);
    const inspected = inspectScriptNames(argv);
    if (inspected) {
      // The gate's inspect script: recorded and answered in the docker CLI form (test/unit/gate-inspect-shim.ts).
      const shown = cliFormOfInspect(inspected);
      this.calls.push({ argv: shown, stdin });
      const a = this.answer(shown, stdin, this);
      return { code: 0, stdout: inspectJsonOf(inspected, a.code ? "" : (a.stdout ?? "")), stderr: "", durationMs: 1 };
    }
    this.calls.push({ argv: [...argv], stdin });
    return { code: 0, stdout: "", stderr: "", durationMs: 1, ...this.ownScript(argv, stdin), ...this.answer(argv, stdin, this) };
  }

  /** lading's lock and final-write scripts, as a host would answer them: the lock is free, the records land in `files`. */
  private ownScript(argv: readonly string[], stdin: string | undefined): Partial<ExecResult> {
    if (argv[3] === "lading-lock") return { stdout: argv[4] === "release" ? "RELEASED\n" : "TAKEN\n" };
    if (argv[3] !== "lading-finish") return {};
    const lines = (stdin ?? "").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const m = /^([WA]) (?:([0-7]+) )?(\/.*)$/.exec(lines[i]!);
      if (!m) continue;
      const content = Buffer.from(lines[++i] ?? "", "base64").toString("utf8");
      const before = m[1] === "A" ? (this.files.get(m[3]!)?.content ?? "") : "";
      this.files.set(m[3]!, { content: before + content, mode: m[2] ?? "0600" });
    }
    return { stdout: "DONE\n" };
  }

  async putFile(path: string, content: Buffer | string, opts: PutFileOptions): Promise<void> {
    this.stats.execs++;
    this.files.set(path, { content: String(content), mode: opts.mode, owner: opts.owner });
  }

  /** One round trip: the files, then the `then` command, recorded and answered as exec does. */
  async putFiles(files: FileToPut[], opts: { then?: readonly string[] } = {}): Promise<ExecResult | undefined> {
    this.stats.execs++;
    for (const f of files) this.files.set(f.path, { content: String(f.content), mode: f.opts.mode, owner: f.opts.owner });
    if (!opts.then) return undefined;
    this.calls.push({ argv: [...opts.then] });
    return { code: 0, stdout: "", stderr: "", durationMs: 1, ...this.answer(opts.then, undefined, this) };
  }

  /** Runs the command as exec does and delivers its whole answer as one chunk. */
  async stream(argv: readonly string[], opts: StreamOptions): Promise<ExecStream> {
    const r = await this.exec(argv, { become: opts.become });
    if (r.stdout) opts.onStdout(Buffer.from(r.stdout));
    if (r.stderr) opts.onStderr?.(Buffer.from(r.stderr));
    return { done: Promise.resolve({ code: r.code }), write: () => undefined, end: () => undefined, resize: () => undefined, stop: () => undefined };
  }

  async close(): Promise<void> {}

  /** Commands as single strings, for readable assertions (tests only: real quoting lives in the transport). */
  commands(): string[] {
    return this.calls.map((c) => c.argv.join(" "));
  }
}
