import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSecret } from "../../../src/secrets/generate.js";
import { generateSshKeyPair } from "../../../src/secrets/ssh-key-pair.js";

function asString(v: unknown): string {
  assert.equal(typeof v, "string");
  return v as string;
}

describe("generateSecret", () => {
  it("makes alphanumeric passwords of 32 characters by default, and of the declared length", () => {
    const p = asString(generateSecret({ kind: "password" }));
    assert.match(p, /^[A-Za-z0-9]{32}$/);
    assert.match(asString(generateSecret({ kind: "password", length: 100 })), /^[A-Za-z0-9]{100}$/);
  });

  it("never repeats a password (randomness, not a constant)", () => {
    const seen = new Set(Array.from({ length: 200 }, () => generateSecret({ kind: "password" })));
    assert.equal(seen.size, 200);
  });

  it("uses every letter and digit of the alphabet, roughly uniformly", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) for (const c of asString(generateSecret({ kind: "password", length: 62 }))) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    // 12400 draws over 62 symbols: 200 expected each; a biased generator would leave some far off.
    for (const [c, n] of counts) assert.ok(n > 120 && n < 290, `${c} drawn ${n} times`);
  });

  it("makes hex of 64 digits by default, and odd lengths exactly", () => {
    assert.match(asString(generateSecret({ kind: "hex" })), /^[0-9a-f]{64}$/);
    assert.match(asString(generateSecret({ kind: "hex", length: 9 })), /^[0-9a-f]{9}$/);
  });

  it("makes v4 UUIDs", () => {
    assert.match(asString(generateSecret({ kind: "uuid" })), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("makes Erlang cookies of 20 uppercase letters by default", () => {
    assert.match(asString(generateSecret({ kind: "erlang_cookie" })), /^[A-Z]{20}$/);
    assert.match(asString(generateSecret({ kind: "erlang_cookie", length: 32 })), /^[A-Z]{32}$/);
  });

  it("makes Fernet keys: 32 bytes in url-safe base64 with padding", () => {
    const k = asString(generateSecret({ kind: "fernet_key" }));
    assert.match(k, /^[A-Za-z0-9_-]{43}=$/);
    assert.equal(Buffer.from(k, "base64url").length, 32);
  });

  it("refuses a nonsense length", () => {
    assert.throws(() => generateSecret({ kind: "password", length: 0 }), RangeError);
  });

  it("makes ssh_key values as a pair of OpenSSH strings", () => {
    const v = generateSecret({ kind: "ssh_key" });
    assert.equal(typeof v, "object");
    const pair = v as { private_key: string; public_key: string };
    assert.match(pair.private_key, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
    assert.match(pair.public_key, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* lading$/);
  });
});

describe("generateSshKeyPair", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lading-ssh-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a private key that ssh-keygen reads and derives the same public key from", function () {
    try {
      execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") this.skip();
    }
    for (let i = 0; i < 5; i++) {
      const pair = generateSshKeyPair();
      const file = join(dir, `id_${i}`);
      writeFileSync(file, pair.private_key, { mode: 0o600 });
      const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
      assert.equal(derived, pair.public_key);
      // The fingerprint of the public key file equals the private key's: same key, not just same text.
      writeFileSync(`${file}.pub`, `${pair.public_key}\n`);
      const fpPriv = execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).split(" ")[1];
      const fpPub = execFileSync("ssh-keygen", ["-l", "-f", `${file}.pub`], { encoding: "utf8" }).split(" ")[1];
      assert.equal(fpPriv, fpPub);
    }
  });

  it("carries the comment", () => {
    assert.ok(generateSshKeyPair("deploy@x").public_key.endsWith(" deploy@x"));
  });
});
