// `lading rotate-keys SERVICE`: rotates the service's key repositories (Keystone's fernet and credential keys);
// the run is src/lifecycle/rotate-keys-run.ts.
import type { Command } from "commander";
import { keyRotationRun } from "../../lifecycle/rotate-keys-run.js";
import { withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("rotate-keys <service>"))
    .description("rotate a service's key repositories (Keystone's fernet and credential keys): the staged key becomes the primary on every host, no restart; a token issued before stays valid")
    .action((service: string, opts: EngineOptions) => {
      const run = keyRotationRun(service, { ...opts, service: [service] });
      return withEngine("rotate-keys", { ...opts, service: [service] }, run.body, run.render);
    });
}
