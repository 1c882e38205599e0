import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { promisify } from "node:util";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { factsArgv } from "../../../src/facts/gather.js";
import { normalizeRef, parseFacts, parseInspectedContainers } from "../../../src/facts/parse.js";
import { inspectContainersArgv } from "../../../src/docker/engine-api.js";

/** A folder whose docker answers like a CLI that reaches no engine, whatever runs on this machine. */
function noEngineBin(): string {
  const bin = mkdtempSync(join(tmpdir(), "lading-no-engine-"));
  writeFileSync(join(bin, "docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n");
  chmodSync(join(bin, "docker"), 0o755);
  return bin;
}

describe("facts", () => {
  it("runs the facts script for real and reads files, modes, missing files and the state file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const a = join(dir, "a.cnf");
    writeFileSync(a, "x=1\n");
    chmodSync(a, 0o640);
    const state = join(dir, "state.json");
    writeFileSync(state, JSON.stringify({ registrations: { "database/web": "abc" } }));
    const req = { paths: [a, join(dir, "missing.cnf"), join(dir, "we ird $(name).cnf")], images: [], stateFile: state, engineSocket: join(dir, "none.sock") };
    writeFileSync(req.paths[2]!, "odd\n");
    // No engine here: the script must still answer every section.
    const argv = factsArgv(req);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${noEngineBin()}:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    const fa = f.files.get(a)!;
    assert.ok(fa.exists);
    assert.equal(fa.exists && fa.mode, "0640");
    assert.equal(fa.exists && fa.content?.toString(), "x=1\n");
    assert.deepEqual(f.files.get(join(dir, "missing.cnf")), { exists: false });
    assert.equal(f.files.get(req.paths[2]!)!.exists, true);
    assert.deepEqual(f.state.registrations, { "database/web": "abc" });
    assert.equal(f.engineReachable, false);
  });

  it("parses containers and matches images by tag", () => {
    const container = {
      Id: "c1", Name: "/mariadb", Image: "sha256:img", RestartCount: 2,
      Config: { Image: "lading/mariadb:1.0", Labels: { "lading.managed": "true" } },
      State: { Status: "running", Running: true, StartedAt: "t", Health: { Status: "healthy", Log: [{ Output: "ok\n" }] } },
    };
    const image = { Id: "sha256:img", RepoTags: ["lading/mariadb:1.0"], RepoDigests: [] };
    const out = ["@@engine", "up", "@@volumes", "mariadb", "@@objects", JSON.stringify(container), JSON.stringify(image), "@@files", "@@content", "", "@@end"].join("\n");
    const f = parseFacts(out, { paths: [], images: ["lading/mariadb:1.0", "lading/gone:1.0"], stateFile: "/x" });
    assert.equal(f.engineReachable, true);
    assert.equal(f.images.get("lading/mariadb:1.0")?.id, "sha256:img");
    assert.equal(f.images.has("lading/gone:1.0"), false);
    const c = f.containers.get("mariadb")!;
    assert.equal(c.health, "healthy");
    assert.equal(c.restartCount, 2);
    assert.ok(f.volumes.has("mariadb"));
  });

  it("refuses output cut short", () => {
    assert.throws(() => parseFacts("@@engine\nNONE\n@@files\n", { paths: [], images: [], stateFile: "/x" }), /incomplete/);
  });

  it("normalizes image references as docker does", () => {
    assert.equal(normalizeRef("memcached"), "memcached:latest");
    assert.equal(normalizeRef("reg:5000/lading/web"), "reg:5000/lading/web:latest");
    assert.equal(normalizeRef("lading/web:1.1"), "lading/web:1.1");
  });
  it("hashes files above the size limit instead of reading them, and always reads the state file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const small = join(dir, "small.cnf");
    const big = join(dir, "big.cnf");
    const state = join(dir, "state.json");
    writeFileSync(small, "ab\n");
    writeFileSync(big, "0123456789\n");
    writeFileSync(state, JSON.stringify({ registrations: { x: "y" } }));
    const req = { paths: [big, small], images: [], stateFile: state, engineSocket: join(dir, "none.sock") };
    const argv = factsArgv(req);
    argv[4] = "5"; // the size limit: small.cnf is below it, big.cnf and the state file above
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${noEngineBin()}:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    const b = f.files.get(big)!;
    assert.ok(b.exists && !b.content);
    assert.equal(b.exists && b.sha256, createHash("sha256").update("0123456789\n").digest("hex"));
    assert.equal(b.exists && b.size, 11);
    const s = f.files.get(small)!;
    assert.equal(s.exists && s.content?.toString(), "ab\n");
    assert.deepEqual(f.state.registrations, { x: "y" });
  });

  it("takes a directory for a missing file and follows a symbolic link", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const target = join(dir, "target.cnf");
    writeFileSync(target, "t=1\n");
    chmodSync(target, 0o600);
    const link = join(dir, "link.cnf");
    symlinkSync(target, link);
    const sub = join(dir, "sub.cnf");
    mkdirSync(sub);
    const req = { paths: [sub, link], images: [], stateFile: join(dir, "none.json"), engineSocket: join(dir, "none.sock") };
    const argv = factsArgv(req);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${noEngineBin()}:${process.env.PATH}` } });
    const f = parseFacts(out, req);
    assert.deepEqual(f.files.get(sub), { exists: false });
    const l = f.files.get(link)!;
    assert.equal(l.exists && l.mode, "0600");
    assert.equal(l.exists && l.content?.toString(), "t=1\n");
    assert.deepEqual(f.state, {});
  });

  it("asks one docker inspect for the managed containers and the normalized image references when the engine's socket is not there", () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-facts-"));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls.log");
    const container = {
      Id: "c1", Name: "/memcached", Image: "sha256:img", Config: { Image: "memcached", Labels: { "lading.managed": "true" } },
      State: { Status: "running", Running: true, StartedAt: "t" },
    };
    const image = { Id: "sha256:img", RepoTags: ["memcached:latest"], RepoDigests: [] };
    // A stand-in docker CLI that logs its arguments and answers like the real one.
    writeFileSync(join(bin, "docker"), [
      "#!/bin/sh",
      `echo "$*" >> '${calls}'`,
      "case $1 in",
      "  volume) echo memcached-data ;;",
      "  ps) echo c1 ;;",
      `  inspect) printf '%s\\n' '${JSON.stringify(container)}' '${JSON.stringify(image)}' ;;`,
      "esac",
      "",
    ].join("\n"));
    chmodSync(join(bin, "docker"), 0o755);
    const file = join(dir, "memcached.conf");
    writeFileSync(file, "m=1\n");
    const run = (volumes?: boolean) => {
      writeFileSync(calls, "");
      const req = { paths: [file], images: ["memcached", "memcached"], stateFile: join(dir, "none.json"), volumes, engineSocket: join(dir, "none.sock") };
      const argv = factsArgv(req);
      const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}` } });
      return { f: parseFacts(out, req), calls: readFileSync(calls, "utf8").split("\n").filter(Boolean).sort() };
    };
    const { f, calls: made } = run();
    assert.equal(f.engineReachable, true);
    assert.ok(f.volumes.has("memcached-data"));
    assert.equal(f.containers.get("memcached")?.imageRef, "memcached");
    assert.equal(f.images.get("memcached")?.id, "sha256:img");
    assert.equal(f.files.get(file)!.exists, true);
    assert.deepEqual(made, ["inspect --format {{json .}} c1 memcached:latest", "ps --all --quiet --filter label=lading.managed=true", "volume ls --quiet"]);
    // Without volumes (a plan): two docker calls in all.
    const lean = run(false);
    assert.equal(lean.f.volumes.size, 0);
    assert.equal(lean.f.containers.size, 1);
    assert.deepEqual(lean.calls, ["inspect --format {{json .}} c1 memcached:latest", "ps --all --quiet --filter label=lading.managed=true"]);
  });

  it("refuses file contents that do not add up to the listed sizes", () => {
    const out = ["@@engine", "NONE", "@@files", "F 644 root:root 0:0 5 /a", "@@content", Buffer.from("abc").toString("base64"), "@@end"].join("\n");
    assert.throws(() => parseFacts(out, { paths: ["/a"], images: [], stateFile: "/x" }), /changed while they were read/);
  });

  describe("through the engine's API", () => {
    const container = (id: string, name: string) => ({
      Id: id, Name: `/${name}`, Image: "sha256:img", RestartCount: 1,
      Config: { Image: "memcached", Labels: { "lading.managed": "true", "lading.spec": "{\"Id\":\"x\"}, \"Id\":\"y\"" } },
      State: { Status: "running", Running: true, StartedAt: "t", Health: { Status: "healthy", Log: [{ Output: "ok" }] } },
    });
    const c1 = container("a".repeat(64), "memcached");
    const c2 = container("b".repeat(64), "memcached-exporter");
    const image = { Id: "sha256:img", RepoTags: ["memcached:latest"], RepoDigests: [] };

    /** A stand-in engine on a unix socket: the list, two containers, one image; every request logged. */
    async function fakeEngine(dir: string, opts: { listStatus?: number } = {}) {
      const requests: string[] = [];
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const url = req.url ?? "";
        requests.push(`${req.method} ${url} HTTP/${req.httpVersion}`);
        const json = (code: number, body: unknown): void => {
          res.writeHead(code, { "Content-Type": "application/json" });
          res.end(`${JSON.stringify(body)}\n`);
        };
        if (url.startsWith("/containers/json?")) {
          const filters = JSON.parse(new URL(url, "http://x").searchParams.get("filters") ?? "{}") as { label?: string[] };
          if (opts.listStatus) return json(opts.listStatus, { message: "boom" });
          // A summary's nested objects and label values hold "Id"-like text: only the top-level ids count.
          return json(200, filters.label?.[0] === "lading.managed=true" ? [
            { Id: c1.Id, Names: ["/memcached"], Labels: c1.Config.Labels, NetworkSettings: { Networks: { host: { NetworkID: "c".repeat(64) } } } },
            { Id: c2.Id, Names: ["/memcached-exporter"], Labels: {} },
          ] : []);
        }
        if (url === `/containers/${c1.Id}/json` || url === "/containers/memcached/json") return json(200, c1);
        if (url === `/containers/${c2.Id}/json`) return json(404, { message: "No such container" });
        if (url === "/images/memcached:latest/json") return json(200, image);
        return json(404, { message: "No such image" });
      });
      const sock = join(dir, "engine.sock");
      await new Promise<void>((resolve) => server.listen(sock, resolve));
      return { sock, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    }

    /** A docker CLI that must not be needed: it logs its calls and answers like a CLI with no engine. */
    function loggingDocker(dir: string): { bin: string; calls: () => string[] } {
      const bin = join(dir, "bin");
      mkdirSync(bin);
      const log = join(dir, "calls.log");
      writeFileSync(log, "");
      writeFileSync(join(bin, "docker"), `#!/bin/sh\necho "$*" >> '${log}'\nexit 1\n`);
      chmodSync(join(bin, "docker"), 0o755);
      return { bin, calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean) };
    }

    async function facts(dir: string, sock: string, bin: string, env: Record<string, string> = {}) {
      const file = join(dir, "memcached.conf");
      writeFileSync(file, "m=1\n");
      const req = { paths: [file], images: ["memcached", "nosuch/image:1"], stateFile: join(dir, "none.json"), volumes: false, engineSocket: sock };
      const argv = factsArgv(req);
      const { stdout } = await promisify(execFile)(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, ...env } });
      return parseFacts(stdout, req);
    }

    it("reads the managed containers and the images from the socket, with no docker CLI start", async () => {
      const dir = mkdtempSync(join(tmpdir(), "lading-facts-api-"));
      const engine = await fakeEngine(dir);
      const docker = loggingDocker(dir);
      try {
        const f = await facts(dir, engine.sock, docker.bin);
        assert.equal(f.engineReachable, true);
        assert.deepEqual([...f.containers.keys()], ["memcached"]); // the exporter vanished between list and inspect
        const c = f.containers.get("memcached")!;
        assert.equal(c.health, "healthy");
        assert.equal(c.restartCount, 1);
        assert.equal(c.labels["lading.spec"], c1.Config.Labels["lading.spec"]);
        assert.equal(f.images.get("memcached")?.id, "sha256:img");
        assert.equal(f.images.has("nosuch/image:1"), false);
        assert.equal(f.files.get(join(dir, "memcached.conf"))!.exists, true);
        assert.deepEqual(docker.calls(), []);
        const filters = encodeURIComponent(JSON.stringify({ label: ["lading.managed=true"] }));
        assert.deepEqual(engine.requests, [
          `GET /containers/json?all=1&filters=${filters} HTTP/1.0`,
          `GET /containers/${c1.Id}/json HTTP/1.0`,
          `GET /containers/${c2.Id}/json HTTP/1.0`,
          "GET /images/memcached:latest/json HTTP/1.0",
          "GET /images/nosuch/image:1/json HTTP/1.0",
        ]);
      } finally {
        await engine.close();
      }
    });

    it("asks the docker CLI when the engine's API does not answer the list, or the CLI is pointed elsewhere", async () => {
      const dir = mkdtempSync(join(tmpdir(), "lading-facts-api-"));
      const failing = await fakeEngine(dir, { listStatus: 500 });
      const docker = loggingDocker(dir);
      try {
        const f = await facts(dir, failing.sock, docker.bin);
        assert.equal(f.engineReachable, false); // the stand-in CLI reaches no engine either
        assert.equal(f.containers.size, 0);
        assert.deepEqual(docker.calls(), ["ps --all --quiet --filter label=lading.managed=true", "inspect --format {{json .}} memcached:latest nosuch/image:1"]);
      } finally {
        await failing.close();
      }
      const dir2 = mkdtempSync(join(tmpdir(), "lading-facts-api-"));
      const engine = await fakeEngine(dir2);
      const docker2 = loggingDocker(dir2);
      try {
        await facts(dir2, engine.sock, docker2.bin, { DOCKER_HOST: "tcp://10.0.0.1:2375" });
        assert.equal(docker2.calls().length, 2);
        mkdirSync(join(dir2, ".docker"));
        writeFileSync(join(dir2, ".docker", "config.json"), '{\n  "auths": {},\n  "currentContext": "remote"\n}\n');
        await facts(dir2, engine.sock, docker2.bin);
        assert.equal(docker2.calls().length, 4);
        assert.deepEqual(engine.requests, []);
        // Registry logins alone (no context) leave the socket in use.
        writeFileSync(join(dir2, ".docker", "config.json"), '{"auths": {"registry.example": {}}}\n');
        const f = await facts(dir2, engine.sock, docker2.bin);
        assert.equal(docker2.calls().length, 4);
        assert.equal(f.containers.size, 1);
      } finally {
        await engine.close();
      }
    });

    it("inspects containers by name for the gates, through the socket or else the docker CLI", async () => {
      const dir = mkdtempSync(join(tmpdir(), "lading-inspect-api-"));
      const engine = await fakeEngine(dir);
      const docker = loggingDocker(dir);
      const run = async (sock: string) => {
        const argv = inspectContainersArgv(["memcached", "missing"], sock);
        const { stdout } = await promisify(execFile)(argv[0]!, argv.slice(1), { encoding: "utf8", env: { PATH: `${docker.bin}:${process.env.PATH}`, HOME: dir } });
        return parseInspectedContainers(stdout);
      };
      try {
        const found = await run(engine.sock);
        assert.deepEqual([...found.keys()], ["memcached"]);
        assert.equal(found.get("memcached")!.health, "healthy");
        assert.deepEqual(engine.requests, ["GET /containers/memcached/json HTTP/1.0", "GET /containers/missing/json HTTP/1.0"]);
        assert.deepEqual(docker.calls(), []);
        // No engine on the socket: the CLI is asked (this one reaches no engine: nothing found, no error).
        assert.equal((await run(join(dir, "none.sock"))).size, 0);
        assert.deepEqual(docker.calls(), ["inspect --format {{json .}} memcached missing"]);
      } finally {
        await engine.close();
      }
    });
  });
});
