// rotate-keys, as a run: the service's key repositories rotated in the passwords file, then the service
// reconfigured so that every host gets the new set (the key files restart nothing; a job whose inputs are the
// keys, credential_migrate, runs once on the first host). Refused, with nothing written, while the service is not
// as deployed on some host. The CLI's `lading rotate-keys` calls it.
import { renderProject, type Project } from "../model/project.js";
import { buildPlan } from "../plan/plan.js";
import type { DesiredState } from "../render/desired.js";
import { keyFileOf } from "../secrets/encrypted.js";
import { setPasswordValues } from "../secrets/passwords-file.js";
import { planKeyRotation, retiredKeysName, stepsOfService, type RepositoryRotation } from "../secrets/rotate-keys.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { OUTCOME, type Outcome } from "../run/outcome.js";
import { applyAndRecap, planFor, type RunContext, type RunOptions } from "../run/run.js";

/** A rotation's render hook (the run renders, plans and redacts with the rotated keys) and its body. */
export function keyRotationRun(service: string, opts: RunOptions): { render: (project: Project) => DesiredState; body: (ctx: RunContext) => Promise<Outcome> } {
  let rotation: RepositoryRotation[] = [];
  let deployed: DesiredState | undefined;
  let before: Record<string, SecretValue> = {};
  const render = (project: Project): DesiredState => {
    rotation = planKeyRotation(service, project.enabled, project.secrets);
    before = { ...project.secrets };
    deployed = renderProject(project, { limit: opts.limit, services: [service] });
    // The run's redactor is built from these secrets after this hook: a dropped key stays redacted.
    for (const r of rotation) {
      project.secrets[r.secret] = r.after;
      project.secrets[retiredKeysName(r.secret)] = r.before;
    }
    return renderProject(project, { limit: opts.limit, services: [service] });
  };
  const body = async (ctx: RunContext): Promise<Outcome> => {
    // The hosts must hold the current keys (and the rest of the service) before the staged key is promoted.
    const current = buildPlan({ desired: deployed!, facts: ctx.session.facts, secrets: before, mode: "reconfigure" });
    const pending = stepsOfService(current, service);
    if (pending.length) {
      for (const p of pending.slice(0, 10)) ctx.reporter.emit({ type: "warning", host: p.host, message: `${service}: ${p.reason}` });
      ctx.reporter.emit({ type: "warning", message: `${service} is not as deployed on ${[...new Set(pending.map((p) => p.host))].join(", ")}: run lading reconfigure --service ${service} first; no key was rotated` });
      return OUTCOME.failed;
    }
    await setPasswordValues(ctx.project.passwordsFile, ctx.project.roles.secrets, new Map(rotation.map((r) => [r.secret, r.after])), keyFileOf(ctx.opts.secretsKey));
    for (const r of rotation) ctx.reporter.emit({ type: "keys-rotated", service, secret: r.secret, file: ctx.project.passwordsFile, keys: r.after.length });
    return applyAndRecap(ctx, await planFor(ctx, "reconfigure"));
  };
  return { render, body };
}
