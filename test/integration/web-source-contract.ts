// The one contract every web source keeps (Hono-style: the same suite runs against each
// implementation). A source is made for an endpoint; the suite points it at the real server,
// at a closed port, at a listener that never answers and at one that answers garbage.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import type { WebReading, WebSource } from "../../src/report/web-source.ts";

export interface Endpoint {
  host: string;
  port: number;
}

export interface ContractTarget {
  name: string;
  /** The real server this source is for. */
  server: Endpoint & { start(): Promise<void>; stop(): Promise<void> };
  make(at: Endpoint, timeoutMs: number): WebSource;
  /** Whether readings carry §5.2 figures (status pages) or only up/down (probes). */
  figures: boolean;
  /** Causes one hit on the real server. */
  hit(): Promise<void>;
  /** What the source makes of a listener that accepts and never answers, and of one that answers garbage. */
  silent: WebReading["state"];
  garbage: WebReading["state"];
}

/** Spare endpoints on the contract's address; ports from the test's own range. */
export interface ContractPorts {
  host: string;
  closedPort: number;
  silentPort: number;
  garbagePort: number;
}

const TIMEOUT_MS = 300;
/** A read may overrun its timeout by scheduling only, never by a second timeout's worth. */
const READ_SLACK_MS = 1500;

async function timedRead(source: WebSource): Promise<{ reading: WebReading; ms: number }> {
  const t0 = performance.now();
  const reading = await source.read(Date.now());
  return { reading, ms: performance.now() - t0 };
}

export function webSourceContract(target: () => ContractTarget, ports: ContractPorts): void {
  describe("web source contract", () => {
    let silent: TCPSocketListener | undefined;
    let garbage: TCPSocketListener | undefined;
    beforeAll(() => {
      silent = Bun.listen({ hostname: ports.host, port: ports.silentPort, socket: { data() {} } });
      // Answers every request with bytes that are neither a status page nor the expected body.
      garbage = Bun.listen({
        hostname: ports.host,
        port: ports.garbagePort,
        socket: { data: (s) => void s.end("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n\u0000\u00ff<<garbage") },
      });
    });
    afterAll(() => {
      silent?.stop(true);
      garbage?.stop(true);
    });

    test("a running server reads up; figures come only from status pages", async () => {
      const t = target();
      const { reading } = await timedRead(t.make(t.server, TIMEOUT_MS));
      expect(reading.state).toBe("up");
      const stats = reading.state === "up" ? reading.stats : undefined;
      if (!t.figures) {
        expect(stats).toBeUndefined();
        return;
      }
      if (!stats) throw new Error("no figures from a status page");
      // The status request itself occupies a worker or a connection.
      expect(stats.busyWorkers).toBeGreaterThanOrEqual(1);
      expect(stats.busyWorkers).toBeLessThanOrEqual(stats.maxWorkers);
      expect(stats.hits).toBeGreaterThanOrEqual(0);
      expect(stats.requestsPerSecond).toBeUndefined(); // no interval yet
    });

    test("a second reading counts the hits between and gives a rate", async () => {
      const t = target();
      const source = t.make(t.server, TIMEOUT_MS);
      // The clock is the caller's: one second between the two readings, whatever really passed.
      const first = await source.read(1_000_000);
      await t.hit();
      const second = await source.read(1_001_000);
      expect([first.state, second.state]).toEqual(["up", "up"]);
      if (!t.figures || first.state !== "up" || second.state !== "up") return;
      expect(second.stats?.hits).toBeGreaterThan(first.stats?.hits ?? Infinity);
      expect(second.stats?.requestsPerSecond).toBeGreaterThan(0);
    });

    test("a closed port reads down: connection refused", async () => {
      const t = target();
      const { reading } = await timedRead(t.make({ host: ports.host, port: ports.closedPort }, TIMEOUT_MS));
      expect(reading).toEqual({ state: "down", error: "connection refused" });
    });

    test("a listener that never answers reads as the source's kind says, within the timeout", async () => {
      const t = target();
      const { reading, ms } = await timedRead(t.make({ host: ports.host, port: ports.silentPort }, TIMEOUT_MS));
      expect(reading.state).toBe(t.silent);
      if (reading.state === "down") expect(reading.error).toBe(`timeout after ${TIMEOUT_MS} ms`);
      expect(ms).toBeLessThan(TIMEOUT_MS + READ_SLACK_MS);
    });

    test("garbage is a reading with a reason, never a throw", async () => {
      const t = target();
      const { reading } = await timedRead(t.make({ host: ports.host, port: ports.garbagePort }, TIMEOUT_MS));
      expect(reading.state).toBe(t.garbage);
      if (reading.state !== "up") expect(reading.error.length).toBeGreaterThan(0);
    });

    test("the real server stopped reads down; started again, up", async () => {
      const t = target();
      const source = t.make(t.server, TIMEOUT_MS);
      await t.server.stop();
      expect(await source.read(Date.now())).toEqual({ state: "down", error: "connection refused" });
      await t.server.start();
      expect((await source.read(Date.now())).state).toBe("up");
    });
  });
}
