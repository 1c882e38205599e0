// lading serve against a copy of examples/lab, with no host: its hosts' facts are a fake session's, "as deployed"
// from the deployment as it was when the fixture was made (so that an edit shows up in the plan as a diff), over
// fake transports that answer every command. Its inventory addresses are on loopback (127.0.0.11-13, where nothing
// listens), so that nothing could reach a real host even if the fake were bypassed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { FileFact, HostFacts } from "../../../src/facts/parse.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { buildPlan, configHashOf } from "../../../src/plan/plan.js";
import { packageRoot } from "../../../src/paths.js";
import type { DesiredState } from "../../../src/render/desired.js";
import type { Session } from "../../../src/engine/session.js";
import type { SessionOpener } from "../../../src/run/run.js";
import { createServer } from "../../../src/serve/server.js";
import type { DeploymentService, ServeDeps } from "../../../src/serve/deployment-service.js";
import { loadToken } from "../../../src/serve/token.js";
import { FakeTransport, type Responder } from "../apply/fake-transport.js";
import { facts as emptyFacts, fileFact, runningFact } from "../engine/fixtures.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";

export interface ServeFixture {
  dir: string;
  url: string;
  token: string;
  app: FastifyInstance;
  service: DeploymentService;
  /** Every command the fake hosts were asked, in order. */
  log: string[];
  /** Makes every later session see a deploy lock held by another run on this host. */
  holdLock(host: string | undefined): void;
  /** A request with the token (unless `token` says otherwise). */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

/** A deploy lock another run left, as the facts read it. */
export function otherRunLock(host: string): string {
  return JSON.stringify({ id: "other-run", who: "ops@elsewhere", controller: "elsewhere", pid: 4242, command: "deploy", time: new Date().toISOString(), host });
}

export async function startServeFixture(opts: { deps?: ServeDeps; source?: string } = {}): Promise<ServeFixture> {
  const dir = copyDeployment(opts.source ?? join(packageRoot, "examples", "lab"), "lading-serve-");
  writeFakePasswords(dir);
  const inventory = join(dir, "inventory.yml");
  writeFileSync(inventory, readFileSync(inventory, "utf8").replace(/10\.98\.0\.1(\d)/g, "127.0.0.1$1"));
  const deployed = snapshotFacts(dir);
  const log: string[] = [];
  let lockedHost: string | undefined;
  const openSession: SessionOpener = async (_inventory, desired, sessionOpts) => {
    const facts = new Map<string, HostFacts>();
    for (const host of desired.hosts.keys()) {
      // A copy per run (a run changes its facts as it goes); file contents stay Buffers.
      const d = deployed.get(host) ?? emptyFacts();
      const f: HostFacts = { ...d, files: new Map(d.files), containers: new Map(d.containers), images: new Map(d.images), volumes: new Set(d.volumes), state: structuredClone(d.state) };
      if (host === lockedHost) f.lock = otherRunLock(host);
      facts.set(host, f);
      sessionOpts.emit({ type: "connect", host, ok: true, ms: 1 });
      sessionOpts.emit({ type: "facts", host, ms: 1 });
    }
    const transports = new Map([...desired.hosts.keys()].map((h) => [h, new FakeTransport(h, log, fakeHost(desired))]));
    const session: Session = {
      transports: transports as unknown as Session["transports"],
      unreachable: new Map(),
      facts,
      stats: () => new Map([...transports].map(([h, t]) => [h, { ...t.stats }])),
      refreshFacts: async () => undefined,
      reconnect: async (h) => transports.get(h)!,
      close: async () => undefined,
    };
    return session;
  };
  const token = loadToken({ dir });
  const { app, service } = await createServer({ deployment: { dir }, token: token.token, deps: { openSession, ...opts.deps } });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    dir,
    url,
    token: token.token,
    app,
    service,
    log,
    holdLock: (host) => (lockedHost = host),
    call: async (method, path, body, given) => {
      const headers: Record<string, string> = {};
      if (given !== null) headers.authorization = `Bearer ${given ?? token.token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    close: async () => {
      await app.close();
      removeDeployment(dir);
    },
  };
}

/**
 * Every host as lading would have left it after deploying the deployment as it is now: its files, its containers
 * (labelled with their spec and config hash), its images, its registrations and jobs recorded.
 */
function snapshotFacts(dir: string): Map<string, HostFacts> {
  const project = loadProject({ dir });
  const desired = renderProject(project);
  const out = new Map<string, HostFacts>();
  for (const h of desired.hosts.values()) {
    const f = emptyFacts();
    for (const s of h.services) {
      for (const file of s.files) {
        f.files.set(file.path, { ...fileFact(file.content, file.mode, file.owner), ownerIds: file.owner } as FileFact);
      }
      for (const c of s.containers) {
        const restart = s.files.filter((x) => x.restarts.includes(c.name)).map((x) => ({ path: x.path, sha256: f.files.get(x.path)!.exists ? (f.files.get(x.path) as { sha256: string }).sha256 : "", mode: x.mode, owner: x.owner }));
        f.containers.set(c.name, runningFact(c, configHashOf(restart), { health: "healthy" }));
        f.images.set(c.image, { id: `sha256:${c.image}`, repoTags: [c.image], repoDigests: [] });
      }
    }
    out.set(h.name, f);
  }
  // Registrations and jobs: recorded as done, as the plan of the deployment asks for them.
  const plan = buildPlan({ desired, facts: out, secrets: project.secrets, mode: "deploy" });
  const registrations: Record<string, string> = {};
  for (const hp of plan.hosts.values()) for (const sp of hp.services) for (const st of sp.steps) if ("stateKey" in st) registrations[st.stateKey] = st.stateValue;
  for (const f of out.values()) f.state = { registrations };
  return out;
}

/** What the fake hosts answer: revisions for `history`, the lock taken, and exit 0 with no output otherwise. */
function fakeHost(desired: DesiredState): Responder {
  return (host, argv) => {
    if (argv.includes("lading-revisions")) {
      const svc = desired.hosts.get(host)?.services.find((s) => s.name === "webapp");
      if (!svc) return { stdout: "@@end\n" };
      const rev = (n: number, command: string, tag: string) => ({
        rev: n,
        time: new Date(Date.UTC(2026, 0, n, 12)).toISOString(),
        command,
        service: "webapp",
        host,
        images: { webapp: { ref: `lading/webapp:${tag}`, id: `sha256:webapp-${tag}` } },
        containers: svc.containers,
        files: [],
      });
      const lines = [rev(1, "deploy", "1.0"), rev(2, "upgrade", "1.1")].flatMap((r) => [`@@rev webapp ${r.rev}`, Buffer.from(JSON.stringify(r)).toString("base64")]);
      return { stdout: `${lines.join("\n")}\n@@end\n` };
    }
    if (argv.some((a) => a.includes("lading-lock") || a === "take")) return { stdout: "TAKEN\n" };
    return undefined;
  };
}
