// exec: a command in a service's container, on one host (-it: on a terminal) or on all of them (src/ops/exec.ts).
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { execExitCode, execInteractive, execOnHosts, execTargets, type LocalTerminal } from "../../ops/exec.js";
import { EXIT } from "../exit-codes.js";
import { withEngine, type EngineOptions } from "../engine-command.js";
import { colourWanted, hostPrefixer } from "../host-prefix.js";
import { withDeploymentOptions } from "../project-options.js";
import { serviceOnly } from "./logs.js";

interface ExecCliOptions extends EngineOptions {
  host?: string;
  all?: boolean;
  interactive?: boolean;
  tty?: boolean;
}

function processTerminal(): LocalTerminal {
  const stdin = process.stdin;
  const stdout = process.stdout;
  return {
    size: () => ({ rows: stdout.rows || 24, cols: stdout.columns || 80, term: process.env.TERM }),
    raw: () => {
      stdin.setRawMode(true);
      stdin.resume();
      return () => {
        stdin.setRawMode(false);
        stdin.pause();
      };
    },
    onInput: (fn) => {
      stdin.on("data", fn);
      return () => void stdin.off("data", fn);
    },
    onResize: (fn) => {
      const on = (): void => fn({ rows: stdout.rows, cols: stdout.columns });
      stdout.on("resize", on);
      return () => void stdout.off("resize", on);
    },
    write: (d) => void stdout.write(d),
  };
}

export function register(program: Command): void {
  withDeploymentOptions(program.command("exec"), { shortInventory: false })
    .description("run a command in a service's container: on one host (-it: interactively, on a terminal) or on every host (--all), with each host's exit code")
    .argument("<service>", "the service (as lading ps names it)")
    .argument("<command...>", "the command and its arguments, after -- (passed as argv: no shell on either side)")
    .option("--host <host>", "the host to run on (needed when the service runs on several and --all is not given)")
    .option("--all", "run on every host of the service, output prefixed by host; exit 1 if any host's command failed")
    .option("-i, --interactive", "keep stdin attached (with -t: -it)")
    .option("-t, --tty", "run on a terminal (with -i: -it)")
    .option("-l, --limit <pattern>", "only hosts matching the pattern")
    .option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts")
    .option("--keep-going", "go on with the reachable hosts when some are unreachable")
    .action(async (service: string, command: string[], opts: ExecCliOptions) => {
      const tty = !!(opts.interactive || opts.tty);
      if (tty && !(opts.interactive && opts.tty)) throw new InputError([{ file: opts.tty ? "--tty" : "--interactive", message: "an interactive exec needs both: -it" }]);
      if (tty && !process.stdin.isTTY) throw new InputError([{ file: "-it", message: "stdin is not a terminal (run without -it to run the command non-interactively)" }]);
      if (opts.host !== undefined && opts.all) throw new InputError([{ file: "--host", message: "give either --host or --all, not both" }]);
      await withEngine(
        "exec",
        { ...opts, forks: 10, service: [service] },
        async (ctx) => {
          const targets = execTargets(ctx.desired, service, { host: opts.host, all: opts.all, tty });
          if (tty) {
            const t = ctx.session.transports.get(targets[0]!.host)!;
            const r = await execInteractive(targets[0]!, command, t, processTerminal());
            if (r.error) process.stderr.write(`${r.host}: ${ctx.redact(r.error)}\n`);
            return execExitCode([r]);
          }
          const prefix = targets.length > 1 ? hostPrefixer(targets.map((t) => t.host), colourWanted()) : () => "";
          const results = await execOnHosts(targets, command, {
            transportOf: (h) => ctx.session.transports.get(h),
            forks: 10,
            onLine: (host, line, stream) => (stream === "stdout" ? process.stdout : process.stderr).write(`${prefix(host)}${ctx.redact(line)}\n`),
          });
          if (targets.length > 1) {
            for (const r of results) process.stderr.write(`${r.code === 0 ? "ok    " : "FAILED"} ${r.host}: exit ${r.code ?? "none"}${r.error ? ` (${ctx.redact(r.error)})` : ""}\n`);
            const failed = results.filter((r) => r.code !== 0);
            if (failed.length) process.stderr.write(`the command failed on ${failed.map((r) => r.host).join(", ")}\n`);
          } else if (results[0]?.error) process.stderr.write(`${results[0].host}: ${ctx.redact(results[0].error)}\n`);
          return execExitCode(results);
        },
        serviceOnly(service, opts.limit),
        { progressOut: process.stderr },
      );
    });
}
