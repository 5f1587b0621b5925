import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";

/** A TCP echo server on a free loopback port (echoes every byte, honours half-close). */
export async function startEcho(): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Sends `chunks` (with optional pauses), half-closes, and collects everything that comes back. */
export function roundTrip(
  port: number,
  chunks: Buffer[],
  gapMs = 0,
): Promise<{ data: Buffer; error?: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const s = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const got: Buffer[] = [];
    let error: string | undefined;
    s.on("data", (d: Buffer) => got.push(d));
    s.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on("close", () =>
      resolve({ data: Buffer.concat(got), ...(error ? { error } : {}), ms: performance.now() - started }),
    );
    s.on("connect", async () => {
      for (const c of chunks) {
        s.write(c);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      s.end();
    });
  });
}
