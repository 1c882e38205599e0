// Galera recovery: reading positions, choosing the node to bootstrap from, and the order of the whole
// procedure over fake transports; also the HAProxy stats and VIP parsers the gates and ordering rely on.
import assert from "node:assert/strict";
import { chooseBootstrapNode, parseGrastate, parseRecoveredPosition, recoverGalera, staleFiles, type GaleraMember, type MemberPosition } from "../../../src/apply/galera-recovery.js";
import { parseHaproxyStat } from "../../../src/apply/gates.js";
import { holdsAddress } from "../../../src/apply/vip.js";
import type { RunEvent } from "../../../src/apply/events.js";
import { container, facts, file, fileFact, runningFact, service } from "../engine/fixtures.js";
import { actions, FakeTransport } from "./fake-transport.js";

const UUID = "8bcf3e9e-2c2f-11ef-9a5e-7b3a6f3c1d2e";
const grastate = (seqno: number, safe = 0): string => `# GALERA saved state\nversion: 2.1\nuuid:    ${UUID}\nseqno:   ${seqno}\nsafe_to_bootstrap: ${safe}\n`;
const pos = (host: string, seqno: number, safe = false, source: MemberPosition["source"] = "grastate"): MemberPosition => ({ host, uuid: UUID, seqno, safeToBootstrap: safe, source });

