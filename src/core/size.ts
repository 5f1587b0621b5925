/**
 * Sizes as fault documents write them: "2GiB", "512MiB", "1GB", "100M", 1048576 (bytes), or "30%"
 * of a whole (memory, a file system). Decimal units are powers of 1000 and binary ones of 1024, as in
 * Chaos Mesh and stress-ng; a bare K/M/G is binary, as in `dd` and `fallocate`.
 */
export type Size = { bytes: number } | { percent: number };

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

export function parseSize(v: unknown): Size | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? { bytes: Math.round(v) } : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%|[a-z]*)\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  if (unit === "%") return n <= 100 ? { percent: n } : undefined;
  const factor = UNITS[unit === "" ? "b" : unit];
  return factor === undefined ? undefined : { bytes: Math.round(n * factor) };
}

export function bytesOf(s: Size, whole: number): number {
  return "bytes" in s ? s.bytes : Math.round((s.percent / 100) * whole);
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toFixed(i === 0 ? 0 : 1))}${units[i]}`;
}
