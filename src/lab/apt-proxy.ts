// A forward HTTP proxy on the lab gateway through which lab hosts reach the Debian mirror, and nothing else.
// The lab network has no route out (the lab engine runs with --iptables=false: no NAT on the user's machine),
// so a host that must apt-get install (a fresh host that bootstrap-servers prepares) is given this proxy, as
// many sites give their hosts an apt-cacher-ng. It listens on the lab gateway only, never on other addresses.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LAB_GATEWAY } from "./layout.js";

export interface AptProxy {
  /** `http://10.98.0.1:<port>`: the value of apt's Acquire::http::Proxy. */
  url: string;
  /** Requests forwarded and refused so far. */
  stats: { forwarded: number; refused: number };
  close(): Promise<void>;
}

/** The origin a proxied request may go to: plain http to one of `allowedHosts`, else undefined. */
export function allowedTarget(rawUrl: string | undefined, allowedHosts: readonly string[]): URL | undefined {
  if (!rawUrl) return undefined;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" || url.username || url.password) return undefined;
  return allowedHosts.includes(url.hostname.toLowerCase()) ? url : undefined;
}

/** Starts the proxy for plain-http requests to `allowedHosts` (host names of mirrors); CONNECT is refused. */
export async function startAptProxy(opts: { allowedHosts: string[]; listenAddress?: string }): Promise<AptProxy> {
  const allowed = opts.allowedHosts.map((h) => h.toLowerCase());
  const stats = { forwarded: 0, refused: 0 };
  const refuse = (res: ServerResponse, code: number, why: string): void => {
    stats.refused++;
    res.writeHead(code, { "content-type": "text/plain" }).end(`${why}\n`);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = allowedTarget(req.url, allowed);
    if (!target) return refuse(res, 403, `the lab's apt proxy only forwards http to ${allowed.join(", ")}`);
    stats.forwarded++;
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
    delete headers["proxy-connection"];
    delete headers["proxy-authorization"];
    const upstream = request(
      { host: target.hostname, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => (res.headersSent ? res.destroy(err) : refuse(res, 502, `mirror unreachable: ${err.message}`)));
    req.pipe(upstream);
  });
  server.on("connect", (_req, socket) => socket.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, opts.listenAddress ?? LAB_GATEWAY, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    stats,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
