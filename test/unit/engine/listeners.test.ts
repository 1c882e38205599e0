// check's view of where services listen: `ss -H -ltn` parsed, and a declared port bound on every address reported.
import assert from "node:assert/strict";
import { parseListeners, wildcardListeners } from "../../../src/engine/listeners.js";
import { evaluatePrechecks } from "../../../src/engine/prechecks.js";
import { container, service } from "./fixtures.js";

const SS = [
  "LISTEN 0      80        10.98.0.11:3306       0.0.0.0:*",
  "LISTEN 0      4096         0.0.0.0:4369       0.0.0.0:*",
  "LISTEN 0      4096       127.0.0.1:4369       0.0.0.0:*",
  "LISTEN 0      128             [::]:22            [::]:*",
  "LISTEN 0      4096               *:25672            *:*",
  "LISTEN 0      511   10.98.0.11%eth0:8080       0.0.0.0:*",
  "LISTEN 0      4096    [::ffff:10.98.0.11]:5672   [::]:*",
  "",
].join("\n");

describe("listeners (check)", () => {
  it("parses ss -H -ltn: IPv4, IPv6 in brackets, *, an interface suffix", () => {
    assert.deepEqual(parseListeners(SS), [
      { address: "10.98.0.11", port: 3306 },
      { address: "0.0.0.0", port: 4369 },
      { address: "127.0.0.1", port: 4369 },
      { address: "::", port: 22 },
      { address: "*", port: 25672 },
      { address: "10.98.0.11", port: 8080 },
      { address: "::ffff:10.98.0.11", port: 5672 },
    ]);
  });

  it("reports each declared port listened on every address, and nothing for the host's address, loopback or undeclared ports", () => {
    const rabbit = container("rabbitmq", "rabbitmq", { ports: [5672, 25672, 4369] });
    const db = container("mariadb", "mariadb", { ports: [3306] });
    const host = { name: "lab1", address: "10.98.0.11", services: [service("rabbitmq", [], [rabbit]), service("mariadb", [], [db])] };
    assert.deepEqual(wildcardListeners(host, parseListeners(SS)), [
      "lab1: port 25672 of rabbitmq/rabbitmq listens on every address ([*]), not only 10.98.0.11: check its config file is the desired one (lading deploy writes it)",
      "lab1: port 4369 of rabbitmq/rabbitmq listens on every address (0.0.0.0), not only 10.98.0.11: check its config file is the desired one (lading deploy writes it)",
    ]);
    assert.deepEqual(wildcardListeners(host, parseListeners("LISTEN 0 80 10.98.0.11:3306 0.0.0.0:*\nLISTEN 0 80 127.0.0.1:4369 0.0.0.0:*\n")), []);
  });
});

describe("prechecks: bind", () => {
  const out = (listen: string[]): string => ["@@engine", "24.0.5", "@@time", "1000", "@@disk", "/dev/sda1 100 1 99999999 1% /var/lib/docker", "@@addr", "10.98.0.11/24", "@@listen", ...listen, "@@end", ""].join("\n");
  const host = { name: "lab1", address: "10.98.0.11", stateFile: "/etc/lading/state.json", services: [service("rabbitmq", [], [container("rabbitmq", "rabbitmq", { ports: [5672, 4369] })])] };

  it("passes when the declared ports listen on the host's address or loopback", () => {
    const bind = evaluatePrechecks(out(["10.98.0.11:5672", "10.98.0.11:4369", "127.0.0.1:4369", "0.0.0.0:22"]), host, undefined, 1000, 0).find((r) => r.check === "bind")!;
    assert.deepEqual(bind, { check: "bind", ok: true, detail: "declared ports on 10.98.0.11 only" });
  });

  it("fails naming the service whose port listens on every address", () => {
    const bind = evaluatePrechecks(out(["10.98.0.11:5672", "0.0.0.0:4369", "[::]:4369"]), host, undefined, 1000, 0).find((r) => r.check === "bind")!;
    assert.equal(bind.ok, false);
    assert.match(bind.detail, /^port 4369 of rabbitmq\/rabbitmq listens on every address \(0\.0\.0\.0\), not only 10\.98\.0\.11/);
  });
});
