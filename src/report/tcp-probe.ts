// A TCP connect probe: up when the port accepts a connection within the timeout. It has no figures.

import { createConnection } from "node:net";
import type { HostPort } from "../core/host-port.ts";
import { probeErrorText } from "./probe-error.ts";
import { down, type WebReading, type WebSource } from "./web-source.ts";

export interface TcpProbeInit {
  address: HostPort;
  timeoutMs: number;
}

export function tcpProbe(init: TcpProbeInit): WebSource {
  return {
    read: () =>
      new Promise<WebReading>((resolve) => {
        const socket = createConnection({ host: init.address.host, port: init.address.port });
        const finish = (reading: WebReading) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(reading);
        };
        const timer = setTimeout(() => finish(down(`timeout after ${init.timeoutMs} ms`)), init.timeoutMs);
        socket.once("connect", () => finish({ state: "up" }));
        socket.once("error", (e) => finish(down(probeErrorText(e, init.timeoutMs))));
      }),
  };
}
