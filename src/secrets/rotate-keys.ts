// `lading rotate-keys SERVICE`: the key repositories of a service (secrets of kind key_repository, Keystone's
// fernet and credential keys) rotated the way Keystone's own fernet_rotate does, but in passwords.yml, so that
// every host gets the same set. Pure: the command reads and writes the files and runs the reconfigure.
import { InputError } from "../errors.js";
import type { LoadedRole } from "../model/roles.js";
import type { Plan } from "../plan/plan.js";
import type { SecretValue } from "./secret-value.js";
import { DEFAULT_REPOSITORY_KEYS, generateFernetKey } from "./generate.js";

/** One repository's keys before and after the rotation (index 0 the staged key, the last the primary). */
export interface RepositoryRotation {
  secret: string;
  before: string[];
  after: string[];
}

/**
 * The next repository: the staged key (0) becomes the primary (the last), the old primary a secondary, a new
 * staged key takes index 0, and the oldest secondaries go so that the repository keeps `size` keys.
 *
 * Safe on a running cluster in any host order: the new primary was every host's staged key already, so a
 * token made with it on a host that has the new set is read on a host that has the old one; and the old
 * primary stays, so a token made before the rotation is read everywhere after it (for size - 2 rotations).
 */
export function rotateKeyRepository(keys: readonly string[], size: number, newKey: () => string = generateFernetKey): string[] {
  if (keys.length < 2) throw new RangeError(`a key repository needs a staged and a primary key, got ${keys.length} key(s)`);
  if (size < 3) throw new RangeError(`a rotated key repository keeps at least 3 keys, got ${size}`);
  const [staged, ...older] = keys;
  const kept = [...older, staged!];
  const fresh = newKey();
  if (keys.includes(fresh)) throw new Error("the new staged key repeats a key of the repository");
  return [fresh, ...kept.slice(Math.max(0, kept.length - (size - 1)))];
}

/**
 * The rotation of every key repository the service's role renders (keyRepositories), from the deployment's
 * current secrets. Throws InputError naming the service when it has none, or is not deployed by this project.
 */
export function planKeyRotation(
  service: string,
  enabled: readonly LoadedRole[],
  secrets: Readonly<Record<string, SecretValue>>,
  newKey: () => string = generateFernetKey,
): RepositoryRotation[] {
  const role = enabled.find((r) => r.def.name === service);
  if (!role) {
    const known = enabled.filter((r) => r.def.keyRepositories?.length).map((r) => r.def.name);
    throw new InputError([{ file: "rotate-keys", message: `no enabled service "${service}"${known.length ? `: services with key repositories are ${known.join(", ")}` : ": no enabled service has a key repository"}` }]);
  }
  const repositories = role.def.keyRepositories ?? [];
  if (!repositories.length) throw new InputError([{ file: "rotate-keys", message: `service "${service}" has no key repository (role.yaml keyRepositories): nothing to rotate` }]);
  return repositories.map((r) => {
    const before = secrets[r.secret];
    if (!Array.isArray(before)) throw new InputError([{ file: "rotate-keys", message: `secret "${r.secret}" is not a key repository in the passwords file: run lading genpwd` }]);
    const size = role.def.secrets?.[r.secret]?.keys ?? DEFAULT_REPOSITORY_KEYS;
    return { secret: r.secret, before: [...before], after: rotateKeyRepository(before, size, newKey) };
  });
}

/** The name under which a dropped key stays among a run's secrets: never rendered, only redacted. */
export function retiredKeysName(secret: string): string {
  return `${secret} (before rotation)`;
}

/** The planned steps of `service` on every host of a plan, with their reasons (rotate-keys' precondition). */
export function stepsOfService(plan: Plan, service: string): { host: string; reason: string }[] {
  const out: { host: string; reason: string }[] = [];
  for (const [host, hp] of plan.hosts) {
    for (const s of hp.services) if (s.service === service) for (const step of s.steps) out.push({ host, reason: step.reason });
  }
  return out;
}
