import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeGenpwdReport, loadDeclaredSecrets } from "../../../src/cli/commands/genpwd.js";
import { runCli } from "../run-cli.js";
import { InputError } from "../../../src/errors.js";

describe("lading genpwd (command)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lading-genpwd-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => runCli(args);

  function writeRole(name: string, secrets: string): void {
    mkdirSync(join(dir, "roles", name), { recursive: true });
    writeFileSync(join(dir, "roles", name, "role.yaml"), `name: ${name}\ndescription: x\ngroups: [${name}]\nsecrets:\n${secrets}`);
  }


  it("loads the secrets the built-in and the deployment's roles declare, with their role", () => {
    writeRole("extra", "  extra_password: {kind: password, description: root}\n  extra_cookie: {kind: erlang_cookie, length: 24, description: cookie}\n");
    const declared = loadDeclaredSecrets(dir);
    assert.deepEqual(declared.get("extra_password"), { kind: "password", description: "root", role: "extra" });
    assert.deepEqual(declared.get("extra_cookie"), { kind: "erlang_cookie", length: 24, description: "cookie", role: "extra" });
    assert.equal(declared.get("rabbitmq_erlang_cookie")?.role, "rabbitmq");
  });

  it("refuses a bad declaration and one name declared with two kinds, located", () => {
    writeRole("a", "  shared_secret: {kind: password, description: one}\n");
    writeRole("b", "  shared_secret: {kind: hex, description: two}\n  weird: {kind: pin, description: w}\n");
    try {
      loadDeclaredSecrets(dir);
      assert.fail("expected an InputError");
    } catch (err) {
      assert.ok(err instanceof InputError);
      assert.deepEqual(
        err.problems.map((p) => [p.file, p.line, p.path, p.message]),
        [
          [join(dir, "roles/b/role.yaml"), 6, "secrets/weird/kind", 'must be one of "password", "hex", "uuid", "erlang_cookie", "ssh_key", "fernet_key", "key_repository", got the string "pin"'],
        ],
      );
    }
  });

  it("refuses one secret name declared with two kinds, at the second declaration", () => {
    writeRole("a", "  shared_secret: {kind: password, description: one}\n");
    writeRole("b", "  shared_secret: {kind: hex, description: two}\n");
    assert.throws(
      () => loadDeclaredSecrets(dir),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.deepEqual(
          err.problems.map((p) => [p.file, p.line, p.path, p.message]),
          [[join(dir, "roles/b/role.yaml"), 5, "secrets/shared_secret", 'secret "shared_secret" is also declared by a with another kind or length']],
        );
        return true;
      },
    );
  });

  it("describes a report with counts and names only", () => {
    const lines = describeGenpwdReport(
      {
        file: "passwords.yml",
        created: false,
        written: true,
        generated: ["a", "b"],
        kept: ["c"],
        merged: ["d"],
        replaced: ["e"],
        undeclaredInOld: ["old_one"],
        undeclaredInFile: ["mine"],
        tightenedFrom: 0o644,
      },
      "old/passwords.yml",
    );
    assert.deepEqual(lines, [
      "passwords.yml: generated 2, kept 1, taken from old/passwords.yml 2",
      "replaced by the values of old/passwords.yml: e",
      "not declared by any role, so not taken from old/passwords.yml: old_one",
      "not declared by any role, left as they are: mine",
      "passwords.yml was mode 0644, readable by others: now 0600",
    ]);
  });

  it("runs from the command line: creates the file 0600, and exits 3 on a bad file", async () => {
    const file = join(dir, "passwords.yml");
    const ok = await run(["genpwd", "-d", dir]);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /^created .*passwords\.yml: generated \d+, kept 0\n/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(readFileSync(file, "utf8").startsWith("# Secrets of this deployment"));

    writeFileSync(file, "a: 1\n");
    const bad = await run(["genpwd", "-p", file]);
    assert.equal(bad.code, 3);
    assert.match(bad.err, /passwords\.yml:1:4: a: must be a string \(quote it\)/);
  });
});
