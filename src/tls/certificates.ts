// The deployment's TLS material (certificates/ in the deployment folder) and the checks every command that
// loads the deployment runs on it before touching a host: expiry, key match, chain to the CA, SANs cover the VIP.
// Reading and verifying uses node's X509Certificate; creating them is src/tls/generate.ts (the openssl CLI).
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Problem } from "../errors.js";
import { formatMode, isLooserThanPrivate } from "../secrets/write-private-file.js";

/** Where a deployment keeps its certificates, and the files there. */
export const CERTIFICATES_DIR = "certificates";
export const CERT_FILES = {
  /** The CA clients trust (one or more PEM certificates): the generated private CA, or the issuer of your own. */
  ca: "ca.pem",
  /** The private CA's key: only when lading generated the CA (`lading certificates`); HAProxy never sees it. */
  caKey: "ca.key",
  /** HAProxy's certificate, then any intermediate certificates (certbot's fullchain.pem). */
  cert: "haproxy.pem",
  /** HAProxy's private key (certbot's privkey.pem). */
  key: "haproxy.key",
  /** The backends' certificate (tls_internal: each HTTP service behind HAProxy serves it on its host), then any intermediates. */
  backendCert: "backend.pem",
  /** Its private key. */
  backendKey: "backend.key",
} as const;

/** What `check` and messages say of a certificate. */
export interface CertificateSummary {
  file: string;
  subject: string;
  /** notAfter as an ISO date. */
  expires: string;
  expiresMs: number;
}

/** The certificate material a deployment with tls_external serves. */
export interface DeploymentCertificates {
  dir: string;
  /** HAProxy's PEM: certificate, chain, then the key (what `crt` reads); it holds the key: a secret. */
  bundle: string;
  /** The private key alone, for redaction. */
  keyPem: string;
  caPem: string;
  /** Absolute path of the CA file (ca.pem), for the clients' configuration the operator uses (clouds.yaml). */
  caFile: string;
  leaf: CertificateSummary;
}

/** The backends' certificate (tls_internal), checked like HAProxy's. */
export interface BackendCertificate {
  /** Certificate then chain. */
  certificatePem: string;
  keyPem: string;
  caPem: string;
  /** Absolute path of ca.pem, as DeploymentCertificates.caFile. */
  caFile: string;
  leaf: CertificateSummary;
}

