// Recovery of a Galera cluster after a full outage: find the node with the most recent state (grastate.dat's
// seqno, or `mysqld --wsrep-recover` when the node did not shut down cleanly), bootstrap the cluster from
// it, then join the others one at a time. A node with older data is never bootstrapped: it would make the
// newer transactions of the others disappear.
import * as docker from "../docker/commands.js";
import { sha256 } from "../docker/commands.js";
import { HostError } from "../errors.js";
import type { HostFacts } from "../facts/parse.js";
import { configHashOf } from "../plan/plan.js";
import type { DesiredContainer, DesiredFile, DesiredService, DesiredState } from "../render/desired.js";
import type { Transport } from "../transport/index.js";
import type { Emit } from "./events.js";
import { gate, mustExec } from "./apply.js";
import { checkGate, readGaleraStatus } from "./gates.js";
import { hostScript } from "../host-scripts/index.js";

/** Where the mariadb image keeps its data (galera.cnf: datadir). */
export const GALERA_DATADIR = "/var/lib/mysql";

export interface GaleraState {
  uuid: string;
  /** -1 when the node did not shut down cleanly (the position is then in InnoDB, see --wsrep-recover). */
  seqno: number;
  safeToBootstrap: boolean;
}

export interface MemberPosition extends GaleraState {
  host: string;
  /** Where the seqno came from. */
  source: "grastate" | "wsrep-recover";
}

/** Reads grastate.dat ("uuid: ...", "seqno: ...", "safe_to_bootstrap: ..."). */
export function parseGrastate(text: string): GaleraState {
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(text)?.[1];
  const uuid = field("uuid");
  const seqno = field("seqno");
  if (!uuid || seqno === undefined || !/^-?\d+$/.test(seqno)) throw new Error("grastate.dat has no uuid or seqno");
  return { uuid, seqno: Number(seqno), safeToBootstrap: field("safe_to_bootstrap") === "1" };
}

/** The position `mysqld --wsrep-recover` logs: "WSREP: Recovered position: <uuid>:<seqno>". */
export function parseRecoveredPosition(log: string): { uuid: string; seqno: number } | undefined {
  const m = /Recovered position:\s+([0-9a-f-]{36}):(-?\d+)/.exec(log);
  return m ? { uuid: m[1]!, seqno: Number(m[2]) } : undefined;
}

/**
 * The node to bootstrap from: the highest seqno; among equals the one grastate marks safe_to_bootstrap,
 * then the first in inventory order. Refuses when a position is unknown or the nodes disagree on the
 * cluster's history (different uuids): choosing then could lose data.
 */
export function chooseBootstrapNode(positions: MemberPosition[]): { host: string; why: string } {
  if (!positions.length) throw new Error("no Galera member to recover");
  const unknown = positions.filter((p) => p.seqno < 0);
  if (unknown.length) throw new Error(`the position of ${unknown.map((p) => p.host).join(", ")} is unknown (seqno -1 even after --wsrep-recover): refusing to guess which node has the newest data`);
  const uuids = new Set(positions.filter((p) => p.uuid !== "00000000-0000-0000-0000-000000000000").map((p) => p.uuid));
  if (uuids.size > 1) throw new Error(`the nodes belong to different cluster histories (${positions.map((p) => `${p.host} ${p.uuid}`).join(", ")}): refusing to bootstrap`);
  const best = positions.reduce((a, b) => (b.seqno > a.seqno || (b.seqno === a.seqno && b.safeToBootstrap && !a.safeToBootstrap) ? b : a));
  const others = positions.filter((p) => p !== best).map((p) => `${p.host} ${p.seqno}`);
  return { host: best.host, why: `${best.host} has the most recent state (seqno ${best.seqno}${best.source === "wsrep-recover" ? ", recovered from InnoDB" : ""})${others.length ? `; ${others.join(", ")}` : ""}` };
}

export interface GaleraMember {
  host: string;
  address: string;
  service: DesiredService;
  transport: Transport;
  facts: HostFacts | undefined;
}

/** The members of the Galera service (rollout gate galera) among the selected hosts, in inventory order. */
export function galeraMembersOf(desired: DesiredState, transports: ReadonlyMap<string, Transport>, facts: ReadonlyMap<string, HostFacts>): GaleraMember[] {
  const members: GaleraMember[] = [];
  for (const h of desired.hosts.values()) {
    const service = h.services.find((s) => s.rollout.gate?.kind === "galera");
    const transport = transports.get(h.name);
    if (service && transport) members.push({ host: h.name, address: h.address, service, transport, facts: facts.get(h.name) });
  }
  return members;
}

/** A throwaway container on the member's volumes (its container may be stopped), running `argv`. */
function onVolumes(container: DesiredContainer, argv: string[], entrypoint?: string): string[] {
  const out = ["docker", "run", "--rm", "--network", "none", "--volumes-from", container.name];
  if (entrypoint) out.push("--entrypoint", entrypoint);
  return [...out, container.image, ...argv];
}

