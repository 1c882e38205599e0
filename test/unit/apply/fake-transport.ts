// A fake Transport for the applier's unit tests: it answers each command from a script and keeps a shared
// log of everything every host was asked to do, in order.
import type { ExecOptions, ExecResult, ExecStream, StreamOptions, FileToPut, PutFileOptions, Transport, TransportStats } from "../../../src/transport/index.js";
import { cliFormOfInspect, inspectJsonOf, inspectScriptNames } from "../gate-inspect-shim.js";

export type Answer = Partial<Pick<ExecResult, "code" | "stdout" | "stderr">>;
/** Returns an answer for the command, or undefined to fall through to the default (exit 0, no output). */
export type Responder = (host: string, argv: readonly string[], stdin?: string) => Answer | undefined;

export class FakeTransport implements Transport {
  readonly stats: TransportStats = { connections: 1, execs: 0 };
  constructor(
    readonly host: string,
    private readonly log: string[],
    private readonly respond: Responder,
    /** Files as putFile left them. */
    readonly files: Map<string, { content: string; mode: string; owner?: string }> = new Map(),
    /** How long each command takes (none by default), for tests of what runs at the same time. */
    private readonly delayOf: (argv: readonly string[]) => number = () => 0,
  ) {}

  private async wait(argv: readonly string[]): Promise<void> {
    const ms = this.delayOf(argv);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.stats.execs++;
    await this.wait(argv);
    const stdin = opts.stdin === undefined ? undefined : String(opts.stdin);
    const inspected = inspectScriptNames(argv);
    if (inspected) {
      const shown = cliFormOfInspect(inspected);
      this.log.push(`${this.host}: ${shown.join(" ")}`);
      const a = this.respond(this.host, shown, stdin) ?? {};
      return { code: 0, stdout: inspectJsonOf(inspected, a.code ? "" : (a.stdout ?? "")), stderr: "", durationMs: 1 };
    }
    this.log.push(`${this.host}: ${argv.join(" ")}`);
    const a = this.respond(this.host, argv, stdin) ?? {};
    return { code: a.code ?? 0, stdout: a.stdout ?? "", stderr: a.stderr ?? "", durationMs: 1 };
  }

  async putFile(path: string, content: Buffer | string, opts: PutFileOptions): Promise<void> {
    this.stats.execs++;
    this.log.push(`${this.host}: put ${path} ${opts.mode}`);
    this.files.set(path, { content: String(content), mode: opts.mode, owner: opts.owner });
  }

  /** One round trip; each file is logged as putFile logs it, then the `then` command as exec logs it. */
  async putFiles(files: FileToPut[], opts: { then?: readonly string[] } = {}): Promise<ExecResult | undefined> {
    this.stats.execs++;
    await this.wait(["put", ...files.map((f) => f.path)]);
    for (const f of files) {
      this.log.push(`${this.host}: put ${f.path} ${f.opts.mode}`);
      this.files.set(f.path, { content: String(f.content), mode: f.opts.mode, owner: f.opts.owner });
    }
    if (!opts.then) return undefined;
    this.log.push(`${this.host}: ${opts.then.join(" ")}`);
    const a = this.respond(this.host, opts.then) ?? {};
    return { code: a.code ?? 0, stdout: a.stdout ?? "", stderr: a.stderr ?? "", durationMs: 1 };
  }

  /** Runs the command as exec does and delivers its whole answer as one chunk. */
  async stream(argv: readonly string[], opts: StreamOptions): Promise<ExecStream> {
    const r = await this.exec(argv, { become: opts.become });
    if (r.stdout) opts.onStdout(Buffer.from(r.stdout));
    if (r.stderr) opts.onStderr?.(Buffer.from(r.stderr));
    return { done: Promise.resolve({ code: r.code }), write: () => undefined, end: () => undefined, resize: () => undefined, stop: () => undefined };
  }

  async close(): Promise<void> {}
}

/** Commands of the log that are not gate polls or inspections, for order assertions. */
export function actions(log: string[]): string[] {
  return log.filter((l) => !/docker inspect|timeout 3 bash|ip -o addr|mysql --batch|cluster_status|state\.json/.test(l));
}
