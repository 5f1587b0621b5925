import type { RevertAction, RevertExecutor } from "./types.js";

/** An HTTP call that undoes the fault: a toxic created through a proxy API. */
export const http: RevertExecutor = {
  type: "http",
  accepts: (a: RevertAction) =>
    typeof a.url === "string" && /^https?:\/\//.test(a.url) && (a.method === "DELETE" || a.method === "POST"),
  async run(a: RevertAction): Promise<string> {
    const method = a.method as string;
    const url = a.url as string;
    try {
      const res = await fetch(url, {
        method,
        headers: { "content-type": "application/json", "user-agent": "withstand" },
        ...(a.body !== undefined ? { body: JSON.stringify(a.body) } : {}),
        signal: AbortSignal.timeout(3000),
      });
      await res.text();
      // 404: already gone (removed by hand, by a lease, or by a reset).
      return `${method} ${url} -> ${res.status}`;
    } catch (err) {
      return `${method} ${url} failed: ${(err as Error).message}`;
    }
  },
};
