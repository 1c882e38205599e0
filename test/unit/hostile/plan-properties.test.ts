// Properties of buildPlan over generated deployments (hosts, services, files with hostile content, containers
// with hostile arguments): facts equal to the desired state give an empty plan; one changed file, mode or
// container parameter gives exactly its step, with its reason, on its host only; containers and files of
// services outside the desired state (--service, --limit) never get a step.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { FileFact, HostFacts } from "../../../src/facts/parse.js";

type ExistingFile = Extract<FileFact, { exists: true }>;
import { buildPlan, configHashOf, hasChanges, type Plan } from "../../../src/plan/plan.js";
import type { DesiredFile, DesiredService, DesiredState } from "../../../src/render/desired.js";
import { container, facts, file, fileFact, runningFact, service, sha, state, withImages } from "../engine/fixtures.js";

/** Values a user may write: shell metacharacters, quotes, newlines, unicode, leading dashes. */
const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("; rm -rf /", "$(touch /tmp/pwned)", "`id`", "a'b\"c", "\\", "line\nbreak", "-rf", "*", "ünï ✓", ""),
);
const MODES = ["0644", "0640", "0600"] as const;
const OWNERS = ["root", "root:42400"] as const;

interface FileSpec { name: string; content: string; mode: string; owner: string }
interface ServiceSpec { name: string; files: FileSpec[]; command: string[] }

const fileSpec = fc.record({
  name: fc.constantFrom("a.conf", "b.ini", "c yml", "d;e"),
  content: hostileText,
  mode: fc.constantFrom(...MODES),
  owner: fc.constantFrom(...OWNERS),
});
const serviceSpec = fc.record({
  name: fc.constantFrom("alpha", "beta", "gamma", "delta"),
  files: fc.uniqueArray(fileSpec, { selector: (f) => f.name, minLength: 1, maxLength: 3 }),
  command: fc.array(hostileText, { maxLength: 3 }),
});
/** One to three hosts, each with its own services (a service may run on several hosts, with other files). */
const deployment = fc.uniqueArray(fc.tuple(fc.constantFrom("h1", "h2", "h3"), fc.uniqueArray(serviceSpec, { selector: (s) => s.name, minLength: 1, maxLength: 3 })), {
  selector: ([h]) => h,
  minLength: 1,
  maxLength: 3,
});

function desiredOf(spec: [string, ServiceSpec[]][]): DesiredState {
  return state(
    Object.fromEntries(
      spec.map(([host, services]) => [
        host,
        services.map((s) =>
          service(
            s.name,
            s.files.map((f) => file(s.name, f.name, f.content, { mode: f.mode, owner: f.owner })),
            [container(s.name, s.name, s.command.length ? { command: s.command } : {})],
          ),
        ),
      ]),
    ),
  );
}

/** What a host reports for a file lading wrote as `f`: the owner by name and by number. */
function factOf(f: DesiredFile): ExistingFile {
  return f.owner === "root" ? (fileFact(f.content, f.mode, "root:root") as ExistingFile) : { ...(fileFact(f.content, f.mode, "root:UNKNOWN") as ExistingFile), ownerIds: "0:42400" };
}

const hashOfService = (svc: DesiredService, name: string): string =>
  configHashOf(svc.files.filter((f) => f.restarts.includes(name)).map((f) => ({ path: f.path, sha256: sha(f.content), mode: f.mode, owner: f.owner })));

/** Facts of hosts on which everything is exactly as `desired` wants it. */
function upToDate(desired: DesiredState): Map<string, HostFacts> {
  const out = new Map<string, HostFacts>();
  for (const h of desired.hosts.values()) {
    const f = facts();
    for (const svc of h.services) {
      for (const file of svc.files) f.files.set(file.path, factOf(file));
      for (const c of svc.containers) {
        withImages(f, c.image);
        f.containers.set(c.name, runningFact(c, hashOfService(svc, c.name)));
      }
    }
    out.set(h.name, f);
  }
  return out;
}

/** Every step of the plan as `host/service: kind: reason`, pulls as `host: pull: reason`. */
function stepsOf(plan: Plan): string[] {
  const out: string[] = [];
  for (const h of plan.hosts.values()) {
    for (const p of h.pulls) out.push(`${h.host}: pull: ${p.reason}`);
    for (const s of h.services) for (const st of s.steps) out.push(`${h.host}/${s.service}: ${st.kind}: ${st.reason}`);
  }
  return out;
}

const plan = (desired: DesiredState, f: Map<string, HostFacts>): Plan => buildPlan({ desired, facts: f, secrets: {}, mode: "deploy" });

