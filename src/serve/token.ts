// lading serve's bearer token: generated at the first start into the deployment folder (.lading/serve-token, mode
// 0600, in a 0700 folder), or read from the file the operator names (--token-file). Never taken from the command
// line or the environment, never printed, and compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError } from "../errors.js";

/** Where the generated token is kept, in the deployment folder. */
export const TOKEN_FILE = join(".lading", "serve-token");

/** The shortest token accepted from a file the operator gives. */
export const MIN_TOKEN_LENGTH = 32;

/** The token of `file`, or of the deployment's generated file, made at the first start. */
export function loadToken(opts: { dir: string; tokenFile?: string }): { token: string; file: string; created: boolean } {
  const file = opts.tokenFile ? resolve(opts.tokenFile) : join(resolve(opts.dir), TOKEN_FILE);
  if (!existsSync(file)) {
    if (opts.tokenFile) throw new InputError([{ file, message: "token file not found" }]);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    return { token: readToken(file), file, created: true };
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new InputError([{ file, message: `mode ${mode.toString(8).padStart(4, "0")} lets others read the API token: run chmod 600 ${file}` }]);
  return { token: readToken(file), file, created: false };
}

function readToken(file: string): string {
  const token = readFileSync(file, "utf8").trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) throw new InputError([{ file, message: `the token must be one line of at least ${MIN_TOKEN_LENGTH} characters without spaces` }]);
  return token;
}

/** Whether an Authorization header carries the token, in time that does not depend on where they differ. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (\S+)$/i.exec(header ?? "")?.[1] ?? "";
  // Hashes have one length: timingSafeEqual needs that, and the length of the given token tells nothing.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}
