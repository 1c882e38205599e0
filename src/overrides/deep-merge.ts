// The merge rule shared by YAML and JSON overrides (Kolla-Ansible's merge_yaml, without extend_lists).

/**
 * `override` merged over `base`: where both are maps, keys merge recursively (base order kept, new keys
 * appended); anywhere else the override's value replaces the base's whole, lists included. An override
 * value of null sets the key to null (it does not delete it), as in Kolla-Ansible.
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainMap(base) || !isPlainMap(override)) return override;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) defineKey(out, k, v);
  for (const [k, v] of Object.entries(override)) defineKey(out, k, Object.hasOwn(base, k) ? deepMerge(base[k], v) : v);
  return out;
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// A plain assignment of "__proto__" would change the object's prototype instead of adding the key.
function defineKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
