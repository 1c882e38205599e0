// Ansible reads INI values with Python's ast.literal_eval and keeps the text when that fails
// (`port=22` is the integer 22, `flag=True` a boolean, `name=web` the string "web"). This evaluates
// the same subset of Python literals: numbers, strings, True/False/None, lists, tuples, dicts, sets.

/** The value Ansible would store for INI value text `text`. */
export function evaluateIniValue(text: string): unknown {
  const parsed = parsePythonLiteral(text);
  return parsed.ok ? parsed.value : text;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/** Parses `text` as one Python literal expression; `{ok: false}` when literal_eval would raise. */
export function parsePythonLiteral(text: string): Parsed {
  try {
    const parser = new LiteralParser(text.replace(/^[ \t]+/, ""));
    const value = parser.parseTop();
    return { ok: true, value };
  } catch (err) {
    if (err instanceof NotALiteral) return { ok: false };
    throw err;
  }
}

class NotALiteral extends Error {}

/** Python's complex numbers and other types Ansible cannot keep become their text. */
class Verbatim {
  constructor(readonly text: string) {}
}

class LiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseTop(): unknown {
    this.skipSpace();
    const first = this.parseExpr();
    this.skipSpace();
    if (this.peek() === ",") {
      // `1, 2` is a tuple at the top level.
      const items = [first];
      while (this.eat(",")) {
        this.skipSpace();
        if (this.atEnd()) break;
        items.push(this.parseExpr());
        this.skipSpace();
      }
      this.expectEnd();
      return items.map(finish);
    }
    this.expectEnd();
    return finish(first);
  }

  private expectEnd(): void {
    this.skipSpace();
    if (!this.atEnd()) throw new NotALiteral();
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? "";
  }

  private eat(ch: string): boolean {
    if (this.src.startsWith(ch, this.pos)) {
      this.pos += ch.length;
      return true;
    }
    return false;
  }

  /** Spaces, tabs and `# comments` (Python's tokenizer drops them). */
  private skipSpace(): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++;
      else if (c === "#") this.pos = this.src.length;
      else return;
    }
  }

  private parseExpr(): unknown {
    this.skipSpace();
    const c = this.peek();
    if (c === "[") return this.parseSequence("[", "]");
    if (c === "(") return this.parseParen();
    if (c === "{") return this.parseBrace();
    if (c === "+" || c === "-") {
      this.pos++;
      this.skipSpace();
      const value = this.parseNumber();
      if (value instanceof Verbatim) return new Verbatim((c === "-" ? "-" : "") + value.text);
      return c === "-" ? -value : value;
    }
    if (/[0-9.]/.test(c)) return this.parseNumber();
    const strings = this.parseStrings();
    if (strings !== undefined) return strings;
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos))?.[0];
    if (word === "True" || word === "False" || word === "None") {
      this.pos += word.length;
      return word === "True" ? true : word === "False" ? false : null;
    }
    throw new NotALiteral();
  }

  private parseSequence(open: string, close: string): unknown[] {
    this.eat(open);
    const items: unknown[] = [];
    this.skipSpace();
    while (!this.eat(close)) {
      if (this.atEnd()) throw new NotALiteral();
      items.push(this.parseExpr());
      this.skipSpace();
      if (this.eat(",")) {
        this.skipSpace();
        continue;
      }
      this.skipSpace();
      if (!this.eat(close)) throw new NotALiteral();
      break;
    }
    return items;
  }

  /** `(1)` is 1, `(1,)` and `(1, 2)` are tuples (lists for Ansible), `()` is an empty tuple. */
  private parseParen(): unknown {
    const start = this.pos;
    this.eat("(");
    this.skipSpace();
    if (this.eat(")")) return [];
    const first = this.parseExpr();
    this.skipSpace();
    if (this.eat(")")) return first;
    this.pos = start;
    return this.parseSequence("(", ")");
  }

  private parseBrace(): unknown {
    this.eat("{");
    this.skipSpace();
    if (this.eat("}")) return {};
    const firstKey = this.parseExpr();
    this.skipSpace();
    if (!this.eat(":")) {
      // A set: Ansible keeps it as a list.
      const items = [firstKey];
      while (this.eat(",")) {
        this.skipSpace();
        if (this.peek() === "}") break;
        items.push(this.parseExpr());
        this.skipSpace();
      }
      if (!this.eat("}")) throw new NotALiteral();
      return items;
    }
    const dict: Record<string, unknown> = {};
    let key: unknown = firstKey;
    for (;;) {
      if (Array.isArray(key) || (key !== null && typeof key === "object" && !(key instanceof Verbatim))) {
        throw new NotALiteral(); // unhashable key: literal_eval raises
      }
      const value = this.parseExpr();
      dict[keyText(key)] = value;
      this.skipSpace();
      if (this.eat("}")) return dict;
      if (!this.eat(",")) throw new NotALiteral();
      this.skipSpace();
      if (this.eat("}")) return dict;
      key = this.parseExpr();
      this.skipSpace();
      if (!this.eat(":")) throw new NotALiteral();
    }
  }

  private parseNumber(): number | Verbatim {
    const rest = this.src.slice(this.pos);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+/.exec(rest) ??
      /^0[oO](?:_?[0-7])+/.exec(rest) ??
      /^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/.exec(rest);
    if (!m || m[0] === "" || m[0] === ".") throw new NotALiteral();
    const text = m[0];
    // A letter or digit right after a number (`1abc`, `08`) is a syntax error in Python.
    if (/^[A-Za-z0-9_]/.test(rest.slice(text.length))) throw new NotALiteral();
    this.pos += text.length;
    const clean = text.replace(/_/g, "");
    if (/[jJ]$/.test(clean)) return new Verbatim(text);
    if (/^0[xXoObB]/.test(clean)) return safeInteger(clean, Number(clean));
    if (/^\d+$/.test(clean)) {
      // Python forbids leading zeros in decimal integers (`010`), except for zero itself (`00`).
      if (clean.length > 1 && clean.startsWith("0") && /[1-9]/.test(clean)) throw new NotALiteral();
      return safeInteger(clean, Number(clean));
    }
    return Number(clean);
  }

  /** One or more adjacent string literals (Python concatenates them); undefined when none starts here. */
  private parseStrings(): string | undefined {
    let result: string | undefined;
    for (;;) {
      const s = this.parseOneString();
      if (s === undefined) return result;
      result = (result ?? "") + s;
      this.skipSpace();
    }
  }

  private parseOneString(): string | undefined {
    const rest = this.src.slice(this.pos);
    const m = /^([rRbBuU]|[rR][bB]|[bB][rR])?('''|"""|'|")/.exec(rest);
    if (!m) return undefined;
    const prefix = (m[1] ?? "").toLowerCase();
    const quote = m[2]!;
    const raw = prefix.includes("r");
    let i = this.pos + m[0].length;
    let out = "";
    for (;;) {
      if (i >= this.src.length) throw new NotALiteral();
      if (this.src.startsWith(quote, i)) {
        i += quote.length;
        break;
      }
      const c = this.src[i]!;
      if (c === "\n" && quote.length === 1) throw new NotALiteral();
      if (c === "\\") {
        const next = this.src[i + 1];
        if (next === undefined) throw new NotALiteral();
        if (raw) {
          out += c + next;
          i += 2;
          continue;
        }
        const [text, used] = decodeEscape(this.src, i + 1, prefix.includes("b"));
        out += text;
        i += 1 + used;
        continue;
      }
      out += c;
      i++;
    }
    this.pos = i;
    return out;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\n": "",
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Decodes the escape after a backslash at `at`; returns the text and how many characters it used. */
function decodeEscape(src: string, at: number, bytes: boolean): [string, number] {
  const c = src[at]!;
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c]!, 1];
  const octal = /^[0-7]{1,3}/.exec(src.slice(at));
  if (octal) return [String.fromCodePoint(parseInt(octal[0], 8)), octal[0].length];
  const hexLength = c === "x" ? 2 : !bytes && c === "u" ? 4 : !bytes && c === "U" ? 8 : 0;
  if (hexLength) {
    const hex = src.slice(at + 1, at + 1 + hexLength);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new NotALiteral();
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new NotALiteral();
    return [String.fromCodePoint(code), 1 + hexLength];
  }
  // Python keeps unknown escapes (and \N{...}, which lading does not decode) as written.
  return ["\\" + c, 1];
}

function safeInteger(text: string, value: number): number | Verbatim {
  return Number.isSafeInteger(value) ? value : new Verbatim(text);
}

function keyText(key: unknown): string {
  if (key instanceof Verbatim) return key.text;
  if (key === null) return "None";
  if (key === true) return "True";
  if (key === false) return "False";
  return String(key);
}

/** Replaces the Verbatim markers by their text, everywhere in the value. */
function finish(value: unknown): unknown {
  if (value instanceof Verbatim) return value.text;
  if (Array.isArray(value)) return value.map(finish);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finish(v)]));
  }
  return value;
}
