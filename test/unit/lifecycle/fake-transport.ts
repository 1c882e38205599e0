// A transport that runs nothing: it records every command and file, and answers with a handler.
import type { ExecOptions, ExecResult, PutFileOptions, Transport } from "../../../src/transport/index.js";

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
    this.calls.push({ argv: [...argv], stdin });
    return { code: 0, stdout: "", stderr: "", durationMs: 1, ...this.answer(argv, stdin, this) };
  }

  async putFile(path: string, content: Buffer | string, opts: PutFileOptions): Promise<void> {
    this.stats.execs++;
    this.files.set(path, { content: String(content), mode: opts.mode, owner: opts.owner });
  }

  async close(): Promise<void> {}

  /** Commands as single strings, for readable assertions (tests only: real quoting lives in the transport). */
  commands(): string[] {
    return this.calls.map((c) => c.argv.join(" "));
  }
}
