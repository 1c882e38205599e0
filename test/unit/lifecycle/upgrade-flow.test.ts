// The upgrade command's flow on fake hosts: pulls everywhere first, a missing image changes nothing, hosts
// one at a time behind the gate, revisions recorded (what ran before, then the release).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RunEvent } from "../../../src/apply/events.js";
import { fakeEngineContext } from "./fake-engine-context.js";
import { runUpgrade } from "../../../src/lifecycle/upgrade-run.js";
import type { HostFacts } from "../../../src/facts/parse.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { applySets } from "../../../src/lifecycle/upgrade.js";
import { configHashOf } from "../../../src/plan/plan.js";
import { sha256 } from "../../../src/docker/commands.js";
import { packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { facts, fileFact, runningFact } from "../engine/fixtures.js";
import { FakeTransport } from "./fake-transport.js";

describe("upgrade flow (fake hosts)", () => {
  let dir: string;
  before(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"), "lading-upgrade-");
    writeFakePasswords(dir);
  });
  after(() => removeDeployment(dir));

  /** Facts of hosts running webapp 1.0 exactly as deployed; `ctx` wants 1.1. */
  function setup(answer: (host: string, argv: readonly string[]) => { code?: number; stdout?: string; stderr?: string } | undefined) {
    const project = loadProject({ dir });
    const running = renderProject(loadProject({ dir }), { services: ["webapp"] });
    applySets(project, ["webapp_tag=1.1"]);
    const desired = renderProject(project, { services: ["webapp"] });
    for (const h of desired.hosts.values()) for (const s of h.services) s.rollout = { ...s.rollout, minHealthy: "0s" };
    const hostFacts = new Map<string, HostFacts>();
    for (const h of running.hosts.values()) {
      const svc = h.services[0]!;
      const f = facts();
      for (const file of svc.files) f.files.set(file.path, fileFact(file.content, file.mode, file.owner));
      const hash = configHashOf(svc.files.map((x) => ({ path: x.path, sha256: sha256(x.content), mode: x.mode, owner: x.owner })));
      f.containers.set("webapp", runningFact(svc.containers[0]!, hash, { imageId: "sha256:one" }));
      // The database and queue user were registered by the deploy (as its state file on the first host says).
      const secret = (name: string) => String(project.secrets[name]);
      f.state = h.name !== "lab1" ? {} : {
        registrations: {
          "database/webapp": sha256(`${svc.database!.name}\0${svc.database!.user}\0${secret(svc.database!.passwordSecret)}`).slice(0, 32),
          "messaging/webapp": sha256(`${svc.messaging!.vhost}\0${svc.messaging!.user}\0${secret(svc.messaging!.passwordSecret)}`).slice(0, 32),
        },
      };
      hostFacts.set(h.name, f);
    }
    const transports = new Map(
      [...desired.hosts.keys()].map((host) => [
        host,
        new FakeTransport(host, (argv, _stdin, self) => {
          const a = answer(host, argv);
          if (a) return a;
          if (argv[0] === "timeout") return { stdout: "HTTP/1.0 200 OK\n" };
          if (argv[3] === "lading-revisions") {
            // The revision files this fake host holds, as the real script prints them.
            const revs = [...self.files].filter(([p]) => p.includes("/revisions/webapp/")).map(([p, f]) => `@@rev webapp ${p.slice(p.lastIndexOf("/") + 1, -5)}\n${Buffer.from(f.content).toString("base64")}\n`);
            return { stdout: `@@begin\n${revs.join("")}@@image lading/webapp:1.1 sha256:two\n@@end\n` };
          }
          if (argv[1] === "run") return { stdout: "new-id\n" };
          if (argv[1] === "inspect") return { stdout: "new-id\n" };
          return {};
        }),
      ]),
    );
    const events: RunEvent[] = [];
    const ctx = fakeEngineContext("upgrade", project, desired, transports, hostFacts, events);
    ctx.hold.observe(ctx.reporter);
    return { ctx, transports, events };
  }

  it("a new image missing on one host stops the upgrade before any change on any host", async () => {
    const { ctx, transports } = setup((host, argv) => (argv[1] === "pull" && host === "lab2" ? { code: 1, stderr: "manifest unknown" } : undefined));
    assert.equal(await runUpgrade(ctx, { forks: 10, set: ["webapp_tag=1.1"] }), 1);
    await ctx.hold.finish(ctx.session.transports);
    for (const t of transports.values()) {
      // The deploy lock taken and released, the pull tried: nothing else.
      assert.deepEqual(t.calls.filter((c) => c.argv[1] !== "pull").map((c) => c.argv[3]), ["lading-lock", "lading-finish"], `${t.host} ran only pulls`);
      assert.deepEqual([...t.files.keys()], ["/etc/lading/.lading/audit.log"], "only the audit entries of the pulls");
    }
  });

  it("pulls everywhere first, then recreates one host at a time, then records the revisions", async () => {
    const order: string[] = [];
    const { ctx, transports } = setup((host, argv) => {
      if (argv[0] === "docker" && ["pull", "stop", "run"].includes(argv[1]!)) order.push(`${host} ${argv[1]}`);
      return undefined;
    });
    assert.equal(await runUpgrade(ctx, { forks: 10, set: ["webapp_tag=1.1"] }), 0);
    await ctx.hold.finish(ctx.session.transports);
    assert.deepEqual(order.slice(0, 3).map((x) => x.split(" ")[1]), ["pull", "pull", "pull"]);
    assert.deepEqual(order.slice(3), ["lab1 stop", "lab1 run", "lab2 stop", "lab2 run", "lab3 stop", "lab3 run"]);
    for (const t of transports.values()) {
      const run = t.calls.find((c) => c.argv[1] === "run")!;
      assert.ok(run.argv.includes("lading/webapp:1.1"));
      // What ran before (from the facts) is revision 1; the release is revision 2, with the image id.
      const revs = [...t.files.keys()].filter((p) => p.includes("/revisions/webapp/")).sort();
      assert.deepEqual(revs, ["/etc/lading/.lading/revisions/webapp/1.json", "/etc/lading/.lading/revisions/webapp/2.json"]);
      const r1 = JSON.parse(t.files.get(revs[0]!)!.content) as { images: Record<string, { ref: string; id: string }>; command: string };
      const r2 = JSON.parse(t.files.get(revs[1]!)!.content) as { images: Record<string, { ref: string; id: string }>; command: string };
      assert.deepEqual([r1.images.webapp!.ref, r1.images.webapp!.id], ["lading/webapp:1.0", "sha256:one"]);
      assert.deepEqual([r2.images.webapp!.ref, r2.images.webapp!.id, r2.command], ["lading/webapp:1.1", "sha256:two", "upgrade --set webapp_tag=1.1"]);
      assert.equal(t.files.get(revs[1]!)!.mode, "0600");
    }
  });
});
