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
function replacementReason(certFile: string, req: CertificateRequest, now: number): string | undefined {
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
  const reason = haveCa && existsSync(at(CERT_FILES.cert)) ? replacementReason(at(CERT_FILES.cert), req, now) : undefined;
  if (haveCa && existsSync(at(CERT_FILES.cert)) && existsSync(at(CERT_FILES.key)) && !req.renew && !reason) {
    return { folder, createdCa: false, kept: summarize(at(CERT_FILES.cert), new X509Certificate(readFileSync(at(CERT_FILES.cert)))) };
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
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", w("server.key")], "creating the server key");
    writeFileSync(
      w("server.cnf"),
      [
        "[req]",
        "distinguished_name = dn",
        "prompt = no",
        "[dn]",
        `CN = ${req.commonName.replace(/[^A-Za-z0-9.:*-]/g, "")}`,
        "[v3]",
        "basicConstraints = critical,CA:FALSE",
        "keyUsage = critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage = serverAuth",
        "authorityKeyIdentifier = keyid",
        `subjectAltName = ${subjectAltNames(req.addresses, req.names)}`,
        "",
      ].join("\n"),
    );
    openssl(["req", "-new", "-config", w("server.cnf"), "-key", w("server.key"), "-out", w("server.csr")], "creating the certificate request");
    openssl(
      ["x509", "-req", "-in", w("server.csr"), "-CA", w("ca.pem"), "-CAkey", w("ca.key"), "-set_serial", `0x${randomBytes(16).toString("hex").replace(/^[89a-f]/, "7")}`, "-days", String(req.days), "-sha256", "-extfile", w("server.cnf"), "-extensions", "v3", "-out", w("server.pem")],
      "signing the server certificate",
    );
    // Keys first: a certificate never points at a key that is not there yet.
    if (!haveCa) writePrivateFileAtomically(at(CERT_FILES.caKey), readFileSync(w("ca.key"), "utf8"));
    writePrivateFileAtomically(at(CERT_FILES.key), readFileSync(w("server.key"), "utf8"));
    writeFileSync(at(CERT_FILES.cert), readFileSync(w("server.pem")), { mode: 0o644 });
    if (!haveCa) writeFileSync(at(CERT_FILES.ca), readFileSync(w("ca.pem")), { mode: 0o644 });
    const issued = summarize(at(CERT_FILES.cert), new X509Certificate(readFileSync(at(CERT_FILES.cert))));
    return { folder, createdCa: !haveCa, issued, reason };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
