// passwords.yml.age: encrypted at rest with age, decrypted in memory by every command that reads the
// deployment; genpwd keeps it encrypted; a wrong or missing key is a located error. Through the real CLI
// (in process) on a copy of examples/lab; `age` itself (Debian's) reads what lading writes when installed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { decryptFile, encryptText, newIdentity, recipientsFor } from "../../../src/secrets/encrypted.js";
import { loadProject } from "../../../src/model/project.js";
import { InputError } from "../../../src/errors.js";
import { packageRoot } from "../../../src/paths.js";
import { runCli } from "../run-cli.js";
import { writeOperatorFiles } from "../../../src/lifecycle/operator-files.js";

describe("passwords.yml encrypted with age", () => {
  let dir: string;
  let keys: string;
  let key: string;
  beforeEach(async () => {
    const root = mkdtempSync(join(tmpdir(), "lading-age-"));
    dir = join(root, "deployment");
    keys = join(root, "keys");
    cpSync(join(packageRoot, "examples", "lab"), dir, { recursive: true });
    assert.equal((await runCli(["genpwd", "-d", dir])).code, 0);
    assert.equal((await runCli(["secrets", "keygen", "--out", join(keys, "key.txt")])).code, 0);
    key = join(keys, "key.txt");
  });
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  const secretValues = (text: string): string[] =>
    Object.values(parse(text) as Record<string, unknown>).flatMap((v) => (typeof v === "string" ? [v] : v && typeof v === "object" ? Object.values(v as Record<string, string>) : []));

  it("keygen writes a 0600 identity and refuses to overwrite one", async () => {
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.match(readFileSync(key, "utf8"), /^# public key: age1[0-9a-z]+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/m);
    const again = await runCli(["secrets", "keygen", "--out", key]);
    assert.equal(again.code, 3);
    assert.match(again.err, /already exists: lading never overwrites a key/);
  });

  it("encrypt replaces the plain file; the deployment loads the same secrets from it, in memory", async () => {
    const plain = readFileSync(join(dir, "passwords.yml"), "utf8");
    const before = loadProject({ dir }).secrets;
    const r = await runCli(["secrets", "encrypt", "-d", dir, "--secrets-key", key]);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(dir, "passwords.yml")), "the plain file is gone");
    const enc = readFileSync(join(dir, "passwords.yml.age"), "utf8");
    assert.match(enc, /^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    for (const v of secretValues(plain)) assert.ok(!enc.includes(v), "no secret value in the encrypted file");
    for (const v of secretValues(plain)) assert.ok(!r.out.includes(v), "none printed");
    const file = join(dir, "passwords.yml.age");
    assert.deepEqual(loadProject({ dir, decrypted: new Map([[file, await decryptFile(file, key)]]) }).secrets, before);
    // validate (and any command) with the key from the option or the environment variable naming its file
    assert.equal((await runCli(["validate", "-d", dir, "--secrets-key", key])).code, 0);
    process.env.LADING_AGE_KEY_FILE = key;
    try {
      assert.equal((await runCli(["validate", "-d", dir])).code, 0);
    } finally {
      delete process.env.LADING_AGE_KEY_FILE;
    }
  });

  it("without the key, or with another one, every command stops with the file named", async () => {
    await runCli(["secrets", "encrypt", "-d", dir, "--secrets-key", key]);
    const none = await runCli(["validate", "-d", dir]);
    assert.equal(none.code, 3);
    assert.match(none.err, /passwords\.yml\.age: encrypted with age: give its key with --secrets-key FILE or LADING_AGE_KEY_FILE=FILE/);
    await runCli(["secrets", "keygen", "--out", join(keys, "other.txt")]);
    for (const cmd of [["validate"], ["plan"], ["deploy"]]) {
      const wrong = await runCli([...cmd, "-d", dir, "--secrets-key", join(keys, "other.txt")]);
      assert.equal(wrong.code, 3, `${cmd[0]}: ${wrong.out}${wrong.err}`);
      assert.match(wrong.err, /passwords\.yml\.age: cannot decrypt: the key in .*other\.txt is not one of its recipients/);
    }
    writeFileSync(join(keys, "loose.txt"), readFileSync(key), { mode: 0o644 });
    const loose = await runCli(["validate", "-d", dir, "--secrets-key", join(keys, "loose.txt")]);
    assert.equal(loose.code, 3);
    assert.match(loose.err, /loose\.txt: mode 0644 lets others read this key/);
  });

  it("genpwd fills a blank secret of the encrypted file, keeps it encrypted, never writes the plaintext", async () => {
    await runCli(["secrets", "encrypt", "-d", dir, "--secrets-key", key]);
    const file = join(dir, "passwords.yml.age");
    const text = await decryptFile(file, key);
    // blank one secret, as a new role's would be
    const blanked = text.replace(/^(keepalived_password:).*$/m, "$1");
    writeFileSync(file, await encryptText(blanked, await recipientsFor(file, key)));
    const r = await runCli(["genpwd", "-d", dir, "--secrets-key", key]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /passwords\.yml\.age: generated 1, kept \d+/);
    const filled = parse(await decryptFile(file, key)) as Record<string, unknown>;
    assert.match(String(filled.keepalived_password), /^\S{8,}$/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("passwords")), ["passwords.yml.age"], "no plain or temporary file left");
    const noKey = await runCli(["genpwd", "-d", dir]);
    assert.equal(noKey.code, 3);
  });

  it("genpwd --encrypt creates a new encrypted file; recipients.txt lists who can read it", async () => {
    rmSync(join(dir, "passwords.yml"));
    const second = await newIdentity();
    writeFileSync(join(keys, "second.txt"), second.text, { mode: 0o600 });
    const me = readFileSync(key, "utf8").match(/public key: (age1\S+)/)![1]!;
    writeFileSync(join(dir, "recipients.txt"), `# the team\n${me}\n${second.recipient}  # ops laptop\n`);
    const r = await runCli(["genpwd", "-d", dir, "--encrypt", "--secrets-key", key]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /created .*passwords\.yml\.age: generated \d+/);
    // either key reads it
    const a = await decryptFile(join(dir, "passwords.yml.age"), key);
    const b = await decryptFile(join(dir, "passwords.yml.age"), join(keys, "second.txt"));
    assert.equal(a, b);
    writeFileSync(join(dir, "recipients.txt"), "age1notakey!\n");
    await assert.rejects(recipientsFor(join(dir, "passwords.yml.age"), key), (e: unknown) => e instanceof InputError && /recipients\.txt/.test(String(e.problems[0]?.file)));
  });

  it("operator files (clouds.yaml) of an encrypted deployment are written encrypted, to the same recipients", async () => {
    const me = readFileSync(key, "utf8").match(/public key: (age1\S+)/)![1]!;
    const written = await writeOperatorFiles([{ service: "keystone", path: join(dir, "clouds.yaml"), content: "password: s3cret-value\n" }], [me]);
    assert.deepEqual(written.map((f) => f.path), [join(dir, "clouds.yaml.age")]);
    assert.ok(!existsSync(join(dir, "clouds.yaml")));
    assert.ok(!readFileSync(join(dir, "clouds.yaml.age"), "utf8").includes("s3cret-value"));
    assert.equal(await decryptFile(join(dir, "clouds.yaml.age"), key), "password: s3cret-value\n");
  });

  it("-e reads only that environment's encrypted file: each environment may have its own key", async () => {
    const other = join(keys, "production.txt");
    await runCli(["secrets", "keygen", "--out", other]);
    for (const [env, k] of [["staging", key], ["production", other]] as const) {
      const envDir = join(dir, "environments", env);
      cpSync(join(dir, "inventory.yml"), join(envDir, "inventory.yml"));
      cpSync(join(dir, "passwords.yml"), join(envDir, "passwords.yml"));
      assert.equal((await runCli(["secrets", "encrypt", "-d", dir, "-e", env, "--secrets-key", k])).code, 0);
    }
    const staging = await runCli(["validate", "-d", dir, "-e", "staging", "--secrets-key", key]);
    assert.equal(staging.code, 0, staging.err);
    const production = await runCli(["validate", "-d", dir, "-e", "production", "--secrets-key", key]);
    assert.equal(production.code, 3);
    assert.match(production.err, /environments\/production\/passwords\.yml\.age: cannot decrypt/);
  });

  it("both passwords.yml and passwords.yml.age present is refused: which one holds the secrets?", async () => {
    writeFileSync(join(dir, "passwords.yml.age"), "x");
    const r = await runCli(["validate", "-d", dir]);
    assert.equal(r.code, 3);
    assert.match(r.err, /both .*passwords\.yml and .*passwords\.yml\.age exist: keep one/);
  });

  it("Debian's age decrypts what lading encrypted (when the age command is installed)", async function () {
    try {
      execFileSync("age", ["--version"]);
    } catch {
      this.skip();
    }
    const plain = readFileSync(join(dir, "passwords.yml"), "utf8");
    await runCli(["secrets", "encrypt", "-d", dir, "--secrets-key", key]);
    assert.equal(execFileSync("age", ["-d", "-i", key, join(dir, "passwords.yml.age")], { encoding: "utf8" }), plain);
  });
});
