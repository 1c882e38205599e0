// The identity service's catalogue: other roles' catalog: entries, registered by the identity service's own
// command in its container (role.yaml identity:), the admin password on stdin.
import * as docker from "../../docker/commands.js";
import { HostError } from "../../errors.js";
import type { CatalogEntry, IdentityProvider } from "../../render/desired.js";
import type { Transport } from "../../transport/index.js";

/** What the identity service's registration command reads on stdin (the admin password inside: never in argv). */
export function catalogRequest(action: "ensure" | "remove", identity: IdentityProvider, password: string, entry: Pick<CatalogEntry, "name" | "type"> & Partial<CatalogEntry>): string {
  return `${JSON.stringify({
    action,
    auth: { url: identity.url, user: identity.user, project: identity.project, domain: identity.domain, password },
    region: identity.region,
    service: { name: entry.name, type: entry.type, description: entry.description ?? "" },
    endpoints: entry.endpoints ?? {},
  })}\n`;
}

/** Runs the identity service's registration command in its container; returns the line it printed. */
export async function runCatalogRequest(t: Transport, identity: IdentityProvider, request: string): Promise<string> {
  const r = await t.exec(docker.exec(identity.container, identity.command, { interactive: true }), { stdin: request, become: true, timeoutMs: 120_000 });
  if (r.code !== 0) throw new HostError(t.host, `${identity.command.join(" ")} in ${identity.container} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout.trim().split("\n").pop() ?? "";
}
