// `lading certificates`: a private CA and HAProxy's certificate, made with the openssl command on the controller.
// Why openssl and not a library: node's crypto reads and verifies X.509 but cannot issue it, and the JavaScript
// X.509 issuers (node-forge, @peculiar/x509) are either RSA-only and slow or a large dependency tree for one
// command; openssl is on every controller that has ssh, and its output is what HAProxy and curl read anyway.
// Key material reaches openssl only as files in a private temporary folder (mode 0700), never in argv or env;
// keys land in the deployment through writePrivateFileAtomically (0600), certificates at 0644.
import { spawnSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { writePrivateFileAtomically } from "../secrets/write-private-file.js";
import { CERT_FILES, CERTIFICATES_DIR, covers, summarize, type CertificateSummary } from "./certificates.js";

export interface CertificateRequest {
  /** The deployment folder. */
  dir: string;
  /** The certificate's common name (tls_external_name, or the VIP). */
  commonName: string;
  /** Addresses (IP SANs) and names (DNS SANs) it must cover: the VIP, tls_external_name, each HAProxy host. */
  addresses: string[];
  names: string[];
  /** SANs of the backends' certificate (tls_internal): every host serving an HTTP service behind HAProxy. None: not issued. */
  backend?: { addresses: string[]; names: string[] };
  /** Validity of the server certificate in days. */
  days: number;
  /** Issue a new server certificate and key even when the present one is fine. */
  renew: boolean;
  now?: number;
}

export interface CertificateReport {
  folder: string;
  createdCa: boolean;
  /** The server certificate issued, or undefined when the present one was kept. */
  issued?: CertificateSummary;
  kept?: CertificateSummary;
  /** Why the present certificate was replaced without --renew (e.g. a new host's address). */
  reason?: string;
  /** The backends' certificate issued (or kept), when the request has backends. */
  backendIssued?: CertificateSummary;
  backendKept?: CertificateSummary;
  backendReason?: string;
}

const CA_DAYS = 3650;

/** Runs openssl with argv only; a failure says which step and openssl's last line (which names no key). */
function openssl(args: string[], what: string): void {
  const r = spawnSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new InputError([{ file: "openssl", message: `cannot run openssl (${r.error.message}): lading certificates needs the openssl command on the controller` }]);
  if (r.status !== 0) throw new InputError([{ file: "openssl", message: `${what} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-1)[0] ?? `exit ${r.status}`}` }]);
}

/** The SAN list openssl's config takes: IP:... and DNS:..., each once. */
export function subjectAltNames(addresses: string[], names: string[]): string {
  return [...new Set(addresses)].map((a) => `IP:${a}`).concat([...new Set(names)].map((n) => `DNS:${n}`)).join(",");
}

/** Why the certificate in `folder` must be replaced (expired, soon expiring, a SAN missing), or undefined. */
function replacementReason(certFile: string, req: { addresses: string[]; names: string[] }, now: number): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch {
    return `${CERT_FILES.cert} is not readable`;
  }
  const missing = [...req.addresses, ...req.names].filter((n) => !covers(cert, n));
  if (missing.length) return `it does not cover ${missing.join(", ")}`;
  if (Date.parse(cert.validTo) <= now) return "it expired";
  return undefined;
}

