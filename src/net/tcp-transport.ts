// libp2p's TCP transport, minus one Bun pitfall. @libp2p/tcp passes its dial options, abort
// signal included, to net.connect. When a dial times out (a partition: the SYN is dropped),
// libp2p's own abort handler removes its error listener and rejects the dial; Bun's socket
// then destroys itself for the same signal and emits an AbortError that nobody listens to: an
// uncaught exception on every node at every timed-out dial. Here net.connect gets the options
// without the signal; libp2p still aborts the dial itself (and destroys the socket) on timeout.
import { tcp } from "@libp2p/tcp";
import net from "node:net";

type TcpFactory = ReturnType<typeof tcp>;
interface Connecting {
  _connect(ma: unknown, options: { signal?: AbortSignal }): Promise<net.Socket>;
}

export function tcpWithoutSocketSignal(): TcpFactory {
  const factory = tcp();
  return ((components: Parameters<TcpFactory>[0]) => {
    const transport = factory(components) as ReturnType<TcpFactory> & Connecting;
    const connect = transport._connect.bind(transport);
    transport._connect = (ma, options) => {
      // _connect calls net.connect synchronously, so the swap covers exactly that one call.
      const original = net.connect;
      net.connect = ((config: net.NetConnectOpts) => original({ ...config, signal: undefined } as net.NetConnectOpts)) as typeof net.connect;
      try {
        return connect(ma, options);
      } finally {
        net.connect = original;
      }
    };
    return transport;
  }) as TcpFactory;
}
