/** Blast-radius selection: which of the matching targets a fault hits. */
export type SelectionMode =
  | { mode: "one" }
  | { mode: "all" }
  | { mode: "fixed"; value: number }
  | { mode: "percent"; value: number };

/** How many of `n` candidates a mode hits. Percent rounds down but hits at least one when above 0%. */
export function selectionSize(mode: SelectionMode, n: number): number {
  switch (mode.mode) {
    case "one":
      return Math.min(1, n);
    case "all":
      return n;
    case "fixed":
      return Math.min(n, Math.max(0, Math.floor(mode.value)));
    case "percent": {
      if (mode.value <= 0) return 0;
      return Math.min(n, Math.max(1, Math.floor((n * mode.value) / 100)));
    }
  }
}

/** Picks `selectionSize` items with the given random source (injectable for tests). */
export function pick<T>(items: readonly T[], mode: SelectionMode, random: () => number = Math.random): T[] {
  const pool = [...items];
  const size = selectionSize(mode, pool.length);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = pool[i] as T;
    pool[i] = pool[j] as T;
    pool[j] = a;
  }
  return pool.slice(0, size);
}
