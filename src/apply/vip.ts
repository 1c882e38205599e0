// Which load-balancer host holds the VIP: keepalived moves it only when its holder fails, so the holder
// restarts last and the VIP moves at most once during a rollout.
import type { Transport } from "../transport/index.js";

/** True when `ip -o addr show` output lists `vip` as an address of the host. */
export function holdsAddress(ipAddrOutput: string, vip: string): boolean {
  return ipAddrOutput.split("\n").some((l) => new RegExp(`\\sinet6?\\s${vip.replace(/\./g, "\\.")}/`).test(l));
}

/** The host (of `hosts`) whose interfaces carry `vip`, or undefined when none answers that it does. */
export async function findVipHolder(hosts: string[], vip: string, transportOf: (host: string) => Transport | undefined): Promise<string | undefined> {
  const answers = await Promise.all(
    hosts.map(async (h) => {
      const t = transportOf(h);
      if (!t) return false;
      const r = await t.exec(["ip", "-o", "addr", "show"]);
      return r.code === 0 && holdsAddress(r.stdout, vip);
    }),
  );
  const i = answers.indexOf(true);
  return i >= 0 ? hosts[i] : undefined;
}

/** The same hosts with the holder moved to the end. */
export function holderLast<T>(hosts: T[], holder: T | undefined): T[] {
  if (holder === undefined || !hosts.includes(holder)) return hosts;
  return [...hosts.filter((h) => h !== holder), holder];
}
