// Merges operators' YAML snippets over a rendered YAML config file, like Kolla-Ansible's merge_yaml.
// Works on the base's YAML Document so that its comments and layout survive where nothing changes.
import { isAlias, isMap, isScalar, YAMLMap, type Document, type Node, type Pair } from "yaml";
import { InputError } from "../errors.js";
import { parseYaml } from "../model/source.js";
import type { OverrideText } from "./override-text.js";

/**
 * `base` with each override merged in order:
 * - maps merge key by key, recursively; keys new to a map are appended to it;
 * - lists and scalars are replaced whole by the override's (no list concatenation, like merge_yaml without
 *   extend_lists): to add to a list, an override repeats the whole list;
 * - `key: null` (or `key:`) in an override sets the key to null; it does not delete it (as in Kolla-Ansible);
 * - an empty override changes nothing; a non-empty one must be a map.
 * Parse errors throw InputError naming file, line and column. Returns the base text itself when there is
 * nothing to merge.
 */
export function mergeYaml(base: string, overrides: OverrideText[], opts: { baseFile?: string } = {}): string {
  const baseFile = opts.baseFile ?? "<rendered>";
  const doc = parseYaml(baseFile, base).doc;
  let changed = false;
  for (const override of overrides) {
    const source = parseYaml(override.file, override.text);
    const value: unknown = source.value({ mapAsMap: true });
    if (value === null || value === undefined) continue;
    if (!(value instanceof Map)) throw new InputError([source.problem([], "an override must be a map of keys to merge")]);
    if (doc.contents === null || doc.contents === undefined) doc.contents = new YAMLMap() as unknown as typeof doc.contents;
    if (!isMap(doc.contents)) throw new InputError([{ file: baseFile, line: 1, message: "takes overrides, so it must be a map" }]);
    mergeInto(doc, doc.contents, value);
    changed = true;
  }
  return changed ? doc.toString({ lineWidth: 0 }) : base;
}

function mergeInto(doc: Document, map: YAMLMap, override: Map<unknown, unknown>): void {
  for (const [key, value] of override) {
    const pair = map.items.find((p) => sameKey(p, key));
    if (!pair) {
      map.items.push(doc.createPair(key, value));
      continue;
    }
    let current = pair.value;
    if (value instanceof Map && isAlias(current)) {
      // Merging into an alias would change the anchored map too: give this key its own copy first.
      const target = current.resolve(doc);
      if (isMap(target)) {
        const copy = target.clone() as YAMLMap;
        copy.anchor = undefined;
        pair.value = current = copy;
      }
    }
    if (value instanceof Map && isMap(current)) {
      mergeInto(doc, current, value);
      continue;
    }
    const node = doc.createNode(value) as Node;
    if (isScalar(current) && isScalar(node)) {
      // `port: 8080 # the LB expects this` keeps its comment when only the value changes.
      node.comment = current.comment;
      node.commentBefore = current.commentBefore;
    }
    pair.value = node;
  }
}

function sameKey(pair: Pair, key: unknown): boolean {
  const k = pair.key;
  return isScalar(k) ? k.value === key : k === key;
}
