/**
 * The API client. The token comes from the page (the server embeds it when bound to loopback) or from
 * `#token=` in the address (kept in sessionStorage, never in a cookie), and goes in a bearer header.
 */
const fromHash = new URLSearchParams(location.hash.replace(/^#\/?[^?]*\??/, "").replace(/^#/, "")).get(
  "token",
);
if (fromHash) sessionStorage.setItem("withstand-token", fromHash);

export function token(): string {
  return (
    document.querySelector<HTMLMetaElement>('meta[name="withstand-token"]')?.content ??
    sessionStorage.getItem("withstand-token") ??
    ""
  );
}

const headers = (): Record<string, string> => (token() ? { authorization: `Bearer ${token()}` } : {});

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: headers() });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export async function postJson<T>(path: string, payload?: unknown): Promise<T> {
  const res = await fetch(path, {
    method: "POST",
    headers: payload === undefined ? headers() : { ...headers(), "content-type": "application/json" },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

type Listener = (type: string, data: unknown) => void;
const listeners = new Set<Listener>();
let started = false;

/** Server-sent events read through fetch, so the bearer header goes along; reconnects on its own. */
async function follow(): Promise<void> {
  for (;;) {
    try {
      const res = await fetch("/api/events", { headers: headers() });
      const reader = res.body?.getReader();
      if (!reader) throw new Error("no stream");
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let cut = buf.indexOf("\n\n");
        while (cut >= 0) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let type = "message";
          let data = "";
          for (const line of frame.split("\n")) {
            if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) {
            const parsed = JSON.parse(data) as unknown;
            for (const l of listeners) l(type, parsed);
          }
          cut = buf.indexOf("\n\n");
        }
      }
    } catch {
      // The server restarted or the network blinked: try again shortly.
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  if (!started) {
    started = true;
    void follow();
  }
  return () => listeners.delete(listener);
}
