// The rollback command's flow on fake hosts: the previous revision goes back through the planner and the
// rolling apply, one host at a time, and is recorded as a new revision.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RunEvent } from "../../../src/apply/events.js";
import { fakeEngineContext } from "./fake-engine-context.js";
import { runRollback } from "../../../src/lifecycle/rollback.js";
import type { HostFacts } from "../../../src/facts/parse.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { revisionFingerprint, revisionFromDesired, type Revision } from "../../../src/lifecycle/revisions.js";
import { applySets } from "../../../src/lifecycle/upgrade.js";
import { configHashOf } from "../../../src/plan/plan.js";
import { sha256 } from "../../../src/docker/commands.js";
import { packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { facts, fileFact, runningFact } from "../engine/fixtures.js";
import { FakeTransport } from "./fake-transport.js";

describe("rollback flow (fake hosts)", () => {
  let dir: string;
  before(() => {
    dir = copyDeployment(join(packageRoot, "examples", "lab"), "lading-rollback-");
    writeFakePasswords(dir);
  });
  after(() => removeDeployment(dir));

  it("puts revision 1 back one host at a time with its recorded tag, and records revision 3", async () => {
    const one = renderProject(loadProject({ dir }), { services: ["webapp"] });
    const p11 = loadProject({ dir });
    applySets(p11, ["webapp_tag=1.1"]);
    const now = renderProject(p11, { services: ["webapp"] });
    const project = loadProject({ dir });
    const desired = renderProject(project, { services: ["webapp"] });
    for (const h of desired.hosts.values()) for (const s of h.services) s.rollout = { ...s.rollout, minHealthy: "0s" };
    const img = (id: string) => ({ id, repoTags: [], repoDigests: [] });
    const hostFacts = new Map<string, HostFacts>();
    const revisions = new Map<string, Revision[]>();
    const order: string[] = [];
    const transports = new Map<string, FakeTransport>();
    for (const h of now.hosts.values()) {
      const svc = h.services[0]!;
      const f = facts();
      for (const file of svc.files) f.files.set(file.path, fileFact(file.content, file.mode, file.owner));
      const hash = configHashOf(svc.files.map((x) => ({ path: x.path, sha256: sha256(x.content), mode: x.mode, owner: x.owner })));
      f.containers.set("webapp", runningFact(svc.containers[0]!, hash, { imageId: "sha256:two" }));
      const secret = (name: string) => String(project.secrets[name]);
      f.state = h.name !== "lab1" ? {} : {
        registrations: {
          "database/webapp": sha256(`${svc.database!.name}\0${svc.database!.user}\0${secret(svc.database!.passwordSecret)}`).slice(0, 32),
          "messaging/webapp": sha256(`${svc.messaging!.vhost}\0${svc.messaging!.user}\0${secret(svc.messaging!.passwordSecret)}`).slice(0, 32),
        },
      };
      hostFacts.set(h.name, f);
      revisions.set(h.name, [
        revisionFromDesired(one.hosts.get(h.name)!.services[0]!, new Map([["lading/webapp:1.0", img("sha256:one")]]), { rev: 1, time: "t1", command: "deploy", host: h.name }),
        revisionFromDesired(svc, new Map([["lading/webapp:1.1", img("sha256:two")]]), { rev: 2, time: "t2", command: "upgrade", host: h.name }),
      ]);
      // The state file names the newest revision, as the upgrade's final write left it.
      f.state = { ...f.state, revisions: { webapp: { rev: 2, fingerprint: revisionFingerprint(revisions.get(h.name)![1]!) } } };
      const printed = (self: FakeTransport): string =>
        [...revisions.get(h.name)!.map((r) => ({ path: `/etc/lading/.lading/revisions/webapp/${r.rev}.json`, content: JSON.stringify(r) })), ...[...self.files].map(([path, x]) => ({ path, content: x.content }))]
          .filter((x) => x.path.includes("/revisions/"))
          .map((x) => `@@rev webapp ${x.path.slice(x.path.lastIndexOf("/") + 1, -5)}\n${Buffer.from(x.content).toString("base64")}\n`)
          .join("");
      transports.set(
        h.name,
        new FakeTransport(h.name, (argv, _stdin, self) => {
          if (argv[3] === "lading-revisions") return { stdout: `@@begin\n${printed(self)}@@image lading/webapp:1.0 sha256:one\n@@end\n` };
          if (argv[3] === "lading-facts") {
            // Facts again, now for the revision's image: the host still has lading/webapp:1.0 as sha256:one.
            const image = JSON.stringify({ Id: "sha256:one", RepoTags: ["lading/webapp:1.0"], RepoDigests: [] });
            const stateFile = argv[5]!;
            const listed = [...svc.files.map((x) => ({ path: x.path, mode: x.mode, content: x.content })), { path: stateFile, mode: "0600", content: JSON.stringify(f.state) }];
            const files = listed.map((x) => `F ${x.mode.replace(/^0/, "")} root:root 0:0 ${Buffer.byteLength(x.content)} ${x.path}`).join("\n");
            const content = Buffer.from(listed.map((x) => x.content).join("")).toString("base64");
            const container = JSON.stringify({ Id: "id-webapp", Name: "/webapp", Image: "sha256:two", Config: { Image: "lading/webapp:1.1", Labels: f.containers.get("webapp")!.labels }, State: { Status: "running", Running: true, StartedAt: "x" } });
            return { stdout: `@@engine\n20.10.24\n@@volumes\n@@objects\n${container}\n${image}\n@@files\n${files}\n@@content\n${content}\n@@end\n` };
          }
          if (argv[0] === "timeout") return { stdout: "HTTP/1.0 200 OK\n" };
          if (argv[0] === "docker" && ["stop", "run"].includes(argv[1]!)) order.push(`${h.name} ${argv[1]}${argv[1] === "run" ? ` ${argv.find((a) => a.startsWith("lading/webapp"))}` : ""}`);
          if (argv[1] === "run") return { stdout: "new-id\n" };
          return {};
        }),
      );
    }
    const events: RunEvent[] = [];
    const ctx = fakeEngineContext("rollback", project, desired, transports, hostFacts, events);
    assert.equal(await runRollback(ctx, "webapp", undefined), 0, JSON.stringify(events.filter((e) => e.type === "halt" || e.type === "warning")));
    await ctx.hold.finish(ctx.session.transports);
    assert.deepEqual(order, ["lab1 stop", "lab1 run lading/webapp:1.0", "lab2 stop", "lab2 run lading/webapp:1.0", "lab3 stop", "lab3 run lading/webapp:1.0"]);
    for (const t of transports.values()) {
      const rec = t.files.get("/etc/lading/.lading/revisions/webapp/3.json");
      assert.ok(rec, `${t.host} recorded revision 3`);
      assert.equal((JSON.parse(rec.content) as Revision).command, "rollback --to 1");
    }
  });
});
