// Throwaway deployments for model tests: copy a folder to a temp dir, write a passwords.yml with fixed
// fake values (mode 0600, like genpwd), and read an InputError's problems relative to the deployment.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { InputError, type Problem } from "../../../src/errors.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir, packageRoot } from "../../../src/paths.js";
import type { DeclaredSecrets } from "../../../src/secrets/declared-secrets.js";

/** A new temp folder holding a copy of `source` (or empty); remove it with removeDeployment. */
export function copyDeployment(source?: string, prefix = "lading-model-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (source) cpSync(source, dir, { recursive: true });
  return dir;
}

export function removeDeployment(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `text` at `dir/rel`, creating folders; `null` removes the file. */
export function writeDeploymentFile(dir: string, rel: string, text: string | null, mode?: number): void {
  const file = join(dir, rel);
  if (text === null) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  if (mode !== undefined) chmodSync(file, mode);
}

/** The secrets the built-in roles and the deployment's own roles/ declare. */
export function declaredSecretsOf(dir: string): DeclaredSecrets {
  return loadRoles([builtinRolesDir, join(dir, "roles")]).secrets;
}

/**
 * A fixed fake value per secret: deterministic (golden files stay stable), long enough for every check,
 * and plainly not a real secret. Key pairs get a fixed fake pair.
 */
export function fakeSecretValue(name: string, kind: string, length = 32, keys = 3): string | string[] | { private_key: string; public_key: string } {
  if (kind === "ssh_key") {
    return { private_key: `FAKE PRIVATE KEY OF ${name}`, public_key: `ssh-ed25519 FAKEPUBLICKEYOF${name.toUpperCase()} lading` };
  }
  // A Fernet key's shape: 43 url-safe base64 characters and its padding.
  if (kind === "fernet_key") return `${`fake${name.replace(/[^A-Za-z0-9]/g, "")}`.repeat(4).slice(0, 43)}=`;
  if (kind === "key_repository") return Array.from({ length: keys }, (_, i) => `${`fake${i}${name.replace(/[^A-Za-z0-9]/g, "")}`.repeat(4).slice(0, 43)}=`);
  // Of the declared length, as genpwd would make it (keepalived's VRRP password is 8 characters).
  const letters = `fake${name.replace(/[^A-Za-z0-9]/g, "")}`;
  return letters.repeat(Math.ceil(length / letters.length)).slice(0, length);
}

/** Writes passwords.yml with every declared secret set to its fake value, mode 0600. */
export function writeFakePasswords(dir: string, declared: DeclaredSecrets = declaredSecretsOf(dir), file = join(dir, "passwords.yml")): void {
  const lines = ["# Fake secrets for tests: fixed values, so rendered files are stable."];
  for (const [name, secret] of [...declared].sort(([a], [b]) => a.localeCompare(b))) {
    const value = fakeSecretValue(name, secret.kind, secret.length, secret.keys);
    if (typeof value === "string") lines.push(`${name}: ${JSON.stringify(value)}`);
    else if (Array.isArray(value)) lines.push(`${name}:`, ...value.map((k) => `  - ${JSON.stringify(k)}`));
    else lines.push(`${name}:`, `  private_key: ${JSON.stringify(value.private_key)}`, `  public_key: ${JSON.stringify(value.public_key)}`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A file name as tests write it: relative to the deployment, `<lading>/...` for the package's own files. */
export function displayFile(file: string, dir: string): string {
  if (file.startsWith(`${dir}/`)) return relative(dir, file);
  if (file === dir) return ".";
  if (file.startsWith(`${packageRoot}/`)) return `<lading>/${relative(packageRoot, file)}`;
  return file;
}

/** A problem with its file made relative, and only the fields that are set. */
export type ShownProblem = Partial<Problem> & { message: string };

/** Messages that name a path do so absolutely: shown with `<dir>` and `<lading>` so cases can state them. */
export function showMessage(message: string, dir: string): string {
  return message.split(dir).join("<dir>").split(packageRoot).join("<lading>");
}

export function showProblem(p: Problem, dir: string): ShownProblem {
  const out: ShownProblem = { file: displayFile(p.file, dir), message: showMessage(p.message, dir) };
  if (p.line !== undefined) out.line = p.line;
  if (p.column !== undefined) out.column = p.column;
  if (p.path) out.path = p.path;
  return out;
}

/** Runs `fn`, which must throw an InputError, and returns its problems as shown problems. */
export function problemsOf(fn: () => unknown, dir: string): ShownProblem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.problems.map((p) => showProblem(p, dir));
    throw err;
  }
  throw new Error("expected an InputError, but nothing was thrown");
}
