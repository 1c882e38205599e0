// Key repositories (secrets of kind key_repository): generated, validated with file:line, rendered as a folder
// of key files, rotated the way Keystone expects, and written back into the passwords file keeping its comments.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../../../src/errors.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { packageRoot } from "../../../src/paths.js";
import { checkPasswordsText } from "../../../src/secrets/check-passwords.js";
import type { DeclaredSecrets } from "../../../src/secrets/declared-secrets.js";
import { decryptFile, encryptText, newIdentity } from "../../../src/secrets/encrypted.js";
import { generateSecret } from "../../../src/secrets/generate.js";
import { readPasswords, setPasswordValues } from "../../../src/secrets/passwords-file.js";
import { Redactor } from "../../../src/secrets/redact.js";
import { planKeyRotation, rotateKeyRepository } from "../../../src/secrets/rotate-keys.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";

const key = (c: string): string => `${c.repeat(43)}=`;
const counter = (): (() => string) => {
  let n = 0;
  return () => key(String.fromCharCode(0x61 + n++));
};

describe("key repositories", () => {
  describe("rotateKeyRepository", () => {
    it("promotes the staged key to primary, keeps the old primary, drops the oldest secondary, stages a new key", () => {
      const [k0, k1, k2] = [key("A"), key("B"), key("C")];
      assert.deepEqual(rotateKeyRepository([k0, k1, k2], 3, () => key("N")), [key("N"), k2, k0]);
    });

    it("keeps a token readable across keys - 2 rotations, and every new primary was staged on every host before", () => {
      let repo = [key("A"), key("B"), key("C")];
      const next = counter();
      for (let i = 0; i < 6; i++) {
        const before = repo;
        repo = rotateKeyRepository(before, 4, next);
        assert.equal(repo.length, 4);
        // The new primary was the staged key of the set every host held before.
        assert.equal(repo.at(-1), before[0]);
        // A token made with the previous primary is still read.
        assert.ok(repo.includes(before.at(-1)!));
        assert.equal(new Set(repo).size, repo.length);
      }
    });

    it("grows a short repository to its declared size, and refuses one without a primary", () => {
      assert.deepEqual(rotateKeyRepository([key("A"), key("B")], 3, () => key("N")), [key("N"), key("B"), key("A")]);
      assert.deepEqual(rotateKeyRepository([key("A"), key("B")], 4, () => key("N")), [key("N"), key("B"), key("A")]);
      assert.throws(() => rotateKeyRepository([key("A")], 3), /staged and a primary/);
    });

    it("never stages a key the repository holds already", () => {
      assert.throws(() => rotateKeyRepository([key("A"), key("B"), key("C")], 3, () => key("B")), /repeats a key/);
    });
  });

  describe("genpwd and validate", () => {
    const declared: DeclaredSecrets = new Map([["fernet", { kind: "key_repository", keys: 4, description: "token keys", role: "keystone" }]]);

    it("generates the declared number of different Fernet keys", () => {
      const keys = generateSecret({ kind: "key_repository", keys: 4 });
      assert.ok(Array.isArray(keys));
      assert.equal(keys.length, 4);
      assert.equal(new Set(keys).size, 4);
      for (const k of keys) assert.match(k, /^[A-Za-z0-9_-]{43}=$/);
      assert.equal((generateSecret({ kind: "key_repository" }) as string[]).length, 3);
    });

    it("refuses a malformed key with the file, line and path of that key", () => {
      const text = `# keys\nfernet:\n  - ${key("A")}\n  - not-a-key\n  - ${key("C")}\n`;
      assert.throws(
        () => checkPasswordsText("/d/passwords.yml", text, declared),
        (err: unknown) => {
          assert.ok(err instanceof InputError);
          const p = err.problems[0]!;
          assert.equal(p.file, "/d/passwords.yml");
          assert.equal(p.line, 4);
          assert.match(p.message, /key 1 must be a Fernet key/);
          return true;
        },
      );
    });

    it("refuses a repeated key, a single key, and a string where a list is declared", () => {
      const messages = (text: string): string => {
        try {
          checkPasswordsText("p.yml", text, declared);
          return "";
        } catch (err) {
          return (err as InputError).problems.map((p) => `${p.line}: ${p.message}`).join("\n");
        }
      };
      assert.match(messages(`fernet:\n  - ${key("A")}\n  - ${key("A")}\n`), /^3: key 1 is the same as key 0/);
      assert.match(messages(`fernet:\n  - ${key("A")}\n`), /^2: must be a list of at least 2 different Fernet keys/);
      assert.match(messages(`fernet: ${key("A")}\n`), /^1: must be a list of at least 2/);
      assert.equal(messages(`fernet:\n  - ${key("A")}\n  - ${key("B")}\n`), "");
    });
  });

  describe("in the keystone role", () => {
    let dir: string;
    before(() => {
      dir = copyDeployment(join(packageRoot, "examples", "openstack"));
      writeFakePasswords(dir);
    });
    after(() => removeDeployment(dir));

    it("renders each repository as files 0..N-1, mode 0600, owned by keystone, restarting nothing", () => {
      const project = loadProject({ dir });
      const svc = renderProject(project).hosts.get("lab1")!.services.find((s) => s.name === "keystone")!;
      const fernet = project.secrets.keystone_fernet_keys as string[];
      const files = svc.files.filter((f) => f.path.includes("/fernet-keys/"));
      assert.deepEqual(files.map((f) => f.path), ["/etc/lading/keystone/fernet-keys/0", "/etc/lading/keystone/fernet-keys/1", "/etc/lading/keystone/fernet-keys/2"]);
      assert.deepEqual(files.map((f) => f.content), fernet);
      for (const f of files) {
        assert.equal(f.mode, "0600");
        assert.equal(f.owner, "42425:42425");
        assert.deepEqual(f.restarts, []);
      }
      // credential_migrate's inputs are the credential key files: a rotation runs it again, db_sync not.
      const migrate = svc.jobs!.find((j) => j.name === "credential_migrate")!;
      assert.deepEqual(migrate.inputs.filter((p) => p.includes("credential-keys")).length, 3);
      assert.ok(!svc.jobs!.find((j) => j.name === "db_sync")!.inputs.some((p) => p.includes("-keys/")));
    });

    it("plans the rotation of both repositories, and names the services that have one when asked for another", () => {
      const project = loadProject({ dir });
      const rotation = planKeyRotation("keystone", project.enabled, project.secrets, counter());
      assert.deepEqual(rotation.map((r) => r.secret), ["keystone_fernet_keys", "keystone_credential_keys"]);
      for (const r of rotation) assert.equal(r.after.at(-1), r.before[0]);
      assert.throws(() => planKeyRotation("webapp", project.enabled, project.secrets), /service "webapp" has no key repository/);
      assert.throws(() => planKeyRotation("nova", project.enabled, project.secrets), /no enabled service "nova": services with key repositories are keystone/);
    });

    it("writes the rotated keys back keeping the file's comments, mode 0600, and redacts every key", async () => {
      const project = loadProject({ dir });
      const file = join(dir, "passwords.yml");
      writeFileSync(file, `# my comment\n${readFileSync(file, "utf8")}`, { mode: 0o600 });
      const [fernet] = planKeyRotation("keystone", project.enabled, project.secrets, counter());
      await setPasswordValues(file, project.roles.secrets, new Map([[fernet!.secret, fernet!.after]]));
      const text = readFileSync(file, "utf8");
      assert.match(text, /^# my comment\n/);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readPasswords(file, project.roles.secrets).get("keystone_fernet_keys"), fernet!.after);
      const redactor = new Redactor([fernet!.after]);
      assert.equal(redactor.redact(`key ${fernet!.after[1]} and ${fernet!.after[0]}`), "key [REDACTED] and [REDACTED]");
    });
  });

  it("writes an encrypted passwords file encrypted again", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "lading-rotate-"));
    try {
      const identity = await newIdentity();
      writeFileSync(join(tmp, "key.txt"), identity.text, { mode: 0o600 });
      const declared: DeclaredSecrets = new Map([["fernet", { kind: "key_repository", description: "token keys", role: "keystone" }]]);
      const file = join(tmp, "passwords.yml.age");
      writeFileSync(file, await encryptText(`fernet:\n  - ${key("A")}\n  - ${key("B")}\n  - ${key("C")}\n`, [identity.recipient]), { mode: 0o600 });
      await setPasswordValues(file, declared, new Map([["fernet", [key("N"), key("C"), key("A")]]]), join(tmp, "key.txt"));
      const raw = readFileSync(file, "utf8");
      assert.ok(!raw.includes(key("N")) && raw.includes("AGE ENCRYPTED FILE"));
      assert.match(await decryptFile(file, join(tmp, "key.txt")), new RegExp(`- ${key("N")}\\n  - ${key("C")}`));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
