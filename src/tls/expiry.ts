// check's certificate alert: every certificate deployed on a host (or, where its content was not read, about
// to be) or kept in the deployment that expires within tls_expiry_warning days. Pure: facts in, findings out.
import type { HostFacts } from "../facts/parse.js";
import type { DesiredState } from "../render/desired.js";
import { expiringIn, pemCertificates, type CertificateSummary } from "./certificates.js";

export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ExpiringCertificate extends CertificateSummary {
  /** The host it is deployed on, or "deployment" for the file in the deployment's certificates/. */
  host: string;
  /** Whole days left (negative: expired that many days ago). */
  daysLeft: number;
  warningDays: number;
}

export interface ExpiryInput {
  desired: DesiredState;
  facts: Map<string, HostFacts>;
  /** tls_expiry_warning of each host. */
  warningDays: (host: string) => number;
  /** The deployment's own certificate file and its PEM text, if TLS is on. */
  deployment?: { file: string; pem: string; warningDays: number };
  now: number;
}

export function expiringCertificates(input: ExpiryInput): ExpiringCertificate[] {
  const out: ExpiringCertificate[] = [];
  const add = (host: string, warningDays: number, found: CertificateSummary[]): void => {
    for (const s of found) out.push({ ...s, host, warningDays, daysLeft: Math.floor((s.expiresMs - input.now) / DAY_MS) });
  };
  for (const [host, h] of input.desired.hosts) {
    const f = input.facts.get(host);
    if (!f) continue;
    const days = input.warningDays(host);
    const before = input.now + days * DAY_MS;
    for (const s of h.services) {
      for (const file of s.files) {
        if (!pemCertificates(file.content).length) continue;
        const fact = f.files.get(file.path);
        // What the host serves from: the deployed file; not read (too big) or absent, the one about to go there.
        const text = fact?.exists && fact.content ? fact.content.toString("utf8") : file.content;
        add(host, days, expiringIn(text, file.path, before));
      }
    }
  }
  if (input.deployment) add("deployment", input.deployment.warningDays, expiringIn(input.deployment.pem, input.deployment.file, input.now + input.deployment.warningDays * DAY_MS));
  return out;
}

/** The check line: host, file, subject and date. */
export function describeExpiring(c: ExpiringCertificate): string {
  const when = c.daysLeft < 0 ? `expired on ${c.expires}` : `expires on ${c.expires} (in ${c.daysLeft} day${c.daysLeft === 1 ? "" : "s"})`;
  return `${c.host}: certificate ${c.file} (${c.subject}) ${when}, within tls_expiry_warning (${c.warningDays} days): renew it (lading certificates --renew, then lading reconfigure)`;
}
