// Validation of a passwords file's text shared by readPasswords and genpwd: schema, then the shape of
// each declared secret that has a value. Whether blanks are allowed is up to the caller.
import { InputError, type Problem } from "../errors.js";
import type { SecretValue } from "./secret-value.js";
import { checkPrecompiledSchema } from "../model/precompiled-schemas.js";
import { parseYaml, type YamlSource } from "../model/source.js";
import { describeShape, hasShapeOfKind, isBlankSecret, type DeclaredSecrets } from "./declared-secrets.js";

/** Parses and validates a passwords text; throws InputError with every located problem. */
export function checkPasswordsText(file: string, text: string, declared: DeclaredSecrets): YamlSource {
  const source = parseYaml(file, text);
  const problems: Problem[] = checkPrecompiledSchema("passwords.schema.json", source).map(explainTypeProblem);
  if (!problems.length) {
    for (const [name, value] of passwordEntries(source)) {
      const secret = declared.get(name);
      if (secret && !isBlankSecret(value) && !hasShapeOfKind(value as SecretValue, secret.kind)) {
        const bad = secret.kind === "key_repository" && Array.isArray(value) ? badRepositoryKey(value) : undefined;
        problems.push(bad ? source.problem([name, bad.index], bad.message) : source.problem([name], `must be ${describeShape(secret.kind)}`));
      } else if (secret && typeof value === "string" && /[\0-\x1f\x7f]/.test(value)) {
        // One line: rabbitmqctl and mysql read a password as a line of stdin, and a newline would cut it.
        problems.push(source.problem([name], `contains a control character (newline, tab, ...): a ${secret.kind} is one line of printable characters`));
      }
    }
  }
  if (problems.length) throw new InputError(problems);
  return source;
}

/** The first key of a key repository that is not a Fernet key or repeats another, located by its index. */
function badRepositoryKey(keys: unknown[]): { index: number; message: string } | undefined {
  for (const [i, k] of keys.entries()) {
    if (!hasShapeOfKind(k as string, "fernet_key")) return { index: i, message: `key ${i} must be ${describeShape("fernet_key")}` };
    const first = keys.indexOf(k);
    if (first !== i) return { index: i, message: `key ${i} is the same as key ${first}: every key of a repository must differ (blank the secret and run lading genpwd)` };
  }
  return undefined;
}

// ajv says "must be null, string or object" of a value such as `12345678`; say what to write instead.
function explainTypeProblem(p: Problem): Problem {
  return p.message.startsWith("must be null, string, object or array")
    ? { ...p, message: "must be a string (quote it), a key pair {private_key, public_key}, a list of keys, or blank" }
    : p;
}

/** The file's top-level entries as plain values, in file order (an empty file has none). */
export function passwordEntries(source: YamlSource): Map<string, unknown> {
  const value = source.value();
  return value && typeof value === "object" ? new Map(Object.entries(value as Record<string, unknown>)) : new Map();
}
