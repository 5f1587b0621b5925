import type { Server } from "node:net";

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
