import { tone } from "../format";

export function Badge({ outcome, status }: { outcome: string | null; status: string }) {
  const label = status === "running" ? "running" : (outcome ?? status);
  return <span class={`badge ${tone(outcome, status)}`}>{label}</span>;
}
