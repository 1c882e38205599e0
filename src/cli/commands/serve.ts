// `lading serve`: the HTTP API (OpenAPI at /api/openapi.json) and the web console of a deployment, on the core the
// other commands run (src/serve/). It prints where it listens and where the token is (never the token), then
// serves until Ctrl-C or SIGTERM.
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { OPENAPI_PATH } from "../../serve/openapi.js";
import { createServer } from "../../serve/server.js";
import { loadToken } from "../../serve/token.js";
import { withDeploymentOptions, type DeploymentOptions } from "../project-options.js";
import { countOption } from "../option-parsers.js";
import { DEFAULT_MAX_HANDSHAKES } from "../../transport/index.js";

export const DEFAULT_LISTEN = "127.0.0.1:7717";

interface ServeCommandOptions extends DeploymentOptions {
  dir: string;
  listen: { host: string; port: number };
  tokenFile?: string;
  forks: number;
  maxHandshakes: number;
}

export function register(program: Command): void {
  withDeploymentOptions(program.command("serve"))
    .description("serve the deployment's HTTP API (OpenAPI at /api/openapi.json) and web console: parameters, validate, edits, plan, runs with a live timeline, history, lock, check")
    .option("--listen <host:port>", "address and port to listen on (a non-loopback address exposes the API to the network: put TLS in front)", listenOption, listenOption(DEFAULT_LISTEN))
    .option("--token-file <file>", "the bearer token, in a file of mode 0600 (default: .lading/serve-token of the deployment, generated at the first start)")
    .option("-f, --forks <n>", "hosts worked on at once by a run", countOption("--forks"), 10)
    .option("--max-handshakes <n>", "SSH connections being opened at once", countOption("--max-handshakes"), DEFAULT_MAX_HANDSHAKES)
    .action(async (opts: ServeCommandOptions) => {
      const token = loadToken({ dir: opts.dir, tokenFile: opts.tokenFile });
      const { app, service } = await createServer({
        deployment: { dir: opts.dir, inventory: opts.inventory, passwords: opts.passwords, roles: opts.roles, environment: opts.environment, secretsKey: opts.secretsKey, forks: opts.forks, maxHandshakes: opts.maxHandshakes },
        token: token.token,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const address = await app.listen({ host: opts.listen.host, port: opts.listen.port });
      const loopback = /^(127\.|::1$|\[::1\]|localhost$)/.test(opts.listen.host);
      process.stdout.write(`lading serve: ${address}/ (console), ${address}${OPENAPI_PATH} (OpenAPI)\n`);
      process.stdout.write(`token: ${token.file}${token.created ? " (created, mode 0600)" : ""}: send it as "Authorization: Bearer <token>"; the console asks for it, or open ${address}/#token=<token>\n`);
      if (!loopback) process.stderr.write(`warning: listening on ${opts.listen.host}, not loopback: the token and the deployment travel in clear text unless TLS is put in front\n`);
      const checked = await service.validate();
      if (!checked.ok) process.stderr.write(`warning: the deployment has ${checked.problems.length} problem(s) (lading validate shows them): plans and runs are refused until they are fixed\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void app.close().then(() => resolve());
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      // A run under way finishes (its gates, its lock released on every host); a second signal abandons it.
      const active = service.runs.activeRun;
      if (active) {
        process.stdout.write(`lading serve: waiting for run ${active.id} (${active.command}) to finish; Ctrl-C again abandons it (its deploy lock then stays on the hosts: --break-lock)\n`);
        await new Promise<void>((resolve) => {
          const abandon = (): void => process.exit(130);
          process.once("SIGINT", abandon);
          process.once("SIGTERM", abandon);
          const timer = setInterval(() => {
            if (service.runs.activeRun) return;
            clearInterval(timer);
            process.off("SIGINT", abandon);
            process.off("SIGTERM", abandon);
            resolve();
          }, 200);
        });
      }
      process.stdout.write("lading serve: stopped\n");
    });
}

/** `127.0.0.1:7717`, `[::1]:7717`, `0.0.0.0:80`; port 0 takes a free one. */
function listenOption(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new InputError([{ file: "--listen", message: `must be HOST:PORT (e.g. ${DEFAULT_LISTEN}), got ${JSON.stringify(value)}` }]);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}
