// Certificates for tests that lading certificates would not make: another CA, any validity dates (an expired
// one), with the openssl command (`openssl ca` takes start and end dates; `x509 -days` only a positive count).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (args: string[]): void => void execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });

/** A new CA: its certificate and key files in `dir`, named `name`.pem and `name`.key. */
export function makeCa(dir: string, name = "other-ca"): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
  return { cert, key };
}

/**
 * A server certificate signed by the CA, valid from `start` to `end` (YYYYMMDDHHMMSSZ), with `sans`
 * (e.g. "IP:10.98.0.100"); writes `out` (certificate) and `keyOut` (its key).
 */
export function issue(opts: { caCert: string; caKey: string; sans: string; start: string; end: string; out: string; keyOut: string }): void {
  const work = mkdtempSync(join(tmpdir(), "lading-test-ca-"));
  try {
    writeFileSync(join(work, "index.txt"), "");
    writeFileSync(join(work, "serial"), "1000\n");
    writeFileSync(
      join(work, "ca.cnf"),
      ["[ca]", "default_ca = d", "[d]", `database = ${join(work, "index.txt")}`, `new_certs_dir = ${work}`, `serial = ${join(work, "serial")}`, "default_md = sha256", "policy = p", "copy_extensions = copy", "unique_subject = no", "[p]", "commonName = supplied", ""].join("\n"),
    );
    run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", opts.keyOut, "-out", join(work, "req.csr"), "-subj", "/CN=test server", "-addext", `subjectAltName=${opts.sans}`]);
    run(["ca", "-batch", "-notext", "-config", join(work, "ca.cnf"), "-cert", opts.caCert, "-keyfile", opts.caKey, "-in", join(work, "req.csr"), "-out", opts.out, "-startdate", opts.start, "-enddate", opts.end]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
