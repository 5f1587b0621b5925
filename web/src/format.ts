export function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function when(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${d.toLocaleTimeString(undefined, { hour12: false })}`;
}

export const pct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;

/** good | bad | warn | live: the colour of an outcome at a glance. */
export function tone(outcome: string | null, status: string): string {
  if (status === "running") return "live";
  switch (outcome) {
    case "held":
    case "passed":
    case "promoted":
      return "good";
    case "aborted":
    case "interrupted":
    case "halted":
    case "deadline":
      return "warn";
    default:
      return "bad";
  }
}
