// Ed25519 key pairs in OpenSSH's own formats, built from node:crypto so that no SSH library is needed here
// (only the transport imports ssh2). Format: PROTOCOL.key and RFC 8709 in the OpenSSH sources.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { SshKeyPair } from "./secret-value.js";

const KEY_TYPE = "ssh-ed25519";
const MAGIC = "openssh-key-v1\0";
/** Unencrypted keys pad their private section to the cipher block size of "none", which is 8. */
const BLOCK_SIZE = 8;
const PEM_LINE_WIDTH = 70;

/** A new ed25519 key pair: private key as `-----BEGIN OPENSSH PRIVATE KEY-----`, public as `ssh-ed25519 AAAA... comment`. */
export function generateSshKeyPair(comment = "lading"): SshKeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d ?? "", "base64url");
  const pub = Buffer.from(jwk.x ?? "", "base64url");
  if (seed.length !== 32 || pub.length !== 32) throw new Error("node:crypto returned an ed25519 key of unexpected size");
  return {
    private_key: encodePrivateKey(seed, pub, comment),
    public_key: `${KEY_TYPE} ${publicKeyBlob(pub).toString("base64")} ${comment}`,
  };
}

/** The wire form of the public key: string "ssh-ed25519", string key. */
function publicKeyBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
}

function encodePrivateKey(seed: Buffer, pub: Buffer, comment: string): string {
  // Two equal random words let a decrypting reader check the passphrase; unencrypted keys still carry them.
  const check = randomBytes(4);
  const body = Buffer.concat([
    check,
    check,
    sshString(KEY_TYPE),
    sshString(pub),
    // OpenSSH stores the 64-byte "secret key" of ed25519 (seed followed by public key).
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padLength = (BLOCK_SIZE - (body.length % BLOCK_SIZE)) % BLOCK_SIZE;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const blob = Buffer.concat([
    Buffer.from(MAGIC, "latin1"),
    sshString("none"), // cipher
    sshString("none"), // kdf
    sshString(""), // kdf options
    uint32(1), // number of keys
    sshString(publicKeyBlob(pub)),
    sshString(Buffer.concat([body, padding])),
  ]);
  const b64 = blob.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += PEM_LINE_WIDTH) lines.push(b64.slice(i, i + PEM_LINE_WIDTH));
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function sshString(data: string | Buffer): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return Buffer.concat([uint32(bytes.length), bytes]);
}
