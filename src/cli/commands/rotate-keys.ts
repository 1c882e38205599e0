// `lading rotate-keys SERVICE`: rotates the service's key repositories (Keystone's fernet and credential keys)
// in the passwords file, then reconfigures the service so that every host gets the new set. The key files
// restart nothing (Keystone reads its keys at each use); a job whose inputs are the keys (credential_migrate)
// runs once, on the first host. Refused, with nothing written, while the service is not as deployed.
import type { Command } from "commander";
import { renderProject } from "../../model/project.js";
import { buildPlan } from "../../plan/plan.js";
import type { DesiredState } from "../../render/desired.js";
import { keyFileOf } from "../../secrets/encrypted.js";
import { setPasswordValues } from "../../secrets/passwords-file.js";
import { planKeyRotation, retiredKeysName, stepsOfService, type RepositoryRotation } from "../../secrets/rotate-keys.js";
import { EXIT } from "../exit-codes.js";
import { applyAndRecap, planFor, withEngine, withEngineOptions, type EngineOptions } from "../engine-command.js";

export function register(program: Command): void {
  withEngineOptions(program.command("rotate-keys <service>"))
    .description("rotate a service's key repositories (Keystone's fernet and credential keys): the staged key becomes the primary on every host, no restart; a token issued before stays valid")
    .action((service: string, opts: EngineOptions) => {
      let rotation: RepositoryRotation[] = [];
      let deployed: DesiredState | undefined;
      let before: Record<string, unknown> = {};
      return withEngine(
        "rotate-keys",
        { ...opts, service: [service] },
        async (ctx) => {
          // The hosts must hold the current keys (and the rest of the service) before the staged key is promoted.
          const current = buildPlan({ desired: deployed!, facts: ctx.session.facts, secrets: before as typeof ctx.project.secrets, mode: "reconfigure" });
          const pending = stepsOfService(current, service);
          if (pending.length) {
            for (const p of pending.slice(0, 10)) ctx.reporter.emit({ type: "warning", host: p.host, message: `${service}: ${p.reason}` });
            ctx.reporter.emit({ type: "warning", message: `${service} is not as deployed on ${[...new Set(pending.map((p) => p.host))].join(", ")}: run lading reconfigure --service ${service} first; no key was rotated` });
            return EXIT.failed;
          }
          await setPasswordValues(ctx.project.passwordsFile, ctx.project.roles.secrets, new Map(rotation.map((r) => [r.secret, r.after])), keyFileOf(ctx.opts.secretsKey));
          for (const r of rotation) ctx.reporter.emit({ type: "keys-rotated", service, secret: r.secret, file: ctx.project.passwordsFile, keys: r.after.length });
          return applyAndRecap(ctx, await planFor(ctx, "reconfigure"));
        },
        (project) => {
          rotation = planKeyRotation(service, project.enabled, project.secrets);
          before = { ...project.secrets };
          deployed = renderProject(project, { limit: opts.limit, services: [service] });
          // The run renders, plans and redacts with the rotated keys; a dropped key stays redacted.
          for (const r of rotation) {
            project.secrets[r.secret] = r.after;
            project.secrets[retiredKeysName(r.secret)] = r.before;
          }
          return renderProject(project, { limit: opts.limit, services: [service] });
        },
      );
    });
}
