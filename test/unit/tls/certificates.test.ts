import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CERT_FILES, CERTIFICATES_DIR, loadCertificates, verifyChain } from "../../../src/tls/certificates.js";
import { generateCertificates, subjectAltNames, type CertificateRequest } from "../../../src/tls/generate.js";
import { describeExpiring, expiringCertificates } from "../../../src/tls/expiry.js";
import { Redactor } from "../../../src/secrets/redact.js";
import { facts, fileFact, service, state, file } from "../engine/fixtures.js";
import { issue, makeCa } from "./openssl-fixtures.js";

const VIP = "10.98.0.100";
const request = (dir: string, over: Partial<CertificateRequest> = {}): CertificateRequest => ({
  dir,
  commonName: VIP,
  addresses: [VIP, "10.98.0.11"],
  names: ["lab1"],
  days: 365,
  renew: false,
  ...over,
});
const at = (dir: string, f: string): string => join(dir, CERTIFICATES_DIR, f);
const check = (dir: string, mustCover = [VIP]) => loadCertificates({ dir, mustCover, now: Date.now() });
const messages = (dir: string, mustCover = [VIP]): string[] => check(dir, mustCover).problems.map((p) => `${p.file.slice(p.file.lastIndexOf("/") + 1)}: ${p.message}`);

