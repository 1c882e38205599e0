// Durations as users write them: 500ms, 30s, 5m, 1h30m.
export function parseDuration(text: string): number {
  const re = /(\d+)(ms|s|m|h)/g;
  let total = 0;
  let matched = "";
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  if (matched !== text || !text) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 30s, 5m, 1h30m)`);
  return total;
}
