// The readable tree of an inventory, like `ansible-inventory --graph`: groups as `@name:`, child groups
// (by name) before hosts (in inventory order), each level indented with `|--`.
import type { Inventory, InventoryHost } from "./inventory.js";
import { ALL_GROUP } from "./raw-inventory.js";

/**
 * The tree from `root` (default `all`) as lines. With `limit`, only those hosts are shown and groups
 * that lead to none of them are left out.
 */
export function formatInventoryGraph(inv: Inventory, options: { root?: string; limit?: readonly InventoryHost[] } = {}): string[] {
  const root = options.root ?? ALL_GROUP;
  const kept = options.limit ? new Set(options.limit.map((h) => h.name)) : undefined;
  const shows = (group: string): boolean => !kept || inv.hostsOf(group).some((h) => kept.has(h.name));
  const lines: string[] = [];
  const indent = (depth: number): string => (depth === 0 ? "" : "  |".repeat(depth - 1) + "  |--");
  const walk = (group: string, depth: number): void => {
    lines.push(`${indent(depth)}@${group}:`);
    const info = inv.groups.get(group);
    if (!info) return;
    for (const child of [...info.children].sort()) if (shows(child)) walk(child, depth + 1);
    for (const host of info.directHosts) if (!kept || kept.has(host)) lines.push(`${indent(depth + 1)}${host}`);
  };
  walk(root, 0);
  return lines;
}
