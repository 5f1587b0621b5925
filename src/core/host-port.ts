export interface HostPort {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port` (port 0: any free one); `defaultPort` when the port is left out. */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  const host = m?.[1];
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort;
  if (!host || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host, port };
}

/** Where to connect for an http:// URL: its host without IPv6 brackets, and its port (80 when left out). */
export function urlHostPort(url: URL): HostPort {
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 80) };
}
