/** "did you mean" suggestions by edit distance, ignoring case, spaces, dashes and underscores. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/[\s_-]+/g, "");
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = normalise(word);
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, normalise(c));
    if (best === undefined || d < best.d) best = { c, d };
  }
  if (!best) return undefined;
  const limit = Math.max(2, Math.floor(best.c.length / 3));
  return best.d <= limit ? best.c : undefined;
}

/** "unknown key (did you mean latency?)", or the list of what is known. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = suggest(key, known);
  if (hint) return `unknown key (did you mean ${hint}?)`;
  return known.length > 0 ? `unknown key (expected one of ${known.join(", ")})` : "unknown key";
}
