// `lading validate`: every environment of a deployment folder (or the one -e names), each loaded and rendered
// in full as a run would, with every problem of every environment collected before failing.
import { InputError, type Problem } from "../errors.js";
import { findInventoryFile } from "../inventory/index.js";
import { listEnvironments, loadProject, renderProject, type ProjectOptions } from "./project.js";

export interface ValidatedEnvironment {
  /** undefined: the deployment folder's own files (no -e). */
  environment?: string;
  hosts: number;
  services: number;
  files: number;
}

/**
 * Validates `opts.environment`, or with none: the folder's own files (when it has an inventory) and every
 * environment under environments/. Throws one InputError holding the problems of all of them.
 */
export function validateDeployment(opts: ProjectOptions): ValidatedEnvironment[] {
  const dir = opts.dir ?? ".";
  const names: (string | undefined)[] =
    opts.environment !== undefined ? [opts.environment] : [...(opts.inventory || findInventoryFile(dir) || !listEnvironments(dir).length ? [undefined] : []), ...listEnvironments(dir)];
  const problems: Problem[] = [];
  const out: ValidatedEnvironment[] = [];
  for (const environment of names) {
    try {
      const project = loadProject({ ...opts, environment });
      const state = renderProject(project);
      let files = 0;
      for (const h of state.hosts.values()) for (const s of h.services) files += s.files.length;
      out.push({ environment, hosts: state.hosts.size, services: project.enabled.length, files });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // The same shared file (globals.yml, a role) can be wrong for every environment: say it once.
      for (const p of err.problems) {
        if (problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message.startsWith(p.message))) continue;
        const own = environment !== undefined && String(p.file).includes(`/environments/${environment}/`);
        problems.push(names.length > 1 && environment !== undefined && !own ? { ...p, message: `${p.message} (environment ${environment})` } : p);
      }
    }
  }
  if (problems.length) throw new InputError(problems);
  return out;
}
