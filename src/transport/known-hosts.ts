// known_hosts: reading, matching (plain, wildcard, negated and hashed `|1|salt|hash` host patterns,
// `[host]:port` for ports other than 22), `@revoked` markers, and appending accepted keys.
// `@cert-authority` lines are skipped: ssh2 does not verify host certificates, so they never vouch for a key.
import { createHash, createHmac } from "node:crypto";
import { appendFile, mkdir, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  marker?: "revoked" | "cert-authority";
  /** The comma-separated host pattern field as written. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: "known"; entry: KnownHostEntry }
  | { kind: "unknown"; otherTypes: KnownHostEntry[] }
  | { kind: "changed"; entry: KnownHostEntry }
  | { kind: "revoked"; entry: KnownHostEntry };

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** OpenSSH's fingerprint format: `SHA256:` and the unpadded base64 of the key blob's SHA-256. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString("latin1");
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0]?.startsWith("#")) return;
    let marker: KnownHostEntry["marker"];
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
      marker = fields[0] === "@revoked" ? "revoked" : "cert-authority";
      fields.shift();
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) return; // malformed lines are skipped, as OpenSSH does
    entries.push({ file, line: index + 1, marker, hosts, keyType, key: Buffer.from(keyBase64, "base64") });
  });
  return entries;
}

/** Parsed files by path, kept while the file's size and modification time stay the same. */
const parsedFiles = new Map<string, { mtimeMs: number; size: number; entries: KnownHostEntry[] }>();

/**
 * Reads every file that exists; missing files are simply empty. A file already read and not changed since is
 * not parsed again: a run opens one connection per host, and a 5000-line known_hosts parsed 5000 times is
 * most of what connecting costs the controller.
 */
export async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let info: { mtimeMs: number; size: number };
    try {
      info = await stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    let cached = parsedFiles.get(file);
    if (!cached || cached.mtimeMs !== info.mtimeMs || cached.size !== info.size) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      cached = { mtimeMs: info.mtimeMs, size: Buffer.byteLength(text), entries: parseKnownHosts(text, file) };
      // A file written while being read: its size differs from the stat, so it is read again next time.
      parsedFiles.set(file, cached);
    }
    if (files.length === 1) return cached.entries; // the same array each time, so that its index is reused
    all.push(...cached.entries);
  }
  return all;
}

/**
 * The entries that may name a host, found without testing every line: entries whose host field holds only
 * literal names are filed under each name; the others (wildcards, negations, hashed names) are tested one
 * by one. Built once per entries array.
 */
interface EntryIndex {
  byName: Map<string, number[]>;
  patterned: number[];
  revoked: KnownHostEntry[];
}

const indexes = new WeakMap<readonly KnownHostEntry[], EntryIndex>();

function indexOf(entries: readonly KnownHostEntry[]): EntryIndex {
  let index = indexes.get(entries);
  if (index) return index;
  index = { byName: new Map(), patterned: [], revoked: [] };
  entries.forEach((e, i) => {
    if (e.marker === "revoked") index!.revoked.push(e);
    const patterns = e.hosts.split(",");
    if (patterns.some((p) => p.startsWith("|") || p.startsWith("!") || /[*?]/.test(p))) {
      index!.patterned.push(i);
      return;
    }
    for (const name of new Set(patterns.map((p) => p.toLowerCase()))) {
      const list = index!.byName.get(name);
      if (list) list.push(i);
      else index!.byName.set(name, [i]);
    }
  });
  indexes.set(entries, index);
  return index;
}

/** The entries whose host field names `name`, markers included, in file order. */
function entriesNaming(entries: readonly KnownHostEntry[], name: string): KnownHostEntry[] {
  const index = indexOf(entries);
  const literal = index.byName.get(name.toLowerCase()) ?? [];
  const patterned = index.patterned.filter((i) => hostFieldMatches(entries[i]!.hosts, name));
  const positions = patterned.length === 0 ? literal : [...literal, ...patterned].sort((a, b) => a - b);
  return positions.map((i) => entries[i]!);
}

/** Compiled wildcard patterns: a pattern is tested against every host of a run. */
const wildcardRegexes = new Map<string, RegExp>();

function matchesWildcard(pattern: string, name: string): boolean {
  const cached = wildcardRegexes.get(pattern);
  if (cached) return cached.test(name);
  const regex = pattern.replace(/[\\^$.|+(){}[\]]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  const compiled = new RegExp(`^${regex}$`, "i");
  wildcardRegexes.set(pattern, compiled);
  return compiled.test(name);
}

function matchesHashed(pattern: string, name: string): boolean {
  const [, , salt, hash] = pattern.split("|");
  if (!salt || !hash) return false;
  const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return digest === hash;
}

/** Whether a host field (`a,b,!c,*.lab,[10.0.0.1]:2222,|1|salt|hash`) names `name`. A negated match wins. */
export function hostFieldMatches(hosts: string, name: string): boolean {
  let matched = false;
  for (const pattern of hosts.split(",")) {
    if (pattern.startsWith("|1|")) {
      if (matchesHashed(pattern, name)) matched = true;
    } else if (pattern.startsWith("!")) {
      if (matchesWildcard(pattern.slice(1), name)) return false;
    } else if (matchesWildcard(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Judges the key a server presented against the known entries for `name` (see knownHostName). */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, keyBlob: Buffer): HostKeyVerdict {
  // A revoked key must never be accepted, whichever host it is presented for.
  const revoked = indexOf(entries).revoked.find((e) => e.key.equals(keyBlob));
  if (revoked) return { kind: "revoked", entry: revoked };
  const forHost = entriesNaming(entries, name).filter((e) => e.marker === undefined);
  const same = forHost.find((e) => e.key.equals(keyBlob));
  if (same) return { kind: "known", entry: same };
  const type = keyTypeOfBlob(keyBlob);
  const changed = forHost.find((e) => e.keyType === type);
  if (changed) return { kind: "changed", entry: changed };
  return { kind: "unknown", otherTypes: forHost };
}

/** Host key algorithms to offer, the types already known for `name` first, so that a host known by its
 * ECDSA key is not asked for an Ed25519 key we would have to treat as new. */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], name: string): string[] {
  const defaults = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  const knownTypes = new Set(
    entriesNaming(entries, name).filter((e) => e.marker === undefined).map((e) => e.keyType),
  );
  const algorithmType = (algorithm: string): string => (algorithm.startsWith("rsa-sha2-") ? "ssh-rsa" : algorithm);
  const preferred = defaults.filter((a) => knownTypes.has(algorithmType(a)));
  return [...preferred, ...defaults.filter((a) => !preferred.includes(a))];
}

/** Appends `name type base64` to `file` (created with its directory if missing), like accept-new. */
export async function appendKnownHost(file: string, name: string, keyBlob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = "";
  try {
    const existing = await readFile(file);
    if (existing.length > 0 && existing[existing.length - 1] !== 0x0a) prefix = "\n";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await appendFile(file, `${prefix}${name} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString("base64")}\n`, { mode: 0o644 });
}
