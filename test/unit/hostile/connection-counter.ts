// TCP listeners on loopback addresses that record every connection made to them and close it at once:
// tests point a deployment's hosts here to prove that a command opened no connection (or, as a control,
// that it did).
import net from "node:net";

export interface ConnectionCounter {
  /** The one port every address listens on. */
  port: number;
  /** `address:port <- remote` of each connection accepted so far (tests may empty it). */
  connections: string[];
  close(): Promise<void>;
}

/** Listens on the same free port on every address given (all on 127.0.0.0/8). */
export async function startConnectionCounter(addresses: string[]): Promise<ConnectionCounter> {
  for (let attempt = 0; ; attempt++) {
    const connections: string[] = [];
    const servers: net.Server[] = [];
    try {
      let port = 0;
      for (const address of addresses) {
        const server = net.createServer((socket) => {
          connections.push(`${socket.localAddress}:${socket.localPort} <- ${socket.remoteAddress}:${socket.remotePort}`);
          socket.destroy();
        });
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, address, () => resolve());
        });
        port = (server.address() as net.AddressInfo).port;
      }
      return {
        port,
        connections,
        close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
      };
    } catch (err) {
      // Another process held the port on one of the other addresses: start over with a new one.
      await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
      if (attempt >= 5) throw err;
    }
  }
}
