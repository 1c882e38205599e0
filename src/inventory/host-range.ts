// Expands Ansible host ranges: `control[01:03]`, `host-[a:c]`, `node[1:10:2]`, several ranges per name.
// Unlike Ansible, a range that yields no host (`[3:1]`) is an error: it is always a typing mistake.

/** A malformed range; the message names the range as written. */
export class HostRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostRangeError";
  }
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** True when `name` holds a range to expand (Ansible's test: any `[`). */
export function hasHostRange(name: string): boolean {
  return name.includes("[");
}

/**
 * The host names a pattern stands for, in order. Numeric bounds with a leading zero fix the width
 * (`[01:10]` -> 01..10, both bounds then need the same width); single letters give letter ranges
 * (a..z then A..Z, as Python's string.ascii_letters); the optional third part is the step.
 */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf("[");
  if (open < 0) return [pattern];
  const close = pattern.indexOf("]", open);
  if (close < 0) throw new HostRangeError(`host range in "${pattern}" has no closing "]"`);
  const head = pattern.slice(0, open);
  const body = pattern.slice(open + 1, close);
  const tail = pattern.slice(close + 1);
  const written = `[${body}]`;
  const bounds = body.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostRangeError(`host range ${written} must be begin:end or begin:end:step`);
  }
  const begin = bounds[0] === "" ? "0" : bounds[0]!;
  const end = bounds[1]!;
  if (end === "") throw new HostRangeError(`host range ${written} has no end`);
  let step = 1;
  if (bounds.length === 3) {
    if (!/^\d+$/.test(bounds[2]!) || Number(bounds[2]) === 0) {
      throw new HostRangeError(`host range ${written}: the step must be a positive integer`);
    }
    step = Number(bounds[2]);
  }

  let items: string[];
  if (/^[A-Za-z]$/.test(begin) && /^[A-Za-z]$/.test(end)) {
    const from = LETTERS.indexOf(begin);
    const to = LETTERS.indexOf(end);
    if (from > to) throw new HostRangeError(`host range ${written}: begin must not come after end`);
    items = [];
    for (let i = from; i <= to; i += step) items.push(LETTERS[i]!);
  } else if (/^\d+$/.test(begin) && /^\d+$/.test(end)) {
    const from = Number(begin);
    const to = Number(end);
    if (from > to) throw new HostRangeError(`host range ${written}: begin must not exceed end`);
    const padded = begin.length > 1 && begin.startsWith("0");
    if (padded && begin.length !== end.length) {
      throw new HostRangeError(`host range ${written}: begin and end must have the same width when zero-padded`);
    }
    items = [];
    for (let i = from; i <= to; i += step) items.push(padded ? String(i).padStart(begin.length, "0") : String(i));
  } else {
    throw new HostRangeError(`host range ${written} must be numbers (01:10) or single letters (a:f)`);
  }

  const names: string[] = [];
  for (const item of items) {
    // The tail may hold further ranges: expand them for each value of this one.
    for (const rest of expandHostRange(tail)) names.push(head + item + rest);
  }
  return names;
}
