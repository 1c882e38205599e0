// What `lading certificates` asks for, from the deployment: the names and addresses clients reach HAProxy by.
import { InputError } from "../errors.js";
import { environmentDir, type Project } from "../model/project.js";
import { httpBackendHosts, sansOf } from "./backend-hosts.js";
import type { CertificateRequest } from "./generate.js";

/** The VIP and tls_external_name, and every HAProxy host's name and address (its own endpoints), as SANs. */
export function certificateRequestOf(project: Project, opts: { days: number; renew: boolean }): CertificateRequest {
  const base = project.resolver.forHost(new Map());
  const vip = typeof base.vip_address === "string" ? base.vip_address : "";
  if (!vip) throw new InputError([{ file: project.globalsFile, path: "vip_address", message: "must be set: the certificate is issued for the VIP" }]);
  const externalName = typeof base.tls_external_name === "string" && base.tls_external_name ? base.tls_external_name : undefined;
  const haproxy = project.roles.byName.get("haproxy");
  const haproxySans = sansOf(haproxy ? [...new Set(haproxy.def.groups.flatMap((g) => project.topology.hostsOf(g)))] : []);
  return {
    // An environment gets its own certificates (its own VIP); the folder's own, without -e.
    dir: project.environment !== undefined ? environmentDir(project.dir, project.environment) : project.certificatesDir,
    commonName: externalName ?? vip,
    addresses: [vip, ...haproxySans.addresses],
    names: [...(externalName ? [externalName] : []), ...haproxySans.names],
    // The backends' certificate (tls_internal): every host serving an HTTP service behind HAProxy.
    backend: sansOf(httpBackendHosts(project.enabled, project.topology)),
    days: opts.days,
    renew: opts.renew,
  };
}