/** Picks one (host, service, file) of a deployment with an index chosen by fast-check. */
function pick(desired: DesiredState, n: number) {
  const all = [...desired.hosts.values()].flatMap((h) => h.services.flatMap((s) => s.files.map((f) => ({ host: h.name, svc: s, file: f }))));
  return all[n % all.length]!;
}

describe("buildPlan properties", function () {
  this.timeout(60_000);

  it("plans nothing when the facts equal the desired state, and lists every file and container as up to date", () => {
    fc.assert(
      fc.property(deployment, (spec) => {
        const desired = desiredOf(spec);
        const p = plan(desired, upToDate(desired));
        assert.deepEqual(stepsOf(p), []);
        assert.equal(hasChanges(p), false);
        for (const h of desired.hosts.values()) {
          const hp = p.hosts.get(h.name)!;
          const files = h.services.reduce((n, s) => n + s.files.length + s.containers.length, 0);
          assert.equal(hp.services.reduce((n, s) => n + s.unchanged.length, 0), files);
          assert.deepEqual(hp.orphans, []);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("one file's content changed: a write and a restart of its service's container, on that host only, with reasons", () => {
    fc.assert(
      fc.property(deployment, fc.nat(), hostileText, (spec, n, extra) => {
        const desired = desiredOf(spec);
        const before = upToDate(desired);
        const { host, svc, file: f } = pick(desired, n);
        const content = `${f.content}${extra}\n`;
        svc.files = svc.files.map((x) => (x === f ? { ...x, content } : x));
        assert.deepEqual(stepsOf(plan(desired, before)), [
          `${host}/${svc.name}: write: ${f.path.slice(svc.configDir.length + 1)}: content differs`,
          `${host}/${svc.name}: restart: ${svc.name}: config changed (${f.path.slice(f.path.lastIndexOf("/") + 1)})`,
        ]);
      }),
      { numRuns: 150 },
    );
  });

  it("one file's mode changed on the host: a write naming both modes and no restart (the container runs the wanted config)", () => {
    fc.assert(
      fc.property(deployment, fc.nat(), (spec, n) => {
        const desired = desiredOf(spec);
        const f = upToDate(desired);
        const { host, svc, file: target } = pick(desired, n);
        const other = MODES.find((m) => m !== target.mode)!;
        f.get(host)!.files.set(target.path, { ...factOf(target), mode: other });
        assert.deepEqual(stepsOf(plan(desired, f)), [`${host}/${svc.name}: write: ${target.path.slice(svc.configDir.length + 1)}: mode ${other} -> ${target.mode}`]);
      }),
      { numRuns: 150 },
    );
  });

  it("one container's command changed: exactly one recreate naming the field", () => {
    fc.assert(
      fc.property(deployment, fc.nat(), hostileText, (spec, n, arg) => {
        const desired = desiredOf(spec);
        const f = upToDate(desired);
        const { host, svc } = pick(desired, n);
        const c = svc.containers[0]!;
        svc.containers = [{ ...c, command: [...(c.command ?? ["default"]), arg] }];
        assert.deepEqual(stepsOf(plan(desired, f)), [`${host}/${svc.name}: recreate: ${c.name}: parameters differ (command)`]);
      }),
      { numRuns: 150 },
    );
  });

  it("services outside the desired state (left out by --service or --limit) get no step, whatever their state", () => {
    fc.assert(
      fc.property(deployment, fc.nat(), fc.boolean(), (spec, n, stopped) => {
        const full = desiredOf(spec);
        const f = upToDate(full);
        // Everything of one service is out of date on the hosts (files edited, container stopped)...
        const { svc: left } = pick(full, n);
        for (const hf of f.values()) {
          for (const [path, fact] of hf.files) if (fact.exists && path.startsWith(`${left.configDir}/`)) hf.files.set(path, { ...fact, sha256: sha("edited"), mode: "0666" });
          const c = hf.containers.get(left.name);
          if (c) hf.containers.set(left.name, stopped ? { ...c, running: false, status: "exited" } : { ...c, labels: { ...c.labels, [Object.keys(c.labels)[0]!]: "changed" } });
        }
        // ...but the run is scoped to the other services.
        const scoped: DesiredState = {
          hosts: new Map([...full.hosts].map(([name, h]) => [name, { ...h, services: h.services.filter((s) => s.name !== left.name) }])),
        };
        const p = plan(scoped, f);
        assert.deepEqual(stepsOf(p), []);
        for (const h of p.hosts.values()) for (const s of h.services) assert.notEqual(s.service, left.name);
      }),
      { numRuns: 150 },
    );
  });
});
