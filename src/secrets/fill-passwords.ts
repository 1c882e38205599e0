// The pure heart of `lading genpwd`: from a passwords.yml text (and maybe an older one) to the filled text.
// Works on the YAML Document, not on plain values, so that the operator's comments and order survive.
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, type Node, type Pair, type YAMLMap } from "yaml";
import type { SecretValue } from "./secret-value.js";
import { checkPasswordsText, passwordEntries } from "./check-passwords.js";
import { isBlankSecret, type DeclaredSecrets } from "./declared-secrets.js";
import { generateSecret, type SecretRecipe } from "./generate.js";

const NEW_FILE_HEADER =
  " Secrets of this deployment, by name (lading genpwd fills blank ones and never changes set ones).\n" +
  " Keep this file private: mode 0600, and out of version control unless encrypted.";

/** What filling did, by secret name. Never any value. */
export interface FillResult {
  /** The new file text (the input text itself when nothing changed). */
  text: string;
  /** Declared secrets that were blank or missing and got a new random value. */
  generated: string[];
  /** Declared secrets whose set value stayed as it was. */
  kept: string[];
  /** Declared secrets that were blank or missing and took the old file's value. */
  merged: string[];
  /** Declared secrets whose set value differed from the old file's and took the old one (the running cluster's). */
  replaced: string[];
  /** Keys of the old file that no role declares any more: not copied. */
  undeclaredInOld: string[];
  /** Keys of the file that no role declares: left as they are. */
  undeclaredInFile: string[];
}

export interface FillOptions {
  /** An older passwords file whose values win for declared secrets (`genpwd --merge OLD`). */
  old?: { file: string; text: string };
  /** Injected in tests; the real generator otherwise. */
  generate?: (recipe: SecretRecipe) => SecretValue;
}

/**
 * Fills every declared secret that is blank or missing in `current` (text undefined: no file yet).
 * Set values are never changed, except by an old file's value under `old` (reported as `replaced`).
 * Throws InputError, located, when either file breaks the schema or holds a declared secret of the wrong shape.
 */
export function fillPasswords(current: { file: string; text?: string }, declared: DeclaredSecrets, opts: FillOptions = {}): FillResult {
  const generate = opts.generate ?? generateSecret;
  const source = current.text === undefined ? undefined : checkPasswordsText(current.file, current.text, declared);
  const oldSource = opts.old ? checkPasswordsText(opts.old.file, opts.old.text, declared) : undefined;
  const oldValues = oldSource ? passwordEntries(oldSource) : new Map<string, unknown>();
  const values = source ? passwordEntries(source) : new Map<string, unknown>();

  const doc: Document = source ? source.doc : new Document({});
  if (!source) doc.commentBefore = NEW_FILE_HEADER;
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  const map = doc.contents as unknown as YAMLMap;
  // An empty file written earlier holds `{}`, a flow map; entries added to it must be block style, one per line.
  map.flow = false;

  const result: Omit<FillResult, "text"> = {
    generated: [],
    kept: [],
    merged: [],
    replaced: [],
    undeclaredInOld: [...oldValues.keys()].filter((k) => !declared.has(k)),
    undeclaredInFile: [...values.keys()].filter((k) => !declared.has(k)),
  };
  let changed = false;
  for (const [name, secret] of declared) {
    const now = values.get(name);
    const before = oldValues.get(name);
    const nowSet = !isBlankSecret(now);
    let value: SecretValue;
    if (!isBlankSecret(before)) {
      if (nowSet && isDeepStrictEqual(now, before)) {
        result.kept.push(name);
        continue;
      }
      (nowSet ? result.replaced : result.merged).push(name);
      value = before as SecretValue;
    } else if (nowSet) {
      result.kept.push(name);
      continue;
    } else {
      result.generated.push(name);
      value = generate(secret);
    }
    setSecret(doc, map, name, value, `${secret.role}: ${secret.description}`);
    changed = true;
  }
  const text = !changed && current.text !== undefined ? current.text : doc.toString({ lineWidth: 0 });
  return { text, ...result };
}

/** Sets `name` in place (keeping the comments around it), or appends it with a comment saying what it is. */
export function setSecret(doc: Document, map: YAMLMap, name: string, value: SecretValue, about: string): void {
  const node = doc.createNode(value) as Node;
  const pair = map.items.find((p): p is Pair<unknown, unknown> => isScalar(p.key) && p.key.value === name);
  if (pair) {
    const previous = pair.value;
    if (isScalar(previous)) {
      node.comment = previous.comment;
      node.commentBefore = previous.commentBefore;
    }
    pair.value = node;
  } else {
    const added = doc.createPair(name, node);
    (added.key as Node).commentBefore = ` ${about.replace(/\n/g, " ")}`;
    map.items.push(added);
  }
}
