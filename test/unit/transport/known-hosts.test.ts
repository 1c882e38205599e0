import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HostError } from "../../../src/errors.js";
import { connect } from "../../../src/transport/connect.js";
import {
  checkHostKey,
  fingerprintSha256,
  hostFieldMatches,
  knownHostName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  readKnownHosts,
} from "../../../src/transport/known-hosts.js";
import type { ConnectOptions, SshTarget } from "../../../src/transport/transport.js";
import { generateKeyPair, knownHostsLine, makeClientFiles, publicKeyBlob, startTestServer, type TestServer } from "./ssh-test-server.js";

describe("known_hosts", function () {
  this.timeout(20_000);

  describe("matching (no network)", () => {
    it("uses [host]:port for ports other than 22", () => {
      assert.equal(knownHostName("10.98.0.12", 22), "10.98.0.12");
      assert.equal(knownHostName("10.98.0.12", 2222), "[10.98.0.12]:2222");
    });

    it("matches lists, wildcards and negations", () => {
      assert.ok(hostFieldMatches("lab1,10.98.0.11", "10.98.0.11"));
      assert.ok(hostFieldMatches("10.98.0.*", "10.98.0.12"));
      assert.ok(hostFieldMatches("lab?", "lab3"));
      assert.ok(!hostFieldMatches("lab?", "lab10"));
      assert.ok(!hostFieldMatches("10.98.0.*,!10.98.0.13", "10.98.0.13"));
      assert.ok(hostFieldMatches("[127.0.0.1]:2222", "[127.0.0.1]:2222"));
      assert.ok(!hostFieldMatches("127.0.0.1", "[127.0.0.1]:2222"));
    });

    it("matches entries hashed by ssh-keygen -H", () => {
      const files = makeClientFiles();
      try {
        const key = generateKeyPair().public.split(" ").slice(0, 2).join(" ");
        writeFileSync(files.knownHostsFile, `[10.98.0.12]:2222 ${key}\nlab1 ${key}\n`);
        execFileSync("ssh-keygen", ["-H", "-f", files.knownHostsFile], { stdio: "ignore" });
        const entries = parseKnownHosts(readFileSync(files.knownHostsFile, "utf8"), files.knownHostsFile);
        assert.equal(entries.length, 2);
        assert.ok(entries.every((e) => e.hosts.startsWith("|1|")));
        assert.ok(hostFieldMatches(entries[0]!.hosts, "[10.98.0.12]:2222"));
        assert.ok(!hostFieldMatches(entries[0]!.hosts, "10.98.0.12"));
        assert.ok(hostFieldMatches(entries[1]!.hosts, "lab1"));
      } finally {
        rmSync(files.dir, { recursive: true, force: true });
      }
    });

    it("formats fingerprints exactly like ssh-keygen -l", () => {
      const files = makeClientFiles();
      try {
        const pair = generateKeyPair();
        writeFileSync(join(files.dir, "k.pub"), pair.public);
        const expected = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(files.dir, "k.pub")]).toString().split(" ")[1];
        assert.equal(fingerprintSha256(publicKeyBlob(pair.public)), expected);
      } finally {
        rmSync(files.dir, { recursive: true, force: true });
      }
    });

    it("judges known, changed, unknown and revoked keys, with several key types per host", () => {
      const [a, b] = [generateKeyPair(), generateKeyPair()];
      const ecdsaLine = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";
      const text = `# comment\n\nlab1 ${ecdsaLine}\nlab1,lab2 ${a.public}\n@cert-authority *.lab ${b.public}\n`;
      const entries = parseKnownHosts(text, "kh");
      assert.equal(checkHostKey(entries, "lab1", publicKeyBlob(a.public)).kind, "known");
      const changed = checkHostKey(entries, "lab2", publicKeyBlob(b.public));
      assert.equal(changed.kind, "changed");
      assert.equal(changed.kind === "changed" && changed.entry.line, 4);
      const unknown = checkHostKey(entries, "lab3", publicKeyBlob(a.public));
      assert.deepEqual(unknown, { kind: "unknown", otherTypes: [] });
      // a cert-authority line does not vouch for a plain key
      assert.equal(checkHostKey(entries, "x.lab", publicKeyBlob(b.public)).kind, "unknown");
      const revoked = parseKnownHosts(`${text}@revoked * ${a.public}\n`, "kh");
      assert.equal(checkHostKey(revoked, "lab1", publicKeyBlob(a.public)).kind, "revoked");
      // the types already known for a host are asked for first
      assert.equal(preferredHostKeyAlgorithms(entries, "lab1")[0], "ssh-ed25519");
      assert.deepEqual(preferredHostKeyAlgorithms(parseKnownHosts(`lab1 ${ecdsaLine}\n`, "kh"), "lab1").slice(0, 2), ["ecdsa-sha2-nistp256", "ssh-ed25519"]);
    });
    it("finds a host among thousands of entries in file order, literal names and patterns alike", () => {
      const [a, b, c, d] = [generateKeyPair(), generateKeyPair(), generateKeyPair(), generateKeyPair()];
      const lines = Array.from({ length: 3000 }, (_, i) => `[127.10.${Math.floor(i / 250)}.${(i % 250) + 1}]:2222 ${a.public}`);
      lines.splice(1500, 0, `[127.10.*]:2222,!*.7]:2222 ${b.public}`, `@revoked [127.10.9.9]:2222 ${c.public}`, `H1500,h1500 ${d.public}`);
      const entries = parseKnownHosts(`${lines.join("\n")}\n`, "kh");
      assert.equal(checkHostKey(entries, "[127.10.0.1]:2222", publicKeyBlob(a.public)).kind, "known");
      // The wildcard line (1501) comes before the literal one of 127.10.6.1 (line 1504): it is the one reported.
      const changed = checkHostKey(entries, "[127.10.6.1]:2222", publicKeyBlob(d.public));
      assert.equal(changed.kind === "changed" && changed.entry.line, 1501);
      assert.equal(checkHostKey(entries, "[127.10.6.1]:2222", publicKeyBlob(b.public)).kind, "known");
      assert.equal(checkHostKey(entries, "[127.10.0.7]:2222", publicKeyBlob(b.public)).kind, "changed", "negated for .7: only the literal line names it");
      assert.equal(checkHostKey(entries, "h1500", publicKeyBlob(d.public)).kind, "known", "names are matched without regard to case");
      assert.equal(checkHostKey(entries, "[127.10.0.2]:2222", publicKeyBlob(c.public)).kind, "revoked", "a revoked key is refused for any host");
      assert.equal(checkHostKey(entries, "[127.99.0.1]:2222", publicKeyBlob(a.public)).kind, "unknown");
    });

    it("reads a known_hosts file again once it changed", async () => {
      const files = makeClientFiles();
      try {
        const [a, b] = [generateKeyPair(), generateKeyPair()];
        writeFileSync(files.knownHostsFile, `lab1 ${a.public}\n`);
        const first = await readKnownHosts([files.knownHostsFile]);
        assert.equal(await readKnownHosts([files.knownHostsFile]), first, "an unchanged file is not parsed again");
        writeFileSync(files.knownHostsFile, `lab1 ${a.public}\nlab2 ${b.public}\n`);
        const second = await readKnownHosts([files.knownHostsFile]);
        assert.equal(checkHostKey(second, "lab2", publicKeyBlob(b.public)).kind, "known");
        assert.equal(checkHostKey(first, "lab2", publicKeyBlob(b.public)).kind, "unknown");
      } finally {
        rmSync(files.dir, { recursive: true, force: true });
      }
    });
  });

  describe("host key checks on connect", () => {
    const files = makeClientFiles();
    let server: TestServer;
    let target: SshTarget;
    let opts: ConnectOptions;

    before(async () => {
      delete process.env["SSH_AUTH_SOCK"];
      server = await startTestServer({ clientPublicKey: files.key.public });
      target = { name: "lab-kh", address: "127.0.0.1", port: server.port, user: "root", key: files.keyFile, connection: "ssh", become: false };
      opts = { knownHostsFile: files.knownHostsFile, sshConfigFile: "/nonexistent/config" };
    });
    after(async () => {
      await server.close();
      rmSync(files.dir, { recursive: true, force: true });
    });
    beforeEach(() => rmSync(files.knownHostsFile, { force: true }));

    const fingerprint = (): string => fingerprintSha256(publicKeyBlob(server.hostKey.public));

    it("refuses an unknown key by default, showing its fingerprint", async () => {
      await assert.rejects(connect(target, opts), (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.match(err.message, /^lab-kh: cannot connect to 127\.0\.0\.1:\d+: host key of 127\.0\.0\.1:\d+ is not known/);
        assert.ok(err.message.includes(`ssh-ed25519 ${fingerprint()}`), err.message);
        return true;
      });
    });

    it("accepts and appends a new key with acceptNewHostKeys, then knows it", async () => {
      writeFileSync(files.knownHostsFile, "other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
      const first = await connect(target, { ...opts, acceptNewHostKeys: true });
      await first.close();
      const lines = readFileSync(files.knownHostsFile, "utf8").split("\n");
      assert.equal(lines[1], knownHostsLine(server).trim());
      const second = await connect(target, opts);
      assert.equal((await second.exec(["echo", "ok"])).stdout, "ok\n");
      await second.close();
    });

    it("always refuses a changed key, naming both fingerprints and the old line", async () => {
      const old = generateKeyPair();
      writeFileSync(files.knownHostsFile, `# first line\n[127.0.0.1]:${server.port} ${old.public}\n`);
      await assert.rejects(connect(target, { ...opts, acceptNewHostKeys: true }), (err: unknown) => {
        assert.ok(err instanceof HostError);
        assert.match(err.message, /has CHANGED/);
        assert.ok(err.message.includes(fingerprint()), err.message);
        assert.ok(err.message.includes(fingerprintSha256(publicKeyBlob(old.public))), err.message);
        assert.ok(err.message.includes(`${files.knownHostsFile}:2`), err.message);
        return true;
      });
      assert.equal(readFileSync(files.knownHostsFile, "utf8").split("\n").length, 3, "nothing appended");
    });

    it("matches a hashed [127.0.0.1]:PORT entry", async () => {
      writeFileSync(files.knownHostsFile, knownHostsLine(server));
      execFileSync("ssh-keygen", ["-H", "-f", files.knownHostsFile], { stdio: "ignore" });
      assert.ok(readFileSync(files.knownHostsFile, "utf8").startsWith("|1|"));
      const transport = await connect(target, opts);
      await transport.close();
    });

    it("refuses a revoked key even with acceptNewHostKeys", async () => {
      writeFileSync(files.knownHostsFile, `${knownHostsLine(server)}@revoked * ${server.hostKey.public}\n`);
      await assert.rejects(connect(target, { ...opts, acceptNewHostKeys: true }), /is REVOKED/);
    });
  });
});