export interface CertificateCheckInput {
  /** The deployment folder. */
  dir: string;
  /** Addresses and names the certificate must cover (the VIP, tls_external_name). */
  mustCover: string[];
  now: number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates of a text, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

export function summarize(file: string, cert: X509Certificate): CertificateSummary {
  const expiresMs = Date.parse(cert.validTo);
  return { file, subject: cert.subject.replace(/\n/g, ", "), expires: new Date(expiresMs).toISOString(), expiresMs };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether the certificate's SANs cover an address or a DNS name. */
export function covers(cert: X509Certificate, name: string): boolean {
  if (IPV4.test(name) || name.includes(":")) return cert.checkIP(name) !== undefined;
  return cert.checkHost(name, { subject: "never" }) !== undefined;
}

/**
 * Reads and checks the deployment's certificates: every problem names its file and the reason. Returns the
 * material when there is none.
 */
export function loadCertificates(input: CertificateCheckInput): { certificates?: DeploymentCertificates; problems: Problem[] } {
  const r = checkPair(input, CERT_FILES.cert, CERT_FILES.key, "tls_external");
  if (!r.pair) return { problems: r.problems };
  const { chain, keyPem, caPem, leaf, folder } = r.pair;
  return {
    certificates: {
      dir: folder,
      // HAProxy's crt: certificate, chain, key; no blank line (the runtime API's payload ends at one).
      bundle: `${chain}\n${keyPem}\n`,
      keyPem,
      caPem,
      caFile: r.pair.caFile,
      leaf,
    },
    problems: [],
  };
}

/** The backends' certificate and key (tls_internal), checked as HAProxy's are; mustCover: every backend host's name and address. */
export function loadBackendCertificate(input: CertificateCheckInput): { backend?: BackendCertificate; problems: Problem[] } {
  const r = checkPair(input, CERT_FILES.backendCert, CERT_FILES.backendKey, "tls_internal");
  if (!r.pair) return { problems: r.problems };
  return { backend: { certificatePem: `${r.pair.chain}\n`, keyPem: `${r.pair.keyPem}\n`, caPem: r.pair.caPem, caFile: r.pair.caFile, leaf: r.pair.leaf }, problems: [] };
}

interface CheckedPair {
  folder: string;
  /** The certificate and its chain, PEM, trimmed. */
  chain: string;
  keyPem: string;
  caPem: string;
  caFile: string;
  leaf: CertificateSummary;
}

/** A certificate file and its key in certificates/: present, readable, private, matching, in date, chained to ca.pem, covering mustCover. */
function checkPair(input: CertificateCheckInput, certName: string, keyName: string, setting: string): { pair?: CheckedPair; problems: Problem[] } {
  const folder = join(input.dir, CERTIFICATES_DIR);
  const path = (f: string): string => join(folder, f);
  const problems: Problem[] = [];
  const problem = (file: string, message: string): void => void problems.push({ file: path(file), message });
  const missing = [CERT_FILES.ca, certName, keyName].filter((f) => !existsSync(path(f)));
  if (missing.length) {
    for (const f of missing) problem(f, `not found: ${setting} is on; run lading certificates, or put your own PEM files there (README "TLS")`);
    return { problems };
  }
  const read = (f: string): string => readFileSync(path(f), "utf8");
  let key: KeyObject | undefined;
  const keyPem = read(keyName);
  const keyMode = statSync(path(keyName)).mode;
  if (isLooserThanPrivate(keyMode)) problem(keyName, `is mode ${formatMode(keyMode)}, readable by others: a private key must be 0600 (chmod 600)`);
  try {
    key = createPrivateKey(keyPem);
  } catch {
    // The error of a bad key may quote it: say only what is wrong.
    problem(keyName, "is not a readable PEM private key (unencrypted PKCS#8, PKCS#1 or SEC1)");
  }
  const parse = (f: string): X509Certificate[] | undefined => {
    const pems = pemCertificates(read(f));
    if (!pems.length) {
      problem(f, "holds no PEM certificate");
      return undefined;
    }
    try {
      return pems.map((p) => new X509Certificate(p));
    } catch (err) {
      problem(f, `holds a certificate that cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  const chain = parse(certName);
  const cas = parse(CERT_FILES.ca);
  if (!chain || !cas) return { problems };
  const leaf = chain[0]!;
  const leafSummary = summarize(path(certName), leaf);
  const notBefore = Date.parse(leaf.validFrom);
  if (leafSummary.expiresMs <= input.now) problem(certName, `certificate ${leafSummary.subject} expired on ${leafSummary.expires}: renew it (lading certificates --renew, or your CA)`);
  else if (notBefore > input.now) problem(certName, `certificate ${leafSummary.subject} is not valid before ${new Date(notBefore).toISOString()}`);
  for (const ca of cas) {
    const s = summarize(path(CERT_FILES.ca), ca);
    if (s.expiresMs <= input.now) problem(CERT_FILES.ca, `CA certificate ${s.subject} expired on ${s.expires}`);
  }
  if (key && !leaf.checkPrivateKey(key)) problem(keyName, `does not match the certificate of ${certName} (${leafSummary.subject})`);
  const chainProblem = verifyChain(chain, cas);
  if (chainProblem) problem(certName, chainProblem);
  for (const name of input.mustCover) {
    if (!covers(leaf, name)) problem(certName, `certificate ${leafSummary.subject} does not cover ${name} (its SANs: ${leaf.subjectAltName ?? "none"}): issue one that does (lading certificates --renew)`);
  }
  if (problems.length) return { problems };
  return {
    pair: {
      folder,
      chain: chain.map((c) => c.toString().trim()).join("\n"),
      keyPem: keyPem.trim(),
      caPem: `${cas.map((c) => c.toString().trim()).join("\n")}\n`,
      caFile: resolve(path(CERT_FILES.ca)),
      leaf: leafSummary,
    },
    problems,
  };
}

/**
 * Each certificate of the chain is signed by the next one, and the last by a certificate of the CA file
 * (or is one of them). Returns why not, or undefined.
 */
export function verifyChain(chain: X509Certificate[], cas: X509Certificate[]): string | undefined {
  for (let i = 0; i + 1 < chain.length; i++) {
    const [c, issuer] = [chain[i]!, chain[i + 1]!];
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return `the chain does not verify: ${c.subject.replace(/\n/g, ", ")} is not signed by the next certificate of the file (${issuer.subject.replace(/\n/g, ", ")})`;
  }
  const last = chain[chain.length - 1]!;
  if (cas.some((ca) => ca.fingerprint256 === last.fingerprint256)) return undefined;
  if (cas.some((ca) => last.checkIssued(ca) && last.verify(ca.publicKey))) return undefined;
  return `the chain does not verify against ${CERT_FILES.ca}: ${last.subject.replace(/\n/g, ", ")} (issuer ${last.issuer.replace(/\n/g, ", ")}) is signed by none of its certificates`;
}

/** The certificates of a PEM text (a deployed bundle) that expire before `before`, for check. */
export function expiringIn(text: string, file: string, before: number): CertificateSummary[] {
  const out: CertificateSummary[] = [];
  for (const pem of pemCertificates(text)) {
    try {
      const s = summarize(file, new X509Certificate(pem));
      if (s.expiresMs < before) out.push(s);
    } catch {
      // Not readable: validate refuses such a file before it is deployed.
    }
  }
  return out;
}