describe("TLS certificates", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lading-tls-"));
  });

  it("lading certificates makes a CA and a certificate covering the VIP and the hosts, keys 0600, and they pass the checks", () => {
    const r = generateCertificates(request(dir));
    assert.equal(r.createdCa, true);
    assert.ok(r.issued);
    for (const key of [CERT_FILES.key, CERT_FILES.caKey]) assert.equal(statSync(at(dir, key)).mode & 0o777, 0o600, key);
    const cert = new X509Certificate(readFileSync(at(dir, CERT_FILES.cert)));
    assert.equal(cert.subjectAltName, "IP Address:10.98.0.100, IP Address:10.98.0.11, DNS:lab1");
    assert.ok(cert.checkIssued(new X509Certificate(readFileSync(at(dir, CERT_FILES.ca)))));
    const loaded = check(dir, [VIP, "lab1"]);
    assert.deepEqual(loaded.problems, []);
    // HAProxy's crt: certificate then key, with no blank line (the runtime API payload ends at one).
    const bundle = loaded.certificates!.bundle;
    assert.match(bundle, /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\n$/);
    assert.doesNotMatch(bundle, /\n\n/);
  });

  it("keeps a valid certificate, renews with --renew from the same CA, and replaces one that misses a new host", () => {
    generateCertificates(request(dir));
    const first = readFileSync(at(dir, CERT_FILES.cert), "utf8");
    const ca = readFileSync(at(dir, CERT_FILES.ca), "utf8");
    const kept = generateCertificates(request(dir));
    assert.ok(kept.kept && !kept.issued);
    assert.equal(readFileSync(at(dir, CERT_FILES.cert), "utf8"), first);
    const renewed = generateCertificates(request(dir, { renew: true }));
    assert.ok(renewed.issued && !renewed.createdCa);
    assert.notEqual(readFileSync(at(dir, CERT_FILES.cert), "utf8"), first);
    assert.equal(readFileSync(at(dir, CERT_FILES.ca), "utf8"), ca, "the CA is kept");
    const grown = generateCertificates(request(dir, { addresses: [VIP, "10.98.0.11", "10.98.0.14"] }));
    assert.match(grown.reason ?? "", /does not cover 10\.98\.0\.14/);
    assert.deepEqual(check(dir).problems, []);
  });

  it("refuses an expired certificate, naming the file, subject and date", () => {
    generateCertificates(request(dir));
    issue({ caCert: at(dir, CERT_FILES.ca), caKey: at(dir, CERT_FILES.caKey), sans: `IP:${VIP}`, start: "20200101000000Z", end: "20200201000000Z", out: at(dir, CERT_FILES.cert), keyOut: at(dir, CERT_FILES.key) });
    chmodSync(at(dir, CERT_FILES.key), 0o600);
    assert.deepEqual(messages(dir), ["haproxy.pem: certificate CN=test server expired on 2020-02-01T00:00:00.000Z: renew it (lading certificates --renew, or your CA)"]);
  });

  it("refuses a key that does not match the certificate", () => {
    generateCertificates(request(dir));
    const other = mkdtempSync(join(tmpdir(), "lading-tls-other-"));
    generateCertificates(request(other));
    copyFileSync(at(other, CERT_FILES.key), at(dir, CERT_FILES.key));
    assert.deepEqual(messages(dir), ["haproxy.key: does not match the certificate of haproxy.pem (CN=10.98.0.100)"]);
  });

  it("refuses a certificate whose chain does not verify against ca.pem", () => {
    generateCertificates(request(dir));
    const other = makeCa(dir);
    copyFileSync(other.cert, at(dir, CERT_FILES.ca));
    const m = messages(dir);
    assert.equal(m.length, 1);
    assert.match(m[0]!, /^haproxy\.pem: the chain does not verify against ca\.pem: CN=10\.98\.0\.100 \(issuer CN=lading CA [0-9a-f]+\) is signed by none of its certificates$/);
  });

  it("accepts a chain with an intermediate in the certificate file (certbot's fullchain.pem) and refuses a broken one", () => {
    const root = makeCa(dir, "root");
    const inter = makeCa(dir, "inter");
    const leaf = { cert: join(dir, "leaf.pem"), key: join(dir, "leaf.key") };
    issue({ caCert: inter.cert, caKey: inter.key, sans: `IP:${VIP}`, start: "20250101000000Z", end: "20991231000000Z", out: leaf.cert, keyOut: leaf.key });
    const [l, i] = [new X509Certificate(readFileSync(leaf.cert)), new X509Certificate(readFileSync(inter.cert))];
    // inter is self-signed here, not by root: the chain reaches ca.pem only when ca.pem holds inter.
    assert.equal(verifyChain([l, i], [i]), undefined);
    assert.match(verifyChain([l, i], [new X509Certificate(readFileSync(root.cert))]) ?? "", /does not verify against ca\.pem/);
    assert.match(verifyChain([l, new X509Certificate(readFileSync(root.cert))], [i]) ?? "", /is not signed by the next certificate/);
  });

  it("refuses a certificate whose SANs do not cover the VIP or tls_external_name", () => {
    generateCertificates(request(dir));
    assert.deepEqual(messages(dir, ["10.98.0.101", "www.example.com"]), [
      "haproxy.pem: certificate CN=10.98.0.100 does not cover 10.98.0.101 (its SANs: IP Address:10.98.0.100, IP Address:10.98.0.11, DNS:lab1): issue one that does (lading certificates --renew)",
      "haproxy.pem: certificate CN=10.98.0.100 does not cover www.example.com (its SANs: IP Address:10.98.0.100, IP Address:10.98.0.11, DNS:lab1): issue one that does (lading certificates --renew)",
    ]);
  });

  it("names missing files, a key readable by others, and an unreadable key without quoting it", () => {
    assert.deepEqual(messages(dir).map((m) => m.split(":")[0]), ["ca.pem", "haproxy.pem", "haproxy.key"]);
    generateCertificates(request(dir));
    chmodSync(at(dir, CERT_FILES.key), 0o644);
    assert.deepEqual(messages(dir), ["haproxy.key: is mode 0644, readable by others: a private key must be 0600 (chmod 600)"]);
    writeFileSync(at(dir, CERT_FILES.key), "-----BEGIN PRIVATE KEY-----\nTOPSECRETGARBAGE\n-----END PRIVATE KEY-----\n", { mode: 0o600 });
    chmodSync(at(dir, CERT_FILES.key), 0o600);
    const m = messages(dir).join("\n");
    assert.match(m, /haproxy\.key: is not a readable PEM private key/);
    assert.doesNotMatch(m, /TOPSECRET/);
  });

  it("the SAN list names each address and name once", () => {
    assert.equal(subjectAltNames(["10.0.0.1", "10.0.0.1"], ["a", "b"]), "IP:10.0.0.1,DNS:a,DNS:b");
  });

  it("check finds a deployed certificate expiring within tls_expiry_warning, naming host, file, subject and date", () => {
    generateCertificates(request(dir, { days: 2 }));
    const loaded = check(dir).certificates!;
    const pem = file("haproxy", "haproxy.pem", loaded.bundle, { mode: "0600", restarts: [] });
    const desired = state({ lab1: [service("haproxy", [pem], [])], lab2: [service("haproxy", [pem], [])] });
    const f1 = facts();
    f1.files.set(pem.path, fileFact(loaded.bundle, "0600"));
    const now = Date.now();
    const found = expiringCertificates({ desired, facts: new Map([["lab1", f1], ["lab2", facts()]]), warningDays: () => 30, now });
    assert.deepEqual(found.map((c) => [c.host, c.file, c.subject, c.daysLeft]), [
      ["lab1", "/etc/lading/haproxy/haproxy.pem", "CN=10.98.0.100", 1],
      ["lab2", "/etc/lading/haproxy/haproxy.pem", "CN=10.98.0.100", 1],
    ]);
    assert.match(describeExpiring(found[0]!), /^lab1: certificate \/etc\/lading\/haproxy\/haproxy\.pem \(CN=10\.98\.0\.100\) expires on \d{4}-\d\d-\d\dT.* \(in 1 day\), within tls_expiry_warning \(30 days\)/);
    assert.deepEqual(expiringCertificates({ desired, facts: new Map([["lab1", f1]]), warningDays: () => 1, now }), [], "outside a 1-day window");
  });

  it("the key is hidden in every line of printed output", () => {
    generateCertificates(request(dir));
    const loaded = check(dir).certificates!;
    const redactor = new Redactor([{ private_key: loaded.keyPem, public_key: "" }]);
    const keyLines = loaded.keyPem.split("\n").filter((l) => !l.startsWith("-----"));
    const diff = keyLines.map((l) => `+${l}`).join("\n");
    const out = redactor.redact(`${diff}\n${loaded.bundle}`);
    for (const l of keyLines) assert.ok(!out.includes(l), "a key line shows");
    assert.match(out, /BEGIN CERTIFICATE/, "the certificate is not a secret");
  });
});
