// An operator's config overrides (the deployment's config/ folder), merged over rendered files.
//   config/<service>/<file>         applies on every host of the service
//   config/<service>/<host>/<file>  applies on that host, after the service-wide one
// ini and yaml/json files merge key by key; any other file replaces the rendered one whole.
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { InputError, type Problem } from "../errors.js";
import { readErrorMessage, readTextFile } from "../model/read-text.js";
import { mergeIni } from "../overrides/merge-ini.js";
import { mergeJson } from "../overrides/merge-json.js";
import { mergeYaml } from "../overrides/merge-yaml.js";

export interface OverrideFile {
  file: string;
  text: string;
}

export class OverrideSet {
  /** Keyed by `service/dest` or `service/host/dest`. */
  private readonly files = new Map<string, OverrideFile>();
  readonly root: string;
  /** Files and folders of config/ that could not be read (not UTF-8, a link loop): located, for the caller. */
  readonly problems: Problem[] = [];

  constructor(deploymentDir: string) {
    this.root = join(deploymentDir, "config");
    if (!existsSync(this.root)) return;
    const problems = this.problems;
    // Folders seen, by their real path: a link to a folder above it would make the walk endless.
    const seen = new Set<string>();
    const walk = (dir: string): void => {
      const real = realpathSync(dir);
      if (seen.has(real)) {
        problems.push({ file: dir, message: `symbolic-link loop: this folder is ${relative(this.root, real) || "config/"} again (remove the link)` });
        return;
      }
      seen.add(real);
      for (const entry of readdirSync(dir).sort()) {
        const full = join(dir, entry);
        try {
          if (statSync(full).isDirectory()) walk(full);
          else if (!entry.startsWith(".") && entry !== "README.md") this.files.set(relative(this.root, full), { file: full, text: readTextFile(full) });
        } catch (err) {
          if (err instanceof InputError) problems.push(...err.problems);
          else problems.push({ file: full, message: readErrorMessage(err, "symbolic link to nothing (its target does not exist)") });
        }
      }
    };
    walk(this.root);
  }

  /** Every override file, relative to config/. */
  keys(): string[] {
    return [...this.files.keys()];
  }

  /** Merges the overrides for one rendered file; returns the content unchanged when there are none. */
  apply(service: string, host: string, dest: string, format: string, content: string): { content: string; problems: Problem[] } {
    const layers = [this.files.get(`${service}/${dest}`), this.files.get(`${service}/${host}/${dest}`)].filter((x): x is OverrideFile => !!x);
    if (!layers.length) return { content, problems: [] };
    try {
      switch (format) {
        case "ini":
          return { content: mergeIni(content, layers), problems: [] };
        case "yaml":
          return { content: mergeYaml(content, layers), problems: [] };
        case "json":
          return { content: mergeJson(content, layers), problems: [] };
        default:
          return { content: layers[layers.length - 1]!.text, problems: [] };
      }
    } catch (err) {
      if (err instanceof InputError) return { content, problems: err.problems };
      throw err;
    }
  }

  /**
   * Override files that can never apply: an unknown service, a host folder that is not a host,
   * or a file name that the service does not render. A typo there would otherwise be silently ignored.
   */
  unusedProblems(services: Map<string, Set<string>>, hosts: Set<string>): Problem[] {
    const out: Problem[] = [];
    for (const [key, f] of this.files) {
      const parts = key.split("/");
      const service = parts[0]!;
      const dests = services.get(service);
      if (!dests) {
        out.push({ file: f.file, message: `override for unknown service "${service}"` });
        continue;
      }
      const rest = parts.slice(1).join("/");
      if (dests.has(rest)) continue;
      const [maybeHost, ...tail] = parts.slice(1);
      if (maybeHost && hosts.has(maybeHost) && dests.has(tail.join("/"))) continue;
      if (maybeHost && !hosts.has(maybeHost) && dests.has(tail.join("/"))) {
        out.push({ file: f.file, message: `override for host "${maybeHost}", which is not in the inventory` });
        continue;
      }
      out.push({ file: f.file, message: `override matches no file of service ${service} (it renders: ${[...dests].sort().join(", ")})` });
    }
    return out;
  }
}
