// The lab's apt proxy: forwards plain http to the allowed mirror only (a real proxy and origin on 127.0.0.1).
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { allowedTarget, startAptProxy } from "../../../src/lab/apt-proxy.js";
import { isExtraHostAddress } from "../../../src/lab/extra-host.js";

function get(proxyUrl: string, target: string): Promise<{ status: number; body: string }> {
  const p = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: p.hostname, port: p.port, method: "GET", path: target }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject).end();
  });
}

describe("lab apt proxy", () => {
  it("accepts only plain http to an allowed host", () => {
    assert.equal(allowedTarget("http://deb.debian.org/debian/dists/bookworm/InRelease", ["deb.debian.org"])?.pathname, "/debian/dists/bookworm/InRelease");
    assert.equal(allowedTarget("https://deb.debian.org/", ["deb.debian.org"]), undefined);
    assert.equal(allowedTarget("http://example.org/", ["deb.debian.org"]), undefined);
    assert.equal(allowedTarget("http://u:p@deb.debian.org/", ["deb.debian.org"]), undefined);
    assert.equal(allowedTarget("/relative", ["deb.debian.org"]), undefined);
  });

  it("forwards to the allowed origin and refuses any other", async () => {
    const origin = createServer((req, res) => res.end(`origin saw ${req.url} host ${req.headers.host}`));
    await new Promise<void>((r) => origin.listen(0, "127.0.0.1", () => r()));
    const port = (origin.address() as AddressInfo).port;
    const proxy = await startAptProxy({ allowedHosts: ["127.0.0.1"], listenAddress: "127.0.0.1" });
    try {
      const ok = await get(proxy.url, `http://127.0.0.1:${port}/debian/pool/x.deb?a=1`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body, `origin saw /debian/pool/x.deb?a=1 host 127.0.0.1:${port}`);
      const no = await get(proxy.url, `http://localhost:${port}/`);
      assert.equal(no.status, 403);
      assert.deepEqual(proxy.stats, { forwarded: 1, refused: 1 });
    } finally {
      await proxy.close();
      origin.close();
    }
  });

  it("extra hosts stay out of the lab hosts' range and the VIPs", () => {
    assert.equal(isExtraHostAddress("10.98.0.31"), false);
    assert.equal(isExtraHostAddress("10.98.0.120"), true);
    assert.equal(isExtraHostAddress("10.98.0.105"), false);
    assert.equal(isExtraHostAddress("10.98.0.1"), false);
    assert.equal(isExtraHostAddress("192.0.2.5"), false);
  });
});
