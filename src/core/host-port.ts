import { isIP } from "node:net";

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port" or "[v6]:port". */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:\]]+):(\d+)$/.exec(s);
  if (!m?.[1] || !m[2]) return undefined;
  const port = Number(m[2]);
  if (!isIP(m[1]) || port > 65535) return undefined;
  return { host: m[1], port };
}
