// Splits an INI host line into words the way Ansible does (Python's shlex in POSIX mode, with comments):
// quotes group words, a backslash escapes outside single quotes, `#` starts a comment.

export interface ShellWord {
  text: string;
  /** 0-based index in the line of the word's first character. */
  start: number;
  /** For each character of `text`, the 0-based index in the line it came from (quotes removed). */
  origins: number[];
}

export class ShellWordsError extends Error {
  /** 0-based index in the line where the problem starts (the opening quote, the lone backslash). */
  readonly index: number;
  constructor(message: string, index: number) {
    super(message);
    this.name = "ShellWordsError";
    this.index = index;
  }
}

export function splitShellWords(line: string): ShellWord[] {
  const words: ShellWord[] = [];
  let current: ShellWord | undefined;
  let i = 0;
  const startWord = (at: number): ShellWord => (current ??= { text: "", start: at, origins: [] });
  const push = (ch: string, at: number): void => {
    const w = current!;
    w.text += ch;
    w.origins.push(at);
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      if (current) words.push(current);
      current = undefined;
      i++;
    } else if (c === "#") {
      break;
    } else if (c === "'") {
      startWord(i);
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new ShellWordsError("no closing quotation (')", i);
      for (let k = i + 1; k < close; k++) push(line[k]!, k);
      i = close + 1;
    } else if (c === '"') {
      startWord(i);
      const open = i;
      i++;
      for (;;) {
        if (i >= line.length) throw new ShellWordsError('no closing quotation (")', open);
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        // Inside double quotes a backslash escapes only a backslash or a double quote.
        if (d === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
          push(line[i + 1]!, i + 1);
          i += 2;
          continue;
        }
        push(d, i);
        i++;
      }
    } else if (c === "\\") {
      startWord(i);
      if (i + 1 >= line.length) throw new ShellWordsError("no character after the backslash", i);
      push(line[i + 1]!, i + 1);
      i += 2;
    } else {
      startWord(i);
      push(c, i);
      i++;
    }
  }
  if (current) words.push(current);
  return words;
}
