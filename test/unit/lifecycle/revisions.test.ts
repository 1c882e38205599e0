import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTransport } from "../../../src/transport/index.js";
import { buildPlan } from "../../../src/plan/plan.js";
import {
  desiredFromRevision,
  parseRevisionsOutput,
  pinnedRef,
  readRevisions,
  recordRevisions,
  revisionFromDesired,
  revisionFromRunning,
  revisionIsRunning,
  revisionPath,
  revisionsToRecord,
  rollbackTarget,
  type Revision,
} from "../../../src/lifecycle/revisions.js";
import { container, facts, file, fileFact, runningFact, service, state } from "../engine/fixtures.js";

const img = (id: string, digests: string[] = []) => ({ id, repoTags: [], repoDigests: digests });

function webapp(tag: string, message = "hi") {
  return service("webapp", [file("webapp", "webapp.ini", `message=${message}\n`, { mode: "0640", owner: "root:42400" })], [container("webapp", "webapp", { image: `lading/webapp:${tag}` })]);
}

describe("revisions", () => {
  it("records images by id and digest, containers and files with content", () => {
    const svc = webapp("1.0");
    const r = revisionFromDesired(svc, new Map([["lading/webapp:1.0", img("sha256:aaa", ["reg/lading/webapp@sha256:ddd"])]]), { rev: 3, time: "t", command: "deploy", host: "h1" });
    assert.equal(r.rev, 3);
    assert.deepEqual(r.images.webapp, { ref: "lading/webapp:1.0", id: "sha256:aaa", digests: ["reg/lading/webapp@sha256:ddd"] });
    assert.equal(r.files[0]!.content, "message=hi\n");
    assert.equal(r.files[0]!.owner, "root:42400");
    assert.equal(r.containers[0]!.image, "lading/webapp:1.0");
  });

  it("pins a recorded image by the digest of its own repository, else the image id", () => {
    assert.equal(pinnedRef({ ref: "reg/lading/webapp:1.0", id: "sha256:aaa", digests: ["other/x@sha256:1", "reg/lading/webapp@sha256:2"] }), "reg/lading/webapp@sha256:2");
    assert.equal(pinnedRef({ ref: "lading/webapp:1.0", id: "sha256:aaa", digests: [] }), "sha256:aaa");
  });

  it("puts a revision back as desired state: pinned image, old files, restart wiring of the current role", () => {
    const old = revisionFromDesired(webapp("1.0", "old"), new Map([["lading/webapp:1.0", img("sha256:aaa")]]), { rev: 1, time: "t", command: "deploy", host: "h1" });
    const current = webapp("1.1", "new");
    const back = desiredFromRevision(current, old);
    assert.equal(back.containers[0]!.image, "sha256:aaa");
    assert.equal(back.files[0]!.content, "message=old\n");
    assert.deepEqual(back.files[0]!.restarts, ["webapp"]);
    assert.equal(back.rollout, current.rollout);
    // Through the normal planner, the rollback is a recreate with a file write, as any change would be.
    const f = facts();
    f.images.set("sha256:aaa", { id: "sha256:aaa", repoTags: ["lading/webapp:1.0"], repoDigests: [] });
    f.containers.set("webapp", runningFact(current.containers[0]!, "x", { imageId: "sha256:bbb" }));
    f.files.set(current.files[0]!.path, fileFact("message=new\n", "0640", "root:42400"));
    const plan = buildPlan({ desired: state({ h1: [back] }), facts: new Map([["h1", f]]), secrets: {}, mode: "reconfigure" });
    const kinds = plan.hosts.get("h1")!.services[0]!.steps.map((s) => `${s.kind}: ${s.reason}`);
    assert.deepEqual(plan.hosts.get("h1")!.pulls, []);
    assert.equal(kinds.length, 2);
    assert.match(kinds[0]!, /^write: webapp.ini: content differs/);
    assert.match(kinds[1]!, /^recreate: webapp: parameters differ \(image\)/);
  });

  it("keeps the recorded tag while it still names the recorded image on the host, else pins it", () => {
    const old = revisionFromDesired(webapp("1.0"), new Map([["lading/webapp:1.0", img("sha256:aaa")]]), { rev: 1, time: "t", command: "deploy", host: "h1" });
    assert.equal(desiredFromRevision(webapp("1.1"), old, new Map([["lading/webapp:1.0", img("sha256:aaa")]])).containers[0]!.image, "lading/webapp:1.0");
    assert.equal(desiredFromRevision(webapp("1.1"), old, new Map([["lading/webapp:1.0", img("sha256:retagged")]])).containers[0]!.image, "sha256:aaa");
    assert.equal(desiredFromRevision(webapp("1.1"), old, new Map()).containers[0]!.image, "sha256:aaa");
  });

  function revs(): { r1: Revision; r2: Revision } {
    const r1 = revisionFromDesired(webapp("1.0"), new Map([["lading/webapp:1.0", img("sha256:aaa")]]), { rev: 1, time: "t1", command: "deploy", host: "h1" });
    const r2 = revisionFromDesired(webapp("1.1"), new Map([["lading/webapp:1.1", img("sha256:bbb")]]), { rev: 2, time: "t2", command: "upgrade", host: "h1" });
    return { r1, r2 };
  }

  it("knows which revision runs, and rolls back to the newest one that does not", () => {
    const { r1, r2 } = revs();
    const f = facts();
    f.containers.set("webapp", runningFact(r2.containers[0]!, "x", { imageId: "sha256:bbb" }));
    assert.equal(revisionIsRunning(r2, f), true);
    assert.equal(revisionIsRunning(r1, f), false);
    assert.equal(rollbackTarget([r1, r2], f)?.rev, 1);
    assert.equal(rollbackTarget([r1, r2], f, 2)?.rev, 2);
    assert.equal(rollbackTarget([r1, r2], f, 7), undefined);
    assert.equal(rollbackTarget([r2], f), undefined);
  });

  it("a config-only change is not the running revision", () => {
    const { r2 } = revs();
    const f = facts();
    f.containers.set("webapp", runningFact(r2.containers[0]!, "x", { imageId: "sha256:bbb" }));
    f.files.set(r2.files[0]!.path, fileFact("message=changed\n"));
    assert.equal(revisionIsRunning(r2, f), false);
  });

  it("records a new revision only when the service changed", () => {
    const { r1 } = revs();
    const images = new Map([["lading/webapp:1.0", img("sha256:aaa")], ["lading/webapp:1.1", img("sha256:bbb")]]);
    assert.deepEqual(revisionsToRecord("h1", [webapp("1.0")], [r1], images, { time: "t", command: "deploy" }), []);
    const next = revisionsToRecord("h1", [webapp("1.1")], [r1], images, { time: "t", command: "upgrade" });
    assert.equal(next.length, 1);
    assert.equal(next[0]!.rev, 2);
    assert.equal(revisionsToRecord("h1", [webapp("1.0")], [], images, { time: "t", command: "deploy" })[0]!.rev, 1);
  });

  it("builds a revision of what runs from the container label and the files on the host", () => {
    const svc = webapp("1.0");
    const f = facts();
    f.containers.set("webapp", runningFact(svc.containers[0]!, "x", { imageId: "sha256:aaa" }));
    const onHost = fileFact("message=hi\n", "0640", "root:webapp");
    if (onHost.exists) onHost.ownerIds = "0:42400";
    f.files.set(svc.files[0]!.path, onHost);
    const r = revisionFromRunning(svc, f, { rev: 1, time: "t", command: "baseline", host: "h1" })!;
    assert.equal(r.images.webapp!.id, "sha256:aaa");
    assert.equal(r.containers[0]!.image, "lading/webapp:1.0");
    assert.equal(r.files[0]!.owner, "0:42400");
    assert.equal(revisionIsRunning(r, f), true);
    assert.equal(revisionFromRunning(svc, facts(), { rev: 1, time: "t", command: "b", host: "h1" }), undefined);
  });

  it("parses the revisions output and skips unreadable files", () => {
    const { r1 } = revs();
    const out = `@@begin\n@@rev webapp 1\n${Buffer.from(JSON.stringify(r1)).toString("base64")}\n@@rev webapp 2\nbm90IGpzb24=\n@@image lading/webapp:1.1 sha256:bbb reg/x@sha256:1\n@@end\n`;
    const p = parseRevisionsOutput(out);
    assert.equal(p.revisions.length, 1);
    assert.deepEqual(p.unreadable, ["webapp/2.json"]);
    assert.deepEqual(p.images.get("lading/webapp:1.1"), { id: "sha256:bbb", repoTags: ["lading/webapp:1.1"], repoDigests: ["reg/x@sha256:1"] });
    assert.throws(() => parseRevisionsOutput("@@begin\n"), /incomplete/);
  });

  it("writes revisions 0600 and reads them back with the real script", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-rev-"));
    try {
      const t = new LocalTransport({ host: "local", become: false });
      const stateFile = join(dir, ".lading", "state.json");
      const host = { name: "local", stateFile, services: [webapp("1.0")] };
      const first = await recordRevisions(new Map([["local", t]]), [host], "deploy", new Date("2026-01-01T00:00:00Z"));
      assert.equal(first.length, 1);
      const path = revisionPath(stateFile, "webapp", 1);
      assert.equal((statSync(path).mode & 0o777).toString(8), "600");
      assert.equal((JSON.parse(readFileSync(path, "utf8")) as Revision).command, "deploy");
      assert.deepEqual(await recordRevisions(new Map([["local", t]]), [host], "deploy"), []);
      await recordRevisions(new Map([["local", t]]), [{ ...host, services: [webapp("1.1")] }], "upgrade");
      const back = await readRevisions(t, stateFile, ["webapp", "absent"]);
      assert.deepEqual(back.revisions.map((r) => [r.rev, r.command]), [[1, "deploy"], [2, "upgrade"]]);
      await t.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
