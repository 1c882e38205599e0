// Command-line values checked where they are declared: each parser is given to commander's
// `.option(flags, description, parser)`, so that a malformed value (`--serial abc`, `--forks 0`, `--wait 5x`) is
// bad input, exit 3 naming the option, before any file is read or any host dialled. Any command can take them:
//   .option("-f, --forks <n>", "hosts worked on at once", countOption("--forks"), 10)
import { InputError } from "../errors.js";
import { DURATION_PATTERN } from "../model/schema-check.js";

/** A commander option parser: the raw text (and the previous value) in, the checked value out. */
export type OptionParser<T> = (value: string, previous?: T) => T;

function refuse(option: string, value: string, expected: string): never {
  throw new InputError([{ file: option, message: `${expected}, got ${JSON.stringify(value)}` }]);
}

/** A whole number of at least `min` (default 1), written in decimal digits only: `10`, not `1e1`, `0x10` or `1.0`. */
export function countOption(option: string, opts: { min?: number; max?: number } = {}): OptionParser<number> {
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return (value) => {
    const text = value.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      refuse(option, value, `must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}`);
    }
    return n;
  };
}

/** A batch size: a whole number of hosts (at least 1), or a percentage of them from 1% to 100% (`30%`). */
export function batchOption(option: string): OptionParser<number | `${number}%`> {
  return (value) => {
    const text = value.trim();
    const percent = /^(\d+)%$/.exec(text);
    if (percent) {
      const p = Number(percent[1]);
      if (p < 1 || p > 100) refuse(option, value, "a percentage must be from 1% to 100%");
      return `${p}%`;
    }
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) refuse(option, value, "must be a number of hosts (at least 1) or a percentage (30%)");
    return n;
  };
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration as role.yaml writes them (`500ms`, `30s`, `5m`, `1h30m`), in milliseconds. */
export function durationOption(option: string, opts: { allowZero?: boolean } = {}): OptionParser<number> {
  return (value) => {
    const text = value.trim();
    if (!DURATION_PATTERN.test(text)) refuse(option, value, "must be a duration such as 500ms, 30s, 5m or 1h30m");
    let ms = 0;
    for (const m of text.matchAll(/(\d+)(ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    if (!Number.isSafeInteger(ms) || (ms === 0 && !opts.allowZero)) refuse(option, value, "must be a duration longer than 0 (500ms, 30s, 5m)");
    return ms;
  };
}

/** One of a fixed list of words. */
export function choiceOption<T extends string>(option: string, choices: readonly T[]): OptionParser<T> {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) refuse(option, value, `must be one of ${choices.join(", ")}`);
    return value as T;
  };
}