describe("Galera recovery", function () {
  this.timeout(20_000);

  it("reads grastate.dat", () => {
    assert.deepEqual(parseGrastate(grastate(1234, 1)), { uuid: UUID, seqno: 1234, safeToBootstrap: true });
    assert.deepEqual(parseGrastate(grastate(-1)), { uuid: UUID, seqno: -1, safeToBootstrap: false });
    assert.throws(() => parseGrastate("version: 2.1\n"), /no uuid or seqno/);
  });

  it("reads the position --wsrep-recover logs", () => {
    const log = `2026-11-21 19:00:01 0 [Note] InnoDB: Buffer pool(s) load completed\n2026-11-21 19:00:01 0 [Note] WSREP: Recovered position: ${UUID}:1771\n`;
    assert.deepEqual(parseRecoveredPosition(log), { uuid: UUID, seqno: 1771 });
    assert.equal(parseRecoveredPosition("nothing here"), undefined);
  });

  it("bootstraps from the highest seqno, never from older data, whatever the inventory order", () => {
    assert.equal(chooseBootstrapNode([pos("lab1", 10), pos("lab2", 42, false, "wsrep-recover"), pos("lab3", 41, true)]).host, "lab2");
    assert.match(chooseBootstrapNode([pos("lab1", 10), pos("lab2", 42), pos("lab3", 41)]).why, /lab2 has the most recent state \(seqno 42\); lab1 10, lab3 41/);
  });

  it("among equal positions prefers the node marked safe_to_bootstrap", () => {
    assert.equal(chooseBootstrapNode([pos("lab1", 7), pos("lab2", 7), pos("lab3", 7, true)]).host, "lab3");
    assert.equal(chooseBootstrapNode([pos("lab1", 7), pos("lab2", 7)]).host, "lab1");
  });

  it("refuses when a position is unknown or the histories differ", () => {
    assert.throws(() => chooseBootstrapNode([pos("lab1", 7), pos("lab2", -1)]), /position of lab2 is unknown/);
    assert.throws(() => chooseBootstrapNode([pos("lab1", 7), { ...pos("lab2", 9), uuid: "11111111-2c2f-11ef-9a5e-7b3a6f3c1d2e" }]), /different cluster histories/);
  });

  it("recovers in order: positions, safe_to_bootstrap on the newest only, bootstrap it, join the others one by one", async () => {
    const seqnos: Record<string, number> = { lab1: 100, lab2: -1, lab3: 120 };
    const log: string[] = [];
    const joined = new Set<string>();
    const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const members: GaleraMember[] = ["lab1", "lab2", "lab3"].map((h, i) => {
      const f = facts();
      f.containers.set("mariadb", runningFact(c, "cfg", { running: false, status: "exited" }));
      const t = new FakeTransport(h, log, (host, argv) => {
        if (argv.includes("cat")) return { stdout: grastate(seqnos[host]!) };
        if (argv.includes("--wsrep-recover")) return { stderr: `[Note] WSREP: Recovered position: ${UUID}:130\n` };
        if (argv[1] === "run" && !argv.includes("--rm")) joined.add(host);
        if (argv[1] === "start") joined.add(host);
        if (argv.includes("mysql")) return { stdout: `wsrep_cluster_size\t${joined.size}\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\tSynced\n` };
        return undefined;
      });
      return { host: h, address: `10.0.0.${i + 1}`, service: service("mariadb", [], [c], { rollout: { gate: { kind: "galera", container: "mariadb" } } }), transport: t, facts: f };
    });
    const events: RunEvent[] = [];
    const res = await recoverGalera(members, (e) => events.push(e));
    assert.equal(res.bootstrapHost, "lab2");
    const a = actions(log).map((l) => l.replace(/ lading\/mariadb:1\.0 .*| --label .*/s, ""));
    assert.deepEqual(a, [
      "lab1: docker run --rm --network none --volumes-from mariadb --entrypoint cat",
      "lab2: docker run --rm --network none --volumes-from mariadb --entrypoint cat",
      "lab2: docker run --rm --network none --volumes-from mariadb",
      "lab3: docker run --rm --network none --volumes-from mariadb --entrypoint cat",
      "lab1: docker run --rm --network none --volumes-from mariadb --entrypoint sh",
      "lab2: docker run --rm --network none --volumes-from mariadb --entrypoint sh",
      "lab3: docker run --rm --network none --volumes-from mariadb --entrypoint sh",
      "lab2: docker rm --force mariadb",
      "lab2: docker run --detach --name mariadb --network host --restart no",
      "lab1: docker start mariadb",
      "lab3: docker start mariadb",
      "lab2: docker stop mariadb",
      "lab2: docker rm --force mariadb",
      "lab2: docker run --detach --name mariadb --network host --restart unless-stopped",
    ]);
    // safe_to_bootstrap=1 and the recovered seqno go to lab2 only.
    const sets = log.filter((l) => l.includes("--entrypoint sh"));
    assert.match(sets[1]!, /grastate\.dat 130 1$/);
    assert.match(sets[0]!, /grastate\.dat 100 0$/);
    assert.match(sets[2]!, /grastate\.dat 120 0$/);
    assert.ok(log.some((l) => l.startsWith("lab2: docker run --detach") && l.includes("--wsrep-new-cluster")));
  });

  it("writes the config files a deploy would (missing or differing) on every member before any node starts", async () => {
    // /etc/lading removed on every host: galera.cnf missing on lab1 and lab2, outdated on lab3.
    const log: string[] = [];
    const joined = new Set<string>();
    const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const cnf = file("mariadb", "galera.cnf", "[galera]\nwsrep_on = ON\n", { mode: "0640" });
    const members: GaleraMember[] = ["lab1", "lab2", "lab3"].map((h, i) => {
      const f = facts();
      f.containers.set("mariadb", runningFact(c, "cfg", { running: false, status: "exited" }));
      if (h === "lab3") f.files.set(cnf.path, fileFact("[galera]\nwsrep_on = OFF\n", "0640"));
      const t = new FakeTransport(h, log, (host, argv) => {
        if (argv.includes("cat")) return { stdout: grastate(host === "lab1" ? 50 : 40) };
        if ((argv[1] === "run" && !argv.includes("--rm")) || argv[1] === "start") joined.add(host);
        if (argv.includes("mysql")) return { stdout: `wsrep_cluster_size\t${joined.size}\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\tSynced\n` };
        return undefined;
      });
      return { host: h, address: `10.0.0.${i + 1}`, service: service("mariadb", [cnf], [c], { rollout: { gate: { kind: "galera", container: "mariadb" } } }), transport: t, facts: f };
    });
    const events: RunEvent[] = [];
    await recoverGalera(members, (e) => events.push(e));
    const a = actions(log);
    const puts = a.filter((l) => l.includes(": put "));
    assert.deepEqual(puts, ["lab1: put /etc/lading/mariadb/galera.cnf 0640", "lab2: put /etc/lading/mariadb/galera.cnf 0640", "lab3: put /etc/lading/mariadb/galera.cnf 0640"]);
    const firstStart = a.findIndex((l) => / docker (run --detach|start) /.test(l));
    assert.ok(a.lastIndexOf(puts[2]!) < firstStart, `every file is written before the first start:\n${a.join("\n")}`);
    const writes = events.filter((e) => e.type === "step" && e.kind === "write" && e.status === "start") as { host: string; reason: string }[];
    assert.deepEqual(writes.map((w) => [w.host, w.reason]), [
      ["lab1", "galera.cnf: missing (written before any node starts)"],
      ["lab2", "galera.cnf: missing (written before any node starts)"],
      ["lab3", "galera.cnf: content differs (written before any node starts)"],
    ]);
    // A member whose files are already the desired ones gets no write.
    assert.deepEqual(staleFiles({ service: members[0]!.service, facts: (() => { const f = facts(); f.files.set(cnf.path, fileFact(cnf.content, "0640")); return f; })() }), []);
  });

  it("refuses when a node still serves a primary component", async () => {
    const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const f = facts();
    f.containers.set("mariadb", runningFact(c, "cfg"));
    const log: string[] = [];
    const t = new FakeTransport("lab1", log, (_h, argv) => (argv.includes("mysql") ? { stdout: "wsrep_cluster_size\t2\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\tSynced\n" } : undefined));
    const m: GaleraMember = { host: "lab1", address: "10.0.0.1", service: service("mariadb", [], [c]), transport: t, facts: f };
    await assert.rejects(recoverGalera([m], () => undefined), /part of a primary component.*nothing was changed/);
    assert.deepEqual(actions(log), []);
  });

  it("refuses, changing nothing, when a running node does not answer (it is not assumed down)", async () => {
    const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const log: string[] = [];
    let asked = 0;
    const members: GaleraMember[] = ["lab1", "lab2"].map((h, i) => {
      const f = facts();
      f.containers.set("mariadb", runningFact(c, "cfg"));
      const t = new FakeTransport(h, log, (host, argv) => {
        if (!argv.includes("mysql")) return undefined;
        if (host === "lab1") return { stdout: "wsrep_cluster_size\t1\nwsrep_cluster_status\tnon-Primary\nwsrep_local_state_comment\tInitialized\n" };
        asked++;
        return { code: 1, stderr: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (111)\n" };
      });
      return { host: h, address: `10.0.0.${i + 1}`, service: service("mariadb", [], [c]), transport: t, facts: f };
    });
    await assert.rejects(recoverGalera(members, () => undefined, { statusAttempts: 3, statusRetryMs: 1 }), /lab2.*cannot be read \(mysql: ERROR 2002.*nothing was changed/s);
    assert.equal(asked, 3);
    assert.deepEqual(actions(log), []);
  });

  it("stops the nodes that run outside a primary component before reading positions", async () => {
    const c = container("mariadb", "mariadb", { bootstrapCommand: ["mysqld", "--wsrep-new-cluster"] });
    const log: string[] = [];
    const f = facts();
    f.containers.set("mariadb", runningFact(c, "cfg"));
    let bootstrapped = false;
    const t = new FakeTransport("lab1", log, (_h, argv) => {
      if (argv.includes("mysql")) return { stdout: bootstrapped ? "wsrep_cluster_size\t1\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\tSynced\n" : "wsrep_cluster_size\t1\nwsrep_cluster_status\tnon-Primary\nwsrep_local_state_comment\tInitialized\n" };
      if (argv.includes("cat")) return { stdout: grastate(5) };
      if (argv.includes("--detach")) bootstrapped = true;
      return undefined;
    });
    const m: GaleraMember = { host: "lab1", address: "10.0.0.1", service: service("mariadb", [], [c], { rollout: { gate: { kind: "galera", container: "mariadb" } } }), transport: t, facts: f };
    const res = await recoverGalera([m], () => undefined, { statusAttempts: 1, statusRetryMs: 1 });
    assert.equal(res.bootstrapHost, "lab1");
    assert.match(actions(log)[0]!, /^lab1: docker stop .*mariadb/);
  });
});

describe("gate and ordering parsers", () => {
  it("reads HAProxy's show stat", () => {
    const csv = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight\nmariadb,FRONTEND,,,0,1,,1,0,0,0,0,0,,,,,OPEN,\nmariadb,lab1,0,0,0,1,,1,0,0,,0,,0,0,0,0,UP,1\nmariadb,lab2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1\nmariadb,lab3,0,0,2,2,,5,0,0,,0,,0,0,0,0,MAINT,1\nmariadb,BACKEND,0,0,2,1,,1,0,0,0,0,,0,0,0,0,UP,1\n";
    const rows = parseHaproxyStat(csv);
    assert.deepEqual(rows.filter((r) => r.server === "BACKEND"), [{ proxy: "mariadb", server: "BACKEND", status: "UP", addr: "", sessions: 2 }]);
    // Sessions open on a server (scur): what a drain waits for before the service stops.
    assert.deepEqual(rows.filter((r) => r.server.startsWith("lab")).map((r) => r.sessions), [0, 0, 2]);
    assert.equal(rows.find((r) => r.server === "lab2")!.status, "DOWN");
  });

  it("tells whether a host carries the VIP", () => {
    const out = "1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 10.98.0.11/24 brd 10.98.0.255 scope global eth0\n2: eth0    inet 10.98.0.100/24 scope global secondary eth0\n";
    assert.equal(holdsAddress(out, "10.98.0.100"), true);
    assert.equal(holdsAddress(out, "10.98.0.10"), false);
  });
});
