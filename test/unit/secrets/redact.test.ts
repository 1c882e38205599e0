import assert from "node:assert/strict";
import { generateSecret } from "../../../src/secrets/generate.js";
import { REDACTED, Redactor } from "../../../src/secrets/redact.js";
import type { SshKeyPair } from "../../../src/secrets/secret-value.js";

describe("Redactor", () => {
  it("replaces every occurrence of every secret", () => {
    const r = new Redactor(["s3cretPassw0rd", "AnotherOne99"]);
    assert.equal(
      r.redact("user=root password=s3cretPassw0rd\nagain s3cretPassw0rds3cretPassw0rd and AnotherOne99."),
      `user=root password=${REDACTED}\nagain ${REDACTED}${REDACTED} and ${REDACTED}.`,
    );
  });

  it("hides the longest secret when one contains another", () => {
    const r = new Redactor(["abcdef", "xxabcdefyy"]);
    assert.equal(r.redact("1 xxabcdefyy 2 abcdef"), `1 ${REDACTED} 2 ${REDACTED}`);
  });

  it("treats regular expression characters literally", () => {
    const r = new Redactor(["a.b*c+(d)[e]{f}|g^h$i\\j/k-l?"]);
    assert.equal(r.redact("x a.b*c+(d)[e]{f}|g^h$i\\j/k-l? y aXbbbc"), `x ${REDACTED} y aXbbbc`);
  });

  it("ignores values shorter than 6 characters, so that common words stay readable", () => {
    const r = new Redactor(["admin", "root12"]);
    assert.equal(r.size, 1);
    assert.equal(r.redact("admin root12"), `admin ${REDACTED}`);
  });

  it("hides a secret also as it appears inside a JSON string and URL-encoded", () => {
    const secret = 'pa"ss\\wo@rd/x';
    const r = new Redactor([secret]);
    assert.equal(r.redact(JSON.stringify({ password: secret })), `{"password":"${REDACTED}"}`);
    assert.equal(r.redact(`mysql://u:${encodeURIComponent(secret)}@db/x`), `mysql://u:${REDACTED}@db/x`);
  });

  it("hides SSH keys whole, their base64 blob, and each line of the private key", () => {
    const pair = generateSecret({ kind: "ssh_key" }) as SshKeyPair;
    const r = new Redactor([pair]);
    const lines = pair.private_key.trimEnd().split("\n");
    assert.equal(r.redact(pair.private_key), REDACTED);
    assert.equal(r.redact(`key: ${pair.public_key}`), `key: ${REDACTED}`);
    assert.equal(r.redact(`authorized: ${pair.public_key.split(" ")[1]}`), `authorized: ${REDACTED}`);
    // A private key pasted with other line endings, or one line of it in a log, is still hidden.
    const crlf = r.redact(lines.join("\r\n"));
    assert.equal(crlf, [lines[0], ...lines.slice(1, -1).map(() => REDACTED), lines.at(-1)].join("\r\n"));
    assert.equal(r.redact(`log: ${lines[2]}`), `log: ${REDACTED}`);
  });

  it("returns the text itself when there is nothing to hide", () => {
    const r = new Redactor([]);
    assert.equal(r.redact("anything"), "anything");
  });

  it("redacts JSON values deeply: strings, keys, arrays, errors; keeps numbers, booleans, null", () => {
    const r = new Redactor(["TopSecretValue1"]);
    const event = {
      step: "render",
      n: 3,
      ok: true,
      none: null,
      diff: ["- password=old", "+ password=TopSecretValue1"],
      nested: { TopSecretValue1: { v: "x TopSecretValue1 y" } },
      error: new Error("auth failed for TopSecretValue1"),
    };
    assert.deepEqual(r.redactValue(event), {
      step: "render",
      n: 3,
      ok: true,
      none: null,
      diff: ["- password=old", `+ password=${REDACTED}`],
      nested: { [REDACTED]: { v: `x ${REDACTED} y` } },
      error: { name: "Error", message: `auth failed for ${REDACTED}` },
    });
    assert.equal(event.diff[1], "+ password=TopSecretValue1", "the input is not changed");
  });

  it("copes with cycles in a value", () => {
    const r = new Redactor(["TopSecretValue1"]);
    const a: Record<string, unknown> = { s: "TopSecretValue1" };
    a.self = a;
    const out = r.redactValue(a) as Record<string, unknown>;
    assert.equal(out.s, REDACTED);
    assert.equal(out.self, out);
  });

  it("redacts a plan of 1000 hosts with 200 secrets quickly", function () {
    this.timeout(20_000);
    const secrets = Array.from({ length: 200 }, () => generateSecret({ kind: "password" }) as string);
    const r = new Redactor(secrets);
    const hostBlock = (i: number) =>
      `host lab${i} (10.98.${i >> 8}.${i & 255}):\n` +
      `  ~ /etc/lading/webapp/webapp.ini: content differs\n` +
      `    - password = ${secrets[i % 200]}\n    + password = ${secrets[(i + 1) % 200]}\n` +
      `  ~ mariadb: image differs (lading/mariadb:1.0 -> lading/mariadb:1.1)\n`.repeat(20);
    const plan = Array.from({ length: 1000 }, (_, i) => hostBlock(i)).join("");
    const started = process.hrtime.bigint();
    const out = r.redact(plan);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    for (const s of secrets) assert.ok(!out.includes(s));
    assert.equal(out.split(REDACTED).length - 1, 2000);
    // Measured 60-150 ms for this 1.6 MB plan on the 2-core machine; a wide margin for slower ones.
    assert.ok(ms < 2000, `took ${ms} ms for ${plan.length} characters`);
    console.log(`      (${(plan.length / 1e6).toFixed(1)} MB, 200 secrets: ${ms.toFixed(0)} ms)`);
  });
});
