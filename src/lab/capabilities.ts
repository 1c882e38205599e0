// Reads the kernel capability bounding set, to know whether the runc wrapper is needed on this machine.
import { readFileSync } from "node:fs";

export const CAP_SYS_RESOURCE = 24;

/** The CapBnd mask from the text of /proc/<pid>/status; undefined when absent. */
export function parseCapBnd(statusText: string): bigint | undefined {
  const m = /^CapBnd:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  return m?.[1] ? BigInt(`0x${m[1]}`) : undefined;
}

export function hasCapability(mask: bigint, bit: number): boolean {
  return ((mask >> BigInt(bit)) & 1n) === 1n;
}

/**
 * True when privileged containers need the lab's runc wrapper: the bounding set lacks CAP_SYS_RESOURCE,
 * so runc could not grant it and fails with "unable to apply caps".
 */
export function needsRuntimeWrapper(statusText: string = readFileSync("/proc/self/status", "utf8")): boolean {
  const mask = parseCapBnd(statusText);
  return mask !== undefined && !hasCapability(mask, CAP_SYS_RESOURCE);
}
