import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { InputError } from "../../../src/errors.js";
import { execArgv, execExitCode, execOnHosts, execTargets } from "../../../src/ops/exec.js";
import { quoteArgv } from "../../../src/transport/quote.js";
import { FakeTransport } from "../apply/fake-transport.js";
import { container, service, state } from "../engine/fixtures.js";

const desired = () =>
  state({
    lab1: [service("mariadb", [], [container("mariadb", "mariadb")])],
    lab2: [service("mariadb", [], [container("mariadb", "mariadb")])],
    lab3: [service("memcached", [], [container("memcached", "memcached")])],
  });

const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.problems.map((p) => `${p.file}: ${p.message}`).join("\n");
    throw err;
  }
  return "";
};

describe("exec targets", () => {
  it("runs on the named host, on all with --all, and asks which when the service runs on several", () => {
    assert.deepEqual(execTargets(desired(), "mariadb", { host: "lab2" }), [{ host: "lab2", container: "mariadb" }]);
    assert.deepEqual(execTargets(desired(), "mariadb", { all: true }).map((t) => t.host), ["lab1", "lab2"]);
    assert.deepEqual(execTargets(desired(), "memcached", {}), [{ host: "lab3", container: "memcached" }]);
    assert.match(problem(() => execTargets(desired(), "mariadb", {})), /^--host: mariadb runs on 2 hosts \(lab1, lab2\)/);
    assert.match(problem(() => execTargets(desired(), "mariadb", { host: "lab3" })), /^--host: "lab3" does not run mariadb/);
    assert.match(problem(() => execTargets(desired(), "mariadb", { all: true, tty: true })), /^--all: -it runs on one host/);
  });
});

describe("exec argv", () => {
  const hostile = ["$(touch /tmp/pwned)", "a;b", "`id`", "it's", "\"q\"", "*", "\n", "--all", "-- x", ""];
  it("passes hostile arguments through as argv, and the one quoting makes sh read them back byte for byte", () => {
    const argv = execArgv({ host: "lab1", container: "mariadb" }, ["printf", "%s\\n", ...hostile]);
    assert.deepEqual(argv, ["docker", "exec", "mariadb", "printf", "%s\\n", ...hostile]);
    // What the remote shell runs: quoteArgv of argv. Replace docker exec by a local printf to see the words arrive.
    const line = quoteArgv(["printf", "%s\\0", ...argv.slice(3)]);
    const words = execFileSync("sh", ["-c", line]).toString().split("\0").slice(0, -1);
    assert.deepEqual(words, ["printf", "%s\\n", ...hostile]);
  });
  it("asks docker for a terminal with -it, and refuses an empty command", () => {
    assert.deepEqual(execArgv({ host: "h", container: "c" }, ["bash"], { tty: true }), ["docker", "exec", "--interactive", "--tty", "c", "bash"]);
    assert.match(problem(() => execArgv({ host: "h", container: "c" }, [])), /^CMD: no command given/);
  });
});

describe("exec on several hosts", () => {
  it("keeps each host's exit code and output, and exits non-zero when one failed", async () => {
    const log: string[] = [];
    const transports = new Map(
      ["lab1", "lab2"].map((h) => [h, new FakeTransport(h, log, (host) => (host === "lab2" ? { code: 7, stderr: "boom\n" } : { stdout: "3\n" }))]),
    );
    const lines: string[] = [];
    const results = await execOnHosts(execTargets(desired(), "mariadb", { all: true }), ["mariadb", "-e", "SHOW STATUS"], {
      transportOf: (h) => transports.get(h),
      forks: 2,
      onLine: (h, l, s) => lines.push(`${h} ${s} ${l}`),
    });
    assert.deepEqual(results, [{ host: "lab1", code: 0 }, { host: "lab2", code: 7 }]);
    assert.deepEqual(lines.sort(), ["lab1 stdout 3", "lab2 stderr boom"]);
    assert.deepEqual(log.sort(), ["lab1: docker exec mariadb mariadb -e SHOW STATUS", "lab2: docker exec mariadb mariadb -e SHOW STATUS"]);
    assert.equal(execExitCode(results), 1);
    assert.equal(execExitCode([results[0]!]), 0);
    assert.equal(execExitCode([results[1]!]), 7, "one host: its own exit code");
  });
});
