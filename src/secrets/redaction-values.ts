// Every value a deployment keeps secret, read leniently for a last line of redaction (lading serve passes every
// answer through it): the passwords files (plain, or decrypted in memory) and the TLS private keys, whatever
// state they are in. A file that cannot be parsed gives its lines instead: even a broken file never leaks.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { encryptedPasswordsFiles, listEnvironments, passwordsFileIn, ENVIRONMENTS_DIR } from "../model/project.js";
import { CERTIFICATES_DIR } from "../tls/certificates.js";
import type { SecretValue } from "./secret-value.js";

export function secretValuesOf(opts: { dir: string; passwords?: string; environment?: string }, decrypted: ReadonlyMap<string, string> = new Map()): SecretValue[] {
  const folders = [opts.dir, ...listEnvironments(opts.dir).map((e) => join(opts.dir, ENVIRONMENTS_DIR, e))];
  const files = new Set([...(opts.passwords ? [opts.passwords] : []), ...folders.map((f) => passwordsFileIn(f)), ...folders.map((f) => join(f, "passwords.yml")), ...encryptedPasswordsFiles(opts)]);
  const out: SecretValue[] = [];
  for (const file of files) {
    const text = decrypted.get(file) ?? (existsSync(file) && !file.endsWith(".age") ? readFileSync(file, "utf8") : undefined);
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = parse(text);
    } catch {
      value = text.split("\n").map((l) => l.replace(/^[^:]*:\s*/, "").trim());
    }
    collect(value, out);
  }
  for (const folder of folders) {
    const key = join(folder, CERTIFICATES_DIR, "haproxy.key");
    if (existsSync(key)) out.push({ private_key: readFileSync(key, "utf8"), public_key: "" });
  }
  return out;
}

function collect(value: unknown, out: SecretValue[]): void {
  if (typeof value === "string" && value.trim()) out.push(value);
  else if (value && typeof value === "object" && !Array.isArray(value) && typeof (value as { private_key?: unknown }).private_key === "string") {
    const v = value as { private_key: string; public_key?: unknown };
    out.push({ private_key: v.private_key, public_key: typeof v.public_key === "string" ? v.public_key : "" });
  } else if (value && typeof value === "object") for (const v of Object.values(value)) collect(v, out);
}
