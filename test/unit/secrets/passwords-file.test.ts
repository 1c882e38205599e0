import assert from "node:assert/strict";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { DeclaredSecrets } from "../../../src/secrets/declared-secrets.js";
import { generatePasswordsFile, readPasswords } from "../../../src/secrets/passwords-file.js";
import { problemsOf } from "../problems-of.js";

const declared: DeclaredSecrets = new Map([
  ["database_password", { kind: "password", description: "MariaDB root password", role: "mariadb" }],
  ["rabbitmq_password", { kind: "password", length: 40, description: "RabbitMQ admin password", role: "rabbitmq" }],
  ["rabbitmq_cookie", { kind: "erlang_cookie", description: "Erlang cookie", role: "rabbitmq" }],
  ["webapp_secret", { kind: "hex", description: "session key", role: "webapp" }],
  ["deploy_key", { kind: "ssh_key", description: "key to pull backups", role: "webapp" }],
]);

function writeFile(file: string, text: string, mode = 0o600): void {
  writeFileSync(file, text);
  chmodSync(file, mode);
}

describe("passwords.yml", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lading-pw-"));
    file = join(dir, "passwords.yml");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("generatePasswordsFile (lading genpwd)", () => {
    it("creates a 0600 file with every declared secret, and reads back the same values", () => {
      const report = generatePasswordsFile(file, declared);
      assert.equal(report.created, true);
      assert.equal(report.written, true);
      assert.deepEqual(report.generated, [...declared.keys()]);
      assert.deepEqual(report.kept, []);
      assert.equal(statSync(file).mode & 0o777, 0o600);

      const onDisk = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      const values = readPasswords(file, declared);
      assert.deepEqual(Object.fromEntries(values), onDisk);
      assert.match(values.get("rabbitmq_password") as string, /^[A-Za-z0-9]{40}$/);
      assert.match(values.get("rabbitmq_cookie") as string, /^[A-Z]{20}$/);
      const key = values.get("deploy_key") as { private_key: string; public_key: string };
      assert.match(key.private_key, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      // The private key is written as a YAML block, readable and diffable.
      assert.match(readFileSync(file, "utf8"), /private_key: \|\n {4}-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    });

    it("reports names and counts but never a value", () => {
      const report = generatePasswordsFile(file, declared);
      const values = readPasswords(file, declared);
      const printed = JSON.stringify(report);
      for (const v of values.values()) {
        for (const s of typeof v === "string" ? [v] : Array.isArray(v) ? v : [v.private_key, v.public_key]) assert.ok(!printed.includes(s));
      }
    });

    it("fills blanks of every form, keeps set values, comments, order and unknown keys, appends missing keys", () => {
      const original = [
        "# Site secrets. Do not share.",
        "",
        "# the database",
        "database_password:   # blank: to generate",
        'rabbitmq_password: ""',
        "custom_token: keep-me-as-i-am-123 # not declared by any role",
        "rabbitmq_cookie: ~",
        "webapp_secret: AlreadySetByTheOperator42",
        "",
      ].join("\n");
      writeFile(file, original);
      const report = generatePasswordsFile(file, declared);
      assert.deepEqual(report.generated, ["database_password", "rabbitmq_password", "rabbitmq_cookie", "deploy_key"]);
      assert.deepEqual(report.kept, ["webapp_secret"]);
      assert.deepEqual(report.undeclaredInFile, ["custom_token"]);

      const text = readFileSync(file, "utf8");
      const lines = text.split("\n");
      assert.equal(lines[0], "# Site secrets. Do not share.");
      assert.equal(lines[2], "# the database");
      assert.match(lines[3]!, /^database_password: [A-Za-z0-9]{32} # blank: to generate$/);
      assert.match(lines[4]!, /^rabbitmq_password: [A-Za-z0-9]{40}$/);
      assert.equal(lines[5], "custom_token: keep-me-as-i-am-123 # not declared by any role");
      assert.match(lines[6]!, /^rabbitmq_cookie: [A-Z]{20}$/);
      assert.equal(lines[7], "webapp_secret: AlreadySetByTheOperator42");
      // The missing key is appended last, with a comment saying which role wants it and why.
      assert.equal(lines[8], "# webapp: key to pull backups");
      assert.equal(lines[9], "deploy_key:");
    });

    it("changes nothing on a second run: same bytes, not rewritten", () => {
      generatePasswordsFile(file, declared);
      const first = readFileSync(file, "utf8");
      const inode = statSync(file).ino;
      const report = generatePasswordsFile(file, declared);
      assert.equal(report.written, false);
      assert.deepEqual(report.generated, []);
      assert.equal(report.kept.length, declared.size);
      assert.equal(readFileSync(file, "utf8"), first);
      assert.equal(statSync(file).ino, inode);
    });

    it("tightens a looser existing file to 0600 and says so, even when nothing else changes", () => {
      generatePasswordsFile(file, declared);
      chmodSync(file, 0o644);
      const report = generatePasswordsFile(file, declared);
      assert.equal(report.written, false);
      assert.equal(report.tightenedFrom, 0o644);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });

    it("tightens a looser file that it rewrites", () => {
      writeFile(file, "database_password:\n", 0o664);
      const report = generatePasswordsFile(file, declared);
      assert.equal(report.written, true);
      assert.equal(report.tightenedFrom, 0o664);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });

    it("writes block style into a file that was empty or held only comments", () => {
      generatePasswordsFile(file, new Map());
      assert.match(readFileSync(file, "utf8"), /^\{\}$/m);
      generatePasswordsFile(file, declared);
      const text = readFileSync(file, "utf8");
      assert.match(text, /^database_password: [A-Za-z0-9]{32}$/m);
      assert.match(text, /^deploy_key:\n {2}private_key: \|\n/m);
      writeFile(file, "# only a comment\n");
      generatePasswordsFile(file, declared);
      assert.match(readFileSync(file, "utf8"), /^# only a comment\n[^]*^database_password: [A-Za-z0-9]{32}$/m);
    });

    it("leaves no temporary file behind", () => {
      generatePasswordsFile(file, declared);
      assert.deepEqual(readdirSync(dir), ["passwords.yml"]);
    });

    it("writes through a symlinked passwords.yml, keeping the link", () => {
      const real = join(dir, "real.yml");
      writeFile(real, "database_password:\n");
      symlinkSync(real, file);
      generatePasswordsFile(file, declared);
      assert.ok(lstatSync(file).isSymbolicLink());
      assert.match(readFileSync(real, "utf8"), /^database_password: [A-Za-z0-9]{32}$/m);
    });

    it("refuses a file whose declared secret has the wrong shape, naming its line, and writes nothing", () => {
      const text = "database_password: abcdefghijk\ndeploy_key: not-a-key-pair\n";
      writeFile(file, text);
      const problems = problemsOf(() => generatePasswordsFile(file, declared));
      assert.deepEqual(
        problems.map((p) => [p.line, p.path, p.message]),
        [[2, "deploy_key", "must be a map with private_key and public_key (kind ssh_key)"]],
      );
      assert.equal(readFileSync(file, "utf8"), text);
    });

    describe("--merge OLD", () => {
      it("takes declared values from OLD, generates new keys, lists OLD's undeclared keys by name", () => {
        const old = join(dir, "old.yml");
        writeFile(old, ["database_password: OldDatabasePassword1", "rabbitmq_password: OldRabbitPassword22", "retired_service_password: Gone12345678", "rabbitmq_cookie:", ""].join("\n"));
        writeFile(file, ["database_password:", "rabbitmq_password: FreshlyGeneratedButWrong1", "webapp_secret: KeptBecauseOldHasNone99", ""].join("\n"));
        const report = generatePasswordsFile(file, declared, { merge: old });
        assert.deepEqual(report.merged, ["database_password"]);
        assert.deepEqual(report.replaced, ["rabbitmq_password"]);
        assert.deepEqual(report.kept, ["webapp_secret"]);
        assert.deepEqual(report.generated, ["rabbitmq_cookie", "deploy_key"]);
        assert.deepEqual(report.undeclaredInOld, ["retired_service_password"]);
        const values = readPasswords(file, declared);
        assert.equal(values.get("database_password"), "OldDatabasePassword1");
        assert.equal(values.get("rabbitmq_password"), "OldRabbitPassword22");
        assert.equal(values.get("webapp_secret"), "KeptBecauseOldHasNone99");
        assert.equal(values.has("retired_service_password"), false);
      });

      it("creates the file from OLD when there is none yet, and a second merge changes nothing", () => {
        const old = join(dir, "old.yml");
        writeFile(old, "database_password: OldDatabasePassword1\n");
        generatePasswordsFile(file, declared, { merge: old });
        const text = readFileSync(file, "utf8");
        const again = generatePasswordsFile(file, declared, { merge: old });
        assert.equal(again.written, false);
        assert.deepEqual(again.kept.length, declared.size);
        assert.equal(readFileSync(file, "utf8"), text);
      });

      it("names a missing OLD file", () => {
        const problems = problemsOf(() => generatePasswordsFile(file, declared, { merge: join(dir, "nope.yml") }));
        assert.equal(problems[0]?.file, join(dir, "nope.yml"));
        assert.equal(problems[0]?.message, "file not found");
      });

      it("refuses an OLD file with errors, located in OLD", () => {
        const old = join(dir, "old.yml");
        writeFile(old, "database_password:\n  - a list\n");
        const problems = problemsOf(() => generatePasswordsFile(file, declared, { merge: old }));
        assert.equal(problems.length > 0, true);
        for (const p of problems) assert.equal(p.file, old);
        assert.equal(problems[0]?.line, 2);
      });
    });
  });

  describe("readPasswords", () => {
    it("says which secret is not generated, with its exact line", () => {
      generatePasswordsFile(file, declared);
      const text = readFileSync(file, "utf8").replace(/^rabbitmq_cookie: .*$/m, "rabbitmq_cookie:");
      writeFile(file, text);
      const line = text.split("\n").indexOf("rabbitmq_cookie:") + 1;
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(problems, [
        { file, line, column: 1 + "rabbitmq_cookie:".length, path: "rabbitmq_cookie", message: "not generated: run lading genpwd" },
      ]);
    });

    it("refuses a malformed Fernet key, naming it and its line, never its value", () => {
      const declared: DeclaredSecrets = new Map([["token_key", { kind: "fernet_key", description: "Fernet token key", role: "keystone" }]]);
      generatePasswordsFile(file, declared);
      const good = readPasswords(file, declared).get("token_key");
      assert.match(String(good), /^[A-Za-z0-9_-]{43}=$/, "genpwd makes a Fernet key");
      const text = readFileSync(file, "utf8").replace(/^token_key: .*$/m, "token_key: notAFernetKeyAtAll");
      writeFile(file, text);
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(problems.map((p) => [p.path, p.line]), [["token_key", text.split("\n").findIndex((l) => l.startsWith("token_key:")) + 1]]);
      assert.match(problems[0]!.message, /^must be a Fernet key: 32 bytes in url-safe base64/);
      assert.doesNotMatch(JSON.stringify(problems), /notAFernetKeyAtAll/);
    });

    it("refuses a password with a newline or another control character, naming it and its line", () => {
      generatePasswordsFile(file, declared);
      const text = readFileSync(file, "utf8").replace(/^rabbitmq_password: .*$/m, 'rabbitmq_password: "first line\\nsecond line $(touch /tmp/x)"');
      writeFile(file, text);
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(problems.map((p) => [p.path, p.line]), [["rabbitmq_password", text.split("\n").findIndex((l) => l.startsWith("rabbitmq_password:")) + 1]]);
      assert.match(problems[0]!.message, /control character.*one line/);
      assert.doesNotMatch(JSON.stringify(problems), /second line/);
    });

    it("treats an empty string, null and an ssh pair without private key as not generated", () => {
      const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn lading";
      writeFile(
        file,
        `database_password: ""\nrabbitmq_password: null\nrabbitmq_cookie: ABCDEFGHIJKLMNOPQRST\nwebapp_secret: 0123456789abcdef\ndeploy_key:\n  private_key: ""\n  public_key: ${pub}\n`,
      );
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(
        problems.map((p) => [p.path, p.line, p.message]),
        [
          ["database_password", 1, "not generated: run lading genpwd"],
          ["rabbitmq_password", 2, "not generated: run lading genpwd"],
          ["deploy_key", 6, "not generated: run lading genpwd"],
        ],
      );
    });

    it("refuses a file others can read, telling to chmod 600", () => {
      generatePasswordsFile(file, declared);
      chmodSync(file, 0o640);
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(problems, [{ file, message: `mode 0640 lets others read these secrets: run chmod 600 ${file}` }]);
    });

    it("reports the mode together with the file's other problems", () => {
      writeFile(file, "database_password: 12345678\n", 0o604);
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(
        problems.map((p) => [p.line, p.message]),
        [
          [undefined, `mode 0604 lets others read these secrets: run chmod 600 ${file}`],
          [1, "must be a string (quote it), a key pair {private_key, public_key}, a list of keys, or blank"],
        ],
      );
    });

    it("names a missing declared secret, a value of the wrong shape and one too short", () => {
      writeFile(
        file,
        "database_password: short\nrabbitmq_password: {private_key: x, public_key: y}\nrabbitmq_cookie: ABCDEFGHIJKLMNOPQRST\nwebapp_secret: 0123456789abcdef\n",
      );
      const problems = problemsOf(() => readPasswords(file, declared));
      assert.deepEqual(
        problems.map((p) => [p.path, p.line, p.message]),
        [["rabbitmq_password", 2, "must be a string (kind password)"]],
      );
      writeFile(file, "database_password: short\nrabbitmq_password: LongEnough123\nrabbitmq_cookie: ABCDEFGHIJKLMNOPQRST\nwebapp_secret: 0123456789abcdef\n");
      assert.deepEqual(
        problemsOf(() => readPasswords(file, declared)).map((p) => [p.path, p.line, p.message]),
        [
          ["database_password", 1, "shorter than 8 characters; blank it and run lading genpwd, or set a longer value"],
          ["deploy_key", 1, 'secret "deploy_key" (role webapp) is missing: run lading genpwd'],
        ],
      );
    });

    it("reports schema errors with line and path: an unknown field in a key pair", () => {
      writeFile(file, "deploy_key:\n  private_key: a\n  public_key: b\n  passphrase: c\n");
      const problems = problemsOf(() => readPasswords(file, new Map()));
      assert.deepEqual(problems.map((p) => [p.line, p.path, p.message]), [[4, "deploy_key/passphrase", 'unknown key "passphrase"']]);
    });

    it("names a missing file and says how to create it", () => {
      assert.deepEqual(problemsOf(() => readPasswords(file, declared)), [{ file, message: "file not found: run lading genpwd to create it" }]);
    });

    it("returns unknown keys' values too, so that redaction covers them", () => {
      writeFile(file, "someone_elses_token: AnUndeclaredSecret1\nblank_unknown:\n");
      const values = readPasswords(file, new Map());
      assert.deepEqual([...values], [["someone_elses_token", "AnUndeclaredSecret1"]]);
    });
  });
});