export function generateCertificates(req: CertificateRequest): CertificateReport {
  const now = req.now ?? Date.now();
  const folder = join(req.dir, CERTIFICATES_DIR);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const at = (f: string): string => join(folder, f);
  const haveCa = existsSync(at(CERT_FILES.ca)) && existsSync(at(CERT_FILES.caKey));
  if (!haveCa && existsSync(at(CERT_FILES.ca))) {
    throw new InputError([{ file: at(CERT_FILES.ca), message: `is there without ${CERT_FILES.caKey}: your own CA's certificates are used as they are; lading certificates issues only from its own CA (remove ${CERT_FILES.ca} to let it create one)` }]);
  }
  /** Whether a certificate must be issued, and why (undefined: keep it). */
  const decide = (cert: string, key: string, sans: { addresses: string[]; names: string[] }): { issue: boolean; reason?: string } => {
    if (!haveCa || !existsSync(at(cert)) || !existsSync(at(key))) return { issue: true };
    const reason = replacementReason(at(cert), sans, now);
    return { issue: req.renew || reason !== undefined, reason };
  };
  const server = decide(CERT_FILES.cert, CERT_FILES.key, req);
  const backend = req.backend && decide(CERT_FILES.backendCert, CERT_FILES.backendKey, req.backend);
  const summaryOf = (f: string): CertificateSummary => summarize(at(f), new X509Certificate(readFileSync(at(f))));
  if (!server.issue && !backend?.issue) {
    return { folder, createdCa: false, kept: summaryOf(CERT_FILES.cert), ...(req.backend ? { backendKept: summaryOf(CERT_FILES.backendCert) } : {}) };
  }

  const work = mkdtempSync(join(tmpdir(), "lading-certificates-"));
  chmodSync(work, 0o700);
  const w = (f: string): string => join(work, f);
  try {
    if (!haveCa) {
      openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", w("ca.key")], "creating the CA key");
      writeFileSync(w("ca.cnf"), ["[req]", "distinguished_name = dn", "prompt = no", "x509_extensions = v3_ca", "[dn]", `CN = lading CA ${randomBytes(4).toString("hex")}`, "[v3_ca]", "basicConstraints = critical,CA:TRUE,pathlen:0", "keyUsage = critical,keyCertSign,cRLSign", "subjectKeyIdentifier = hash", ""].join("\n"));
      openssl(["req", "-x509", "-new", "-config", w("ca.cnf"), "-key", w("ca.key"), "-days", String(CA_DAYS), "-sha256", "-out", w("ca.pem")], "creating the CA certificate");
    } else {
      writeFileSync(w("ca.key"), readFileSync(at(CERT_FILES.caKey)), { mode: 0o600 });
      writeFileSync(w("ca.pem"), readFileSync(at(CERT_FILES.ca)));
    }
    /** Issues a server certificate for these SANs from the CA in `work`, and puts it and its key in the folder. */
    const issue = (name: string, commonName: string, sans: { addresses: string[]; names: string[] }, certFile: string, keyFile: string): CertificateSummary => {
      openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", w(`${name}.key`)], `creating the ${name} key`);
      writeFileSync(
        w(`${name}.cnf`),
        [
          "[req]",
          "distinguished_name = dn",
          "prompt = no",
          "[dn]",
          `CN = ${commonName.replace(/[^A-Za-z0-9.:*-]/g, "")}`,
          "[v3]",
          "basicConstraints = critical,CA:FALSE",
          "keyUsage = critical,digitalSignature,keyEncipherment",
          "extendedKeyUsage = serverAuth",
          "authorityKeyIdentifier = keyid",
          `subjectAltName = ${subjectAltNames(sans.addresses, sans.names)}`,
          "",
        ].join("\n"),
      );
      openssl(["req", "-new", "-config", w(`${name}.cnf`), "-key", w(`${name}.key`), "-out", w(`${name}.csr`)], `creating the ${name} certificate request`);
      openssl(
        ["x509", "-req", "-in", w(`${name}.csr`), "-CA", w("ca.pem"), "-CAkey", w("ca.key"), "-set_serial", `0x${randomBytes(16).toString("hex").replace(/^[89a-f]/, "7")}`, "-days", String(req.days), "-sha256", "-extfile", w(`${name}.cnf`), "-extensions", "v3", "-out", w(`${name}.pem`)],
        `signing the ${name} certificate`,
      );
      // Key first: a certificate never points at a key that is not there yet.
      writePrivateFileAtomically(at(keyFile), readFileSync(w(`${name}.key`), "utf8"));
      writeFileSync(at(certFile), readFileSync(w(`${name}.pem`)), { mode: 0o644 });
      return summaryOf(certFile);
    };
    if (!haveCa) writePrivateFileAtomically(at(CERT_FILES.caKey), readFileSync(w("ca.key"), "utf8"));
    const issued = server.issue ? issue("server", req.commonName, req, CERT_FILES.cert, CERT_FILES.key) : undefined;
    const backendIssued = req.backend && backend?.issue ? issue("backend", "lading backends", req.backend, CERT_FILES.backendCert, CERT_FILES.backendKey) : undefined;
    if (!haveCa) writeFileSync(at(CERT_FILES.ca), readFileSync(w("ca.pem")), { mode: 0o644 });
    return {
      folder,
      createdCa: !haveCa,
      ...(issued ? { issued, reason: server.reason } : { kept: summaryOf(CERT_FILES.cert) }),
      ...(backendIssued ? { backendIssued, backendReason: backend?.reason } : req.backend ? { backendKept: summaryOf(CERT_FILES.backendCert) } : {}),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