/** The member's last known position: grastate.dat, or --wsrep-recover when grastate says -1. */
export async function readPosition(m: GaleraMember): Promise<MemberPosition> {
  const c = m.service.containers[0]!;
  const text = await mustExec(m.transport, onVolumes(c, [`${GALERA_DATADIR}/grastate.dat`], "cat"));
  const state = parseGrastate(text);
  if (state.seqno >= 0) return { host: m.host, ...state, source: "grastate" };
  // An unclean stop: InnoDB knows the last committed position. The image's entrypoint prepares /run/mysqld;
  // with no log_error set, mysqld logs (and the recovered position) go to stderr.
  const r = await m.transport.exec(onVolumes(c, ["mysqld", "--user=mysql", "--wsrep-recover"]), { become: true, timeoutMs: 300_000 });
  const pos = parseRecoveredPosition(`${r.stdout}\n${r.stderr}`);
  if (!pos) throw new HostError(m.host, `mysqld --wsrep-recover printed no position (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
  return { host: m.host, uuid: pos.uuid, seqno: pos.seqno, safeToBootstrap: state.safeToBootstrap, source: "wsrep-recover" };
}

// mysqld (user mysql) rewrites grastate.dat on start and stop: it must stay the mysql user's file.
const SET_GRASTATE = hostScript("set-grastate.sh");

/** Writes the position and the bootstrap flag into grastate.dat (only the chosen node gets 1). */
async function writeGrastate(m: GaleraMember, seqno: number, safeToBootstrap: boolean): Promise<void> {
  const c = m.service.containers[0]!;
  await mustExec(m.transport, onVolumes(c, ["-c", SET_GRASTATE, "lading-set-grastate", `${GALERA_DATADIR}/grastate.dat`, String(seqno), safeToBootstrap ? "1" : "0"], "sh"));
}

/** The service's files that are missing on the member or differ from the desired ones (content or mode). */
export function staleFiles(m: Pick<GaleraMember, "service" | "facts">): DesiredFile[] {
  return m.service.files.filter((f) => {
    const fact = m.facts?.files.get(f.path);
    return !fact?.exists || fact.sha256 !== sha256(f.content) || fact.mode !== f.mode;
  });
}

/** The config hash a deploy labels the container with, from the desired files that restart it. */
function desiredConfigHash(svc: DesiredService, container: string): string {
  return configHashOf(svc.files.filter((f) => f.restarts.includes(container)).map((f) => ({ path: f.path, sha256: sha256(f.content), mode: f.mode, owner: f.owner })));
}

/** Emits a step's start and end around `fn` (the recoveries' and backups' own steps). */
export type StepRunner = <T>(m: GaleraMember, kind: string, reason: string, fn: () => Promise<T>) => Promise<T>;

export function stepRunner(emit: Emit): StepRunner {
  return async (m, kind, reason, fn) => {
    const svc = m.service.name;
    const name = m.service.containers[0]!.name;
    emit({ type: "step", host: m.host, service: svc, kind, target: name, reason, status: "start" });
    const t0 = Date.now();
    try {
      const out = await fn();
      emit({ type: "step", host: m.host, service: svc, kind, target: name, reason, status: "ok", ms: Date.now() - t0 });
      return out;
    } catch (err) {
      emit({ type: "step", host: m.host, service: svc, kind, target: name, reason, status: "failed", ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  };
}

/**
 * Starts a new primary component on `first` (its bootstrap command; grastate.dat must say safe_to_bootstrap),
 * gated, then starts the others one at a time, each gated on the cluster's size, then recreates `first`
 * without the bootstrap command. The members' containers exist, stopped (or `first`'s is missing).
 */
export async function bootstrapAndJoin(first: GaleraMember, others: GaleraMember[], what: string, step: StepRunner, emit: Emit): Promise<void> {
  const name = first.service.containers[0]!.name;
  const svc = first.service.name;
  const c0 = first.service.containers[0]!;
  emit({ type: "phase", name: `${what}: bootstrap from ${first.host}` });
  await step(first, "bootstrap", "--wsrep-new-cluster on the node with the state to keep", async () => {
    await first.transport.exec(docker.remove(name), { become: true });
    await mustExec(first.transport, docker.run(c0, { configHash: desiredConfigHash(first.service, name), bootstrap: true }));
  });
  await gate(first.host, first.address, first.service, first.transport, 1, emit);
  let size = 1;
  for (const [i, m] of others.entries()) {
    emit({ type: "batch", service: svc, index: i + 1, total: others.length + 1, hosts: [m.host] });
    await step(m, "join", `joins ${first.host}`, async () => {
      if (m.facts?.containers.has(name)) await mustExec(m.transport, docker.start(name));
      else await mustExec(m.transport, docker.run(m.service.containers[0]!, { configHash: desiredConfigHash(m.service, name) }));
    });
    size++;
    await gate(m.host, m.address, m.service, m.transport, size, emit);
  }
  emit({ type: "batch", service: svc, index: others.length + 1, total: others.length + 1, hosts: [first.host] });
  await step(first, "recreate", "leaves the bootstrap command now that the others joined", async () => {
    await mustExec(first.transport, docker.stop(name, c0.stopTimeout));
    await mustExec(first.transport, docker.remove(name));
    await mustExec(first.transport, docker.run(c0, { configHash: desiredConfigHash(first.service, name) }));
  });
  await gate(first.host, first.address, first.service, first.transport, others.length + 1, emit);
}

export interface RecoveryResult {
  bootstrapHost: string;
  positions: MemberPosition[];
}

/**
 * The whole recovery. Refuses when some node is still part of a primary component (not a full outage).
 * `emit` receives phase, step and gate events for the live display.
 */
export interface RecoveryOptions {
  /** How many times a running node's state is read before it counts as unreadable. */
  statusAttempts: number;
  statusRetryMs: number;
}

export async function recoverGalera(members: GaleraMember[], emit: Emit, opts: RecoveryOptions = { statusAttempts: 5, statusRetryMs: 2000 }): Promise<RecoveryResult> {
  const name = members[0]!.service.containers[0]!.name;
  const svc = members[0]!.service.name;
  if (!members[0]!.service.containers[0]!.bootstrapCommand) throw new HostError(members[0]!.host, `${name} declares no bootstrap command (containers.${name}.bootstrap.command): cannot start a new primary component`);
  const step = stepRunner(emit);

  // 1. Not a full outage when a node still serves a primary component: that is a job for deploy. A node
  // that runs but does not answer is not assumed down: stopping a healthy cluster is worse than refusing.
  emit({ type: "phase", name: `${svc} recovery: positions` });
  for (const m of members) {
    if (!m.facts?.containers.get(name)?.running) continue;
    let status = await readGaleraStatus(m.transport, name);
    for (let attempt = 1; "error" in status && attempt < opts.statusAttempts; attempt++) {
      await new Promise((r) => setTimeout(r, opts.statusRetryMs));
      status = await readGaleraStatus(m.transport, name);
    }
    if ("error" in status) {
      throw new HostError(m.host, `${name} is running but its state cannot be read (mysql: ${status.error}): nothing was changed; if mysqld hangs, stop that container (docker stop ${name}) and run lading mariadb-recovery again`);
    }
    if (status.clusterStatus === "Primary") {
      throw new HostError(m.host, `${name} is up and part of a primary component (${status.state}, cluster size ${status.size}): the cluster is not down, nothing was changed (lading deploy brings back the members that are down)`);
    }
  }
  // Running but not primary: stop cleanly, so grastate.dat holds its position.
  for (const m of members) {
    if (m.facts?.containers.get(name)?.running) await step(m, "stop", "running outside a primary component", () => mustExec(m.transport, docker.stop(name, m.service.containers[0]!.stopTimeout)));
  }

  // 2. Every member's position, then the choice.
  const positions: MemberPosition[] = [];
  for (const m of members) positions.push(await step(m, "read-position", "grastate.dat, or --wsrep-recover when it says -1", () => readPosition(m)));
  let choice: { host: string; why: string };
  try {
    choice = chooseBootstrapNode(positions);
  } catch (err) {
    throw new HostError(members.map((m) => m.host).join(","), `${err instanceof Error ? err.message : String(err)}; nothing was changed`);
  }
  emit({ type: "warning", message: `bootstrapping ${svc} from ${choice.why}` });
  const first = members.find((m) => m.host === choice.host)!;

  // 3. Every node a recovery starts reads its config files (galera.cnf: addresses, wsrep settings): write those
  // that are missing or differ first, as a deploy would, or a node starts without Galera settings.
  emit({ type: "phase", name: `${svc} recovery: config files` });
  for (const m of members) {
    const stale = staleFiles(m);
    if (!stale.length) continue;
    const what = stale.map((f) => `${f.path.split("/").pop()!}: ${m.facts?.files.get(f.path)?.exists ? "content differs" : "missing"}`).join(", ");
    await step(m, "write", `${what} (written before any node starts)`, () => m.transport.putFiles(stale.map((f) => ({ path: f.path, content: f.content, opts: { mode: f.mode, owner: f.owner } }))));
  }

  // 4. Record the positions: safe_to_bootstrap only on the chosen node.
  for (const m of members) {
    const p = positions.find((x) => x.host === m.host)!;
    await step(m, "grastate", m === first ? "the bootstrap node: safe_to_bootstrap 1" : "safe_to_bootstrap 0", () => writeGrastate(m, p.seqno, m === first));
  }

  // 5. Bootstrap, then the others one at a time, then the first leaves the bootstrap command.
  await bootstrapAndJoin(first, members.filter((m) => m !== first), `${svc} recovery`, step, emit);
  return { bootstrapHost: first.host, positions };
}
