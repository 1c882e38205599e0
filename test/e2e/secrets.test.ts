// passwords.yml encrypted with age, on the lab: the shared deployment's copy with its passwords encrypted
// deploys exactly as the plain one, writes no plaintext secret on the controller, and a wrong key stops the
// run before any host is touched.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ensureDeployed, lading, startTimes, type Deployment } from "./deployment-fixture.js";

/** Every string value of passwords.yml (key pairs' halves too), at least 8 characters. */
function secretValues(text: string): string[] {
  const out: string[] = [];
  for (const v of Object.values(parse(text) as Record<string, unknown>)) {
    if (typeof v === "string") out.push(v);
    else if (v && typeof v === "object") for (const x of Object.values(v as Record<string, unknown>)) if (typeof x === "string") out.push(...x.split("\n"));
  }
  return out.map((s) => s.trim()).filter((s) => s.length >= 8);
}

/** Files under `root` changed since `since` (ms) whose content holds one of `values`; skips `skip` folders. */
function filesHolding(root: string, values: string[], since: number, skip: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.name === "node_modules" || skip.some((s) => p === s || p.startsWith(`${s}/`))) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          const st = statSync(p);
          if (st.mtimeMs < since || st.size > 50 * 1024 * 1024) continue;
          const text = readFileSync(p, "latin1");
          if (values.some((v) => text.includes(v))) found.push(p);
        } catch {
          // gone or unreadable meanwhile
        }
      }
    }
  };
  walk(root);
  return found;
}

describe("passwords.yml encrypted with age, on the lab (e2e)", function () {
  this.timeout(600_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("the encrypted copy plans and deploys no change (every rendered file's hash as deployed), writes no plaintext secret on the controller; a wrong key touches no host", async () => {
    const started = Date.now() - 1000;
    const root = mkdtempSync(join(tmpdir(), "lading-e2e-age-"));
    const enc = join(root, "deployment");
    const keys = join(root, "keys");
    try {
      cpSync(d.dir, enc, { recursive: true });
      const values = secretValues(readFileSync(join(d.dir, "passwords.yml"), "utf8"));
      assert.ok(values.length >= 8, `${values.length} secret values`);
      assert.equal((await lading(["secrets", "keygen", "--out", join(keys, "key.txt")])).code, 0);
      const encrypted = await lading(["secrets", "encrypt", "-d", enc, "--secrets-key", join(keys, "key.txt")]);
      assert.equal(encrypted.code, 0, encrypted.stdout + encrypted.stderr);
      const before = await startTimes(d);
      // plan compares every rendered file's sha256 with the host's: none differs, with the key from the variable.
      const env = { LADING_AGE_KEY_FILE: join(keys, "key.txt") };
      const plan = await lading(["plan", "-d", enc], { env });
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      const deploy = await lading(["deploy", "-d", enc, "--json"], { env });
      assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
      assert.deepEqual(await startTimes(d), before, "no container restarted");
      const check = await lading(["check", "-d", enc], { env });
      assert.equal(check.code, 0, check.stdout);
      for (const r of [encrypted, plan, deploy, check]) for (const v of values) assert.ok(!(r.stdout + r.stderr).includes(v), "no secret printed");
      // No plaintext secret on the controller's disk: the copy (its encrypted file and anything a run wrote) and
      // the temporary folders, written since the test began. The shared deployment's own plain folder aside.
      const leaked = [...filesHolding(enc, values, started, []), ...filesHolding(tmpdir(), values, started, [d.dir, enc])];
      assert.deepEqual(leaked, [], "no file written during the run holds a secret in plain text");
      // A wrong key: the run stops before it connects, exit 3, the file named.
      assert.equal((await lading(["secrets", "keygen", "--out", join(keys, "other.txt")])).code, 0);
      const wrong = await lading(["deploy", "-d", enc, "--secrets-key", join(keys, "other.txt")]);
      assert.equal(wrong.code, 3, wrong.stdout + wrong.stderr);
      assert.match(wrong.stderr, /passwords\.yml\.age: cannot decrypt: the key in .*other\.txt is not one of its recipients/);
      assert.match(wrong.stderr, /nothing was changed on any host/);
      assert.doesNotMatch(wrong.stdout, /connect|facts/i);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
