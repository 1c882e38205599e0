// `lading certificates`: creates the deployment's private CA and HAProxy's certificate (src/tls/generate.ts).
import type { Command } from "commander";
import { certificateRequestOf } from "../../tls/request.js";
import { generateCertificates, type CertificateReport } from "../../tls/generate.js";
import { countOption } from "../option-parsers.js";
import { projectFrom, withDeploymentOptions, type DeploymentOptions } from "../project-options.js";

export function register(program: Command): void {
  withDeploymentOptions(program.command("certificates"))
    .description("create a private CA and HAProxy's TLS certificate (VIP, tls_external_name and each HAProxy host as SANs) in the deployment's certificates/; keys 0600")
    .option("--renew", "issue a new certificate and key even when the present one is valid (the CA is kept)")
    .option("--days <n>", "validity of the certificate in days", countOption("--days"), 365)
    .action(async (opts: DeploymentOptions & { renew?: boolean; days: number }) => {
      // The certificates are what this makes: they are not checked on the way in.
      const project = await projectFrom(opts, { requireSecrets: false, checkCertificates: false });
      const report = generateCertificates(certificateRequestOf(project, { days: opts.days, renew: !!opts.renew }));
      for (const line of describeCertificateReport(report)) process.stdout.write(`${line}\n`);
    });
}

/** What was made or kept, by file, subject and date: never a key. */
export function describeCertificateReport(r: CertificateReport): string[] {
  const lines: string[] = [];
  if (r.createdCa) lines.push(`created a private CA: ${r.folder}/ca.pem (its key ca.key, mode 0600); clients trust ca.pem (curl --cacert)`);
  if (r.issued) lines.push(`issued ${r.issued.file} for ${r.issued.subject}, valid until ${r.issued.expires}${r.reason ? ` (replaced: ${r.reason})` : ""}; its key haproxy.key is mode 0600`);
  if (r.kept) lines.push(`kept ${r.kept.file} (${r.kept.subject}, valid until ${r.kept.expires}): it covers every name; --renew issues a new one`);
  if (r.backendIssued) lines.push(`issued ${r.backendIssued.file} for the HTTP backends (tls_internal), valid until ${r.backendIssued.expires}${r.backendReason ? ` (replaced: ${r.backendReason})` : ""}; its key backend.key is mode 0600`);
  if (r.backendKept) lines.push(`kept ${r.backendKept.file} (the HTTP backends' certificate, valid until ${r.backendKept.expires})`);
  lines.push(r.kept && !r.backendIssued ? "nothing to deploy" : "next: tls_external: true (and tls_internal: true for TLS to the backends) in globals.yml, then lading reconfigure (a renewed certificate is loaded without a restart)");
  return lines;
}
