// The one way lading reads a user's text file (YAML, inventory, passwords, templates, config overrides): the
// bytes must be UTF-8, or the file is refused at the first bad byte, with its line and column. Node's "utf8"
// decoding would turn such a byte into U+FFFD silently, and render it into a host's config file.
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Where `bytes` stop being UTF-8: the offset of the first byte of the first invalid sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) (len = 2), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (len = 3), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (len = 4), (min = 0x10000);
    else return i;
    if (i + len > n) return i;
    let cp = b & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return undefined;
}

/**
 * The text of `bytes` read from `file`; an InputError at the line and column (in characters) of the first byte
 * that is not UTF-8.
 */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes) ?? 0;
    const before = strictUtf8.decode(bytes.subarray(0, at));
    const lineStart = before.lastIndexOf("\n") + 1;
    const line = before.split("\n").length;
    const column = [...before.slice(lineStart)].length + 1;
    const byte = (bytes[at] ?? 0).toString(16).padStart(2, "0");
    throw new InputError([{ file, line, column, message: `not valid UTF-8 (byte 0x${byte}): save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)` }]);
  }
}

/**
 * Reads a user's text file as strict UTF-8. A missing or unreadable file (a folder, a symbolic-link loop) is an
 * InputError naming it; `missing` is the message for a file that does not exist.
 */
export function readTextFile(file: string, missing = "file not found"): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InputError([{ file, message: readErrorMessage(err, missing) }]);
  }
  return decodeUtf8(file, bytes);
}

/** What to tell the user about a file that could not be read (by its errno code). */
export function readErrorMessage(err: unknown, missing = "file not found"): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return missing;
    case "ELOOP":
      return "symbolic-link loop: a link here points back to itself (remove it or point it at a file)";
    case "EISDIR":
      return "is a folder, where a file is expected";
    case "EACCES":
      return "permission denied";
    default:
      return `cannot read file (${code ?? String(err)})`;
  }
}
