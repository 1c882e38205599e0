// Every script lading runs on hosts is a file of src/host-scripts/, linted here as it is sent (its includes
// taken in): shellcheck for POSIX sh and bash, `perl -c` for Perl. The unit suite needs both (scripts/test.sh installs
// shellcheck where it is missing).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { HOST_SCRIPTS, type HostScriptName } from "../../../src/generated/host-scripts.js";
import { packageRoot } from "../../../src/paths.js";

const names = Object.keys(HOST_SCRIPTS) as HostScriptName[];

describe("host scripts", () => {
  it("are every .sh and .pl file of src/host-scripts, embedded at build time", () => {
    const files = readdirSync(join(packageRoot, "src", "host-scripts")).filter((f) => /\.(sh|bash|pl)$/.test(f)).sort();
    assert.deepEqual([...names].sort(), files);
    assert.ok(files.length >= 4);
  });

  for (const name of names.filter((n) => /\.(sh|bash)$/.test(n))) {
    const shell = name.endsWith(".bash") ? "bash" : "sh";
    it(`${name} passes shellcheck as sent (${shell === "sh" ? "POSIX sh" : "bash"})`, () => {
      const r = spawnSync("shellcheck", [`--shell=${shell}`, "--severity=style", "--format=gcc", "-"], { input: HOST_SCRIPTS[name], encoding: "utf8" });
      assert.ok(!r.error, `shellcheck could not run (${String(r.error)}): apt-get install shellcheck`);
      assert.equal(r.status, 0, `src/host-scripts/${name} (as sent, includes taken in):\n${r.stdout}${r.stderr}`);
    });
  }

  for (const name of names.filter((n) => n.endsWith(".pl"))) {
    it(`${name} compiles (perl -c)`, () => {
      const r = spawnSync("perl", ["-c", "-e", HOST_SCRIPTS[name]], { encoding: "utf8" });
      assert.equal(r.status, 0, `src/host-scripts/${name}: ${r.stderr}`);
    });
  }

  it("the lint fails on a script with a real defect (unquoted variable in a test)", () => {
    const r = spawnSync("shellcheck", ["--shell=sh", "--severity=style", "--format=gcc", "-"], { input: 'x=$1\n[ $x = a ] && echo "$x"\n', encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /SC2086/);
  });
});
