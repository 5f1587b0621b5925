/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string, as the reference C++ and flagd's Go
 * `fractional` compute it (not over UTF-16 code units, which differ for non-ASCII keys).
 */
export function murmur3(key: string, seed = 0): number {
  const bytes = new TextEncoder().encode(key);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k =
      (bytes[o] ?? 0) |
      ((bytes[o + 1] ?? 0) << 8) |
      ((bytes[o + 2] ?? 0) << 16) |
      ((bytes[o + 3] ?? 0) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rem = bytes.length & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= (bytes[tail + 2] ?? 0) << 16;
    if (rem >= 2) k ^= (bytes[tail + 1] ?? 0) << 8;
    k ^= bytes[tail] ?? 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * flagd's fractional v2 bucketing: bucket = (hash × totalWeight) >> 32, then the first variant whose
 * cumulative weight exceeds the bucket. The canary is listed first (then the baseline, if any), so
 * raising the canary's weight only moves users towards the canary, never back: stickiness survives
 * every setWeight.
 */
export function pickByHash(
  key: string,
  canaryWeight: number,
  baselineWeight = 0,
): "canary" | "baseline" | "stable" {
  if (canaryWeight >= 100) return "canary";
  if (canaryWeight <= 0 && baselineWeight <= 0) return "stable";
  const bucket = Number((BigInt(murmur3(key)) * 10_000n) >> 32n);
  const canary = Math.round(canaryWeight * 100);
  if (bucket < canary) return "canary";
  return bucket < canary + Math.round(baselineWeight * 100) ? "baseline" : "stable";
}

/** A request without a stickiness key: split at random in proportion to the weights. */
export function pickAtRandom(
  canaryWeight: number,
  baselineWeight = 0,
  random: () => number = Math.random,
): "canary" | "baseline" | "stable" {
  const x = random() * 100;
  return x < canaryWeight ? "canary" : x < canaryWeight + baselineWeight ? "baseline" : "stable";
}
