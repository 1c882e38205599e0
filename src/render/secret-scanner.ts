// Finds secret values in rendered text, for the rule that a file holding a secret must not be world-readable.
// Rendered files can be large (a 1000-host peer list in each of 1000 hosts' files) and share most of their text
// (one {{#each}} output reused by every host): scanning piece by piece keeps that text shared instead of
// copying every file into one flat string, and scans a shared piece once.

/** Pieces at least this long are remembered (they are the shared ones worth remembering). */
const REMEMBERED_LENGTH = 1024;

export class SecretScanner {
  private readonly longest: number;
  private readonly known = new Map<string, boolean>();

  constructor(private readonly secrets: readonly string[]) {
    this.longest = secrets.reduce((n, s) => Math.max(n, s.length), 0);
  }

  /** Whether `text` contains a secret. */
  inText(text: string): boolean {
    if (this.secrets.length === 0) return false;
    for (const s of this.secrets) if (text.includes(s)) return true;
    return false;
  }

  /**
   * Whether the concatenation of `parts` contains a secret: exactly as inText(parts.join("")), without
   * joining. A secret is inside one part or crosses a boundary, and then lies within the last
   * (longest - 1) characters before the boundary and the first (longest - 1) after it.
   */
  inParts(parts: readonly string[]): boolean {
    if (this.secrets.length === 0) return false;
    const edge = Math.max(this.longest - 1, 1);
    let tail = "";
    for (const part of parts) {
      if (part.length === 0) continue;
      if (this.inPart(part)) return true;
      const head = part.length > edge ? part.slice(0, edge) : part;
      if (tail && this.inText(tail + head)) return true;
      tail = part.length >= edge ? part.slice(part.length - edge) : (tail + part).slice(-edge);
    }
    return false;
  }

  private inPart(part: string): boolean {
    if (part.length < REMEMBERED_LENGTH) return this.inText(part);
    let found = this.known.get(part);
    if (found === undefined) {
      found = this.inText(part);
      this.known.set(part, found);
    }
    return found;
  }
}
