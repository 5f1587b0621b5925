import { createServer, type Server } from "node:net";

/** Starts listening and resolves with the address actually bound ("127.0.0.1:PORT", "[::1]:PORT"). */
export async function listenOn(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  if (typeof addr !== "object" || addr === null) return `${host}:${port}`;
  return `${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
}

/**
 * A loopback port that was free a moment ago, for a process that must be told its port before it
 * starts (a command given `${port}`, a server spawned by a test).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
