// Where a template's syntax error really is. Handlebars' parser reports what it was reading when it gave up:
// for a tag left open that is the next tag (or the end of the file), for a block left open the end of the
// file. An operator needs the tag they forgot to close, so this scan finds it: the first {{ with another {{
// (or the end) before its }}, else the innermost {{#block}} never closed. Comments and raw blocks are skipped
// as Handlebars skips them.

export interface SyntaxErrorPlace {
  line: number;
  column: number;
  /** The tag's expression as written (`notes_port`, `if`), empty when the tag has none yet. */
  expression: string;
  message: string;
}

interface Open {
  name: string;
  at: number;
}

/** The place of the unclosed tag or block in `text`, or undefined when the scan finds none. Pure. */
export function syntaxErrorPlace(text: string): SyntaxErrorPlace | undefined {
  const blocks: Open[] = [];
  let i = text.indexOf("{{");
  while (i >= 0) {
    if (i > 0 && text[i - 1] === "\\") {
      // An escaped mustache is text.
      i = text.indexOf("{{", i + 2);
      continue;
    }
    const commentEnd = commentCloseAt(text, i);
    if (commentEnd !== undefined) {
      if (commentEnd < 0) return placeOf(text, i, "", "a {{! comment }} is never closed");
      i = text.indexOf("{{", commentEnd);
      continue;
    }
    const close = text.indexOf("}}", i + 2);
    const next = text.indexOf("{{", i + 2);
    const head = /^\{\{\{?~?\s*([#/^]?)\s*([^\s}~]*)/.exec(text.slice(i))!;
    const [, sigil, name] = head;
    if (close < 0 || (next >= 0 && next < close)) return placeOf(text, i, name!, `a {{ tag is never closed with }}`);
    if (sigil === "#" || (sigil === "^" && name)) blocks.push({ name: name!, at: i });
    else if (sigil === "/") {
      const open = blocks.pop();
      if (!open || open.name !== name) return undefined; // Handlebars' own message ("if doesn't match each") is right.
    }
    i = next;
  }
  const open = blocks.pop();
  return open ? placeOf(text, open.at, open.name, `{{#${open.name}}} is never closed with {{/${open.name}}}`) : undefined;
}

/** The offset after a comment starting at `i` ({{!-- ... --}} or {{! ... }}), -1 if unclosed, undefined if none. */
function commentCloseAt(text: string, i: number): number | undefined {
  const m = /^\{\{~?!(--)?/.exec(text.slice(i, i + 6));
  if (!m) return undefined;
  const closer = m[1] ? /--~?\}\}/g : /\}\}/g;
  closer.lastIndex = i + m[0].length;
  const found = closer.exec(text);
  return found ? found.index + found[0].length : -1;
}

function placeOf(text: string, offset: number, expression: string, message: string): SyntaxErrorPlace {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return { line, column, expression, message };
}
