// The one place where an argv array becomes a POSIX sh command line. Remote commands are built from
// argv arrays only; everything that reaches a remote shell passes through quoteArgv.

/** Characters that never need quoting in any position of a POSIX sh word. `=` and `~` are left out:
 * `A=b` as a first word is an assignment and a leading `~` expands. */
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Reserved words are only special as the first word, but quoting them anywhere costs nothing. */
const RESERVED_WORDS = new Set(["case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until", "while"]);

/** Quotes one argument so that sh reads it back byte for byte. */
export function quoteArg(arg: string): string {
  if (arg.includes("\0")) {
    throw new Error("an argument contains a NUL byte, which no shell argument can carry");
  }
  if (arg === "") return "''";
  if (SAFE_WORD.test(arg) && !RESERVED_WORDS.has(arg)) return arg;
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Turns argv into a POSIX sh command line that runs exactly argv.
 * For pipelines, pass `["sh", "-c", FIXED_SCRIPT, "sh", ...values]`: the script is a constant and the
 * values arrive as positional parameters, never spliced into the script text.
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("cannot run an empty command");
  return argv.map(quoteArg).join(" ");
}
