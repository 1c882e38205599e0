// Applies a plan over the hosts' transports: pulls first (before anything stops), then service by
// service in dependency order, host batches as each service's rollout says, each batch gated on health.
// A failure halts the run: hosts not yet reached are left untouched.
import * as docker from "../docker/commands.js";
import { HostError } from "../errors.js";
import type { HostFacts, HostStateFile } from "../facts/parse.js";
import type { Plan, ServicePlan, Step } from "../plan/plan.js";
import type { DesiredService, DesiredState } from "../render/desired.js";
import type { SecretValue } from "../render/render.js";
import { forEachHost, PutFilesError, type ExecResult, type Transport } from "../transport/index.js";
import type { Emit, HostRecap } from "./events.js";
import { checkGate, containerOf, deadlineOf, describeGate, GALERA_DRAIN_MS, gateOf, haproxyBackendsUp, waitForGaleraIdle, waitForGate, type GateContext } from "./gates.js";
import { parseDuration } from "./duration.js";
import { isHostScriptName, shScriptArgv, type HostScriptName } from "../host-scripts/index.js";
import { catalogRequest, clusterInDesired, databaseRegistrationSql, identityInDesired, registerMessaging, registrationMember, runCatalogRequest, runSql, type RegistrationCluster } from "./registrations.js";
import { describeRefusal, quorumRefusals, type QuorumRefusal } from "./quorum.js";
import { revertHost } from "./revert.js";
import { findVipHolder } from "./vip.js";
import { buildSchedule, mainContainerOf, type ServiceSchedule } from "../plan/schedule.js";
import { lbServersOf, OTHERS_SERVING_TIMEOUT_MS, serversLeftInMaintenance, SESSIONS_DRAIN_MS, setLbState, shutdownSessions, waitForOthersServing, waitForSessionsEnded, type LbServer, type LoadBalancer } from "./lb-drain.js";

export interface ApplyInput {
  plan: Plan;
  desired: DesiredState;
  facts: Map<string, HostFacts>;
  transports: Map<string, Transport>;
  secrets: Record<string, SecretValue>;
  emit: Emit;
  forks: number;
  /** Batch size for every service (--serial). */
  serialOverride?: number | string;
  /**
   * Resolved parameters per host: `vip_address` tells which host of a `vipLast` service holds the VIP.
   * Without it, vipLast services roll in inventory order.
   */
  hostParams?: Map<string, Record<string, unknown>>;
  /**
   * lading's state file of each host as the run changes it. Given, it is updated in place and not written:
   * the run writes it once, with its revisions, audit entries and lock release, in its last exec per host
   * (src/lifecycle/run-lock.ts). Absent, the state comes from the facts and is written when the apply ends.
   */
  state?: Map<string, HostStateFile>;
  /**
   * The clusters registrations run in (registrationClusters of the project). Absent, they are read from
   * `desired`, which lacks them when the run is limited to other services.
   */
  clusters?: Map<string, RegistrationCluster>;
  /**
   * The desired state of every service, when the run is limited to some (--service): where the load balancers
   * a restarting host leaves are found. Absent, `desired`, which lacks HAProxy when the run is limited to other services.
   */
  everyService?: DesiredState;
}


export interface ApplyResult {
  ok: boolean;
  recap: Map<string, HostRecap>;
}

class Halt extends Error {}

export async function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  const { plan, emit } = input;
  const recap = new Map<string, HostRecap>();
  for (const h of plan.hosts.keys()) recap.set(h, { host: h, ok: 0, changed: 0, failed: 0, unreachable: false, skipped: false });
  const state = input.state ?? new Map<string, HostStateFile>();
  if (!input.state) for (const [h, f] of input.facts) state.set(h, structuredClone(f.state));

  const transport = (host: string): Transport => {
    const t = input.transports.get(host);
    if (!t) throw new HostError(host, "no connection");
    return t;
  };

  const runStep = async <T>(host: string, step: StepInfo, target: string, fn: () => Promise<T>): Promise<T> => {
    const service = serviceOfStep(step);
    emit({ type: "step", host, service, kind: step.kind, target, reason: step.reason, status: "start" });
    const started = Date.now();
    try {
      const out = await fn();
      recap.get(host)!.changed++;
      emit({ type: "step", host, service, kind: step.kind, target, reason: step.reason, status: "ok", ms: Date.now() - started });
      return out;
    } catch (err) {
      recap.get(host)!.failed++;
      const error = err instanceof Error ? err.message : String(err);
      emit({ type: "step", host, service, kind: step.kind, target, reason: step.reason, status: "failed", ms: Date.now() - started, error });
      throw err;
    }
  };

  try {
    // 0. The quorum guard, on the facts of every member, before anything changes anywhere.
    let refusals = quorumRefusals(plan, input.desired, input.facts);
    if (refusals.length) {
      const healthyNow = await recheckUnhealthy(refusals, input);
      if (healthyNow.size) refusals = quorumRefusals(plan, input.desired, input.facts, healthyNow);
    }
    if (refusals.length) {
      for (const r of refusals) {
        emit({ type: "halt", service: r.service, host: r.degraded.map((d) => d.host).join(", "), reason: `rollout refused: ${describeRefusal(r)}`, untouched: [...plan.hosts.keys()] });
      }
      throw new Halt();
    }

    // The HAProxies that run now: a host leaves their rotation while its service restarts.
    const loadBalancers: LoadBalancer[] = [];
    for (const h of (input.everyService ?? input.desired).hosts.values()) {
      const lbSvc = h.services.find((x) => x.rollout.gate?.kind === "haproxy");
      const t = input.transports.get(h.name);
      const g = lbSvc?.rollout.gate;
      const container = lbSvc ? mainContainerOf(lbSvc) : undefined;
      if (lbSvc && t && container && g?.kind === "haproxy" && input.facts.get(h.name)?.containers.get(container)?.running) loadBalancers.push({ host: h.name, transport: t, container, socket: g.socket });
    }

    // A run that died mid-rollout (its stale lock was broken to get here) may have left a host in maintenance.
    if ([...input.facts.values()].some((f) => f.lock !== undefined)) {
      for (const left of await serversLeftInMaintenance(loadBalancers)) {
        const failures = await setLbState([left], "ready");
        emit({ type: "warning", host: left.lb.host, message: failures.length ? `cannot put ${left.proxy}/${left.server} back in rotation: ${failures.join("; ")}` : `${left.proxy}/${left.server} was left in maintenance by the run that died: back in rotation` });
      }
    }

    // 1. Every image on every host first: a missing image stops the run before any change.
    emit({ type: "phase", name: "images" });
    const pullFailures: string[] = [];
    await forEachHost([...plan.hosts.values()], input.forks, async (hp) => {
      for (const step of hp.pulls) {
        if (step.kind !== "pull") continue;
        try {
          await runStep(hp.host, step, step.image, async () => {
            const r = await transport(hp.host).exec(docker.pull(step.image), { become: true, timeoutMs: 600_000 });
            if (r.code !== 0) throw new HostError(hp.host, `cannot pull ${step.image}: ${r.stderr.trim().split("\n").slice(-1)[0]}`);
          });
        } catch (err) {
          pullFailures.push(err instanceof Error ? err.message : String(err));
        }
      }
    });
    if (pullFailures.length) {
      emit({ type: "halt", service: "-", host: "-", reason: `images missing, nothing was changed: ${pullFailures.join("; ")}`, untouched: [...plan.hosts.keys()] });
      throw new Halt();
    }

    // 2. The schedule: services at once where they do not wait for each other, each through its batches.
    const schedule = plan.schedule ?? buildSchedule({ plan, desired: input.desired, facts: input.facts, serialOverride: input.serialOverride, vipHolder: await vipHolderOf(plan, input) });
    for (const w of schedule.warnings) emit({ type: "warning", message: w });
    let stopped: string | undefined;
    const finished = new Map(schedule.services.map((ss) => [ss.service, deferred()]));
    const runs = schedule.services.map(async (ss) => {
      try {
        // A dependency that halted rejects here: this service never starts, its hosts stay untouched.
        await Promise.all(ss.after.map((a) => finished.get(a.service)?.promise));
        await runService(ss);
        finished.get(ss.service)!.resolve();
      } catch (err) {
        stopped ??= ss.service;
        finished.get(ss.service)!.reject(err);
        throw err;
      }
    });
    // Every waiter handles a rejection; these promises only carry it to the services that wait for them.
    for (const f of finished.values()) f.promise.catch(() => undefined);

    async function runService(ss: ServiceSchedule): Promise<void> {
      const service = ss.service;
      const hostsWith = [...plan.hosts.values()].filter((hp) => hp.services.some((s) => s.service === service && s.steps.length));
      if (!hostsWith.length) return;
      emit({ type: "phase", name: service });
      const addressOf = (host: string): string => input.desired.hosts.get(host)!.address;
      const sp = (host: string): ServicePlan => plan.hosts.get(host)!.services.find((s) => s.service === service)!;
      const members = [...input.desired.hosts.values()].filter((h) => h.services.some((s) => s.name === service)).map((h) => h.name);

      // Registrations first: the service must find its database and queue user when it starts.
      for (const hp of hostsWith) {
        for (const step of sp(hp.host).steps) {
          if (step.kind !== "register-database" && step.kind !== "register-messaging" && step.kind !== "register-catalog") continue;
          const target = step.kind === "register-database" ? step.name : step.kind === "register-messaging" ? step.user : `catalogue ${step.catalog.name}`;
          await runStep(hp.host, step, target, () => (step.kind === "register-catalog" ? registerCatalog(step, input, state) : register(step, input, state)));
          for (const other of hostsWith) {
            const s = sp(other.host);
            s.steps = s.steps.filter((x) => !(x.kind === step.kind && "stateKey" in x && x.stateKey === step.stateKey));
          }
        }
      }

      // Then the jobs, in order, on the host that holds them (the service's first): its files first, since the
      // job reads them; a job that fails halts the run before any container of the service starts.
      for (const hp of hostsWith) {
        const own = sp(hp.host);
        const jobs = own.steps.filter((x): x is JobStep => x.kind === "job");
        if (!jobs.length) continue;
        const writes = own.steps.filter((x): x is WriteStep => x.kind === "write");
        const run: HostRun = { host: hp.host, address: addressOf(hp.host), sp: own, t: transport(hp.host), facts: input.facts.get(hp.host), state, runStep, recap: recap.get(hp.host)!, emit, expectedMembers: 0 };
        if (writes.length) await writeFiles(run, writes);
        for (const job of jobs) {
          try {
            await runStep(hp.host, job, job.job.name, async () => {
              const r = await runJob(run.t, job);
              if (r.code === 0) return;
              const output = `${r.stdout}${r.stderr}`.trim().split("\n").slice(-JOB_OUTPUT_LINES).join("\n");
              throw new HostError(hp.host, `job ${job.job.name} failed (exit ${r.code})\n--- last output of ${job.job.command.join(" ")} ---\n${output}`);
            });
          } catch (err) {
            emit({ type: "halt", service, host: hp.host, reason: `${err instanceof Error ? err.message : String(err)}\n${service} was not started`, untouched: [...plan.hosts.keys()].filter((h) => h !== hp.host) });
            throw new Halt();
          }
          const hs = state.get(hp.host) ?? {};
          hs.registrations = { ...(hs.registrations ?? {}), [job.stateKey]: job.stateValue };
          state.set(hp.host, hs);
        }
        own.steps = own.steps.filter((x) => x.kind !== "job" && x.kind !== "write");
      }

      const batches = ss.batches;
      const sample = sp(batches[0]?.hosts[0] ?? hostsWith[0]!.host).desired;
      const policy = sample.rollout;
      // A clustered service's gate expects every member that already runs, plus those this rollout created
      // so far: a first deploy grows the cluster one batch at a time, a restart expects it whole.
      const mainContainer = mainContainerOf(sample) ?? "";
      const existing = members.filter((m) => input.facts.get(m)?.containers.has(mainContainer)).length;
      const maxFail = policy.maxFailPercentage ?? 0;
      const total = batches.filter((b) => b.kind !== "rejoin").flatMap((b) => b.hosts).length;
      let created = 0;
      let failedSoFar = 0;
      for (let b = 0; b < batches.length; b++) {
        const { hosts: batch, kind, hold } = batches[b]!;
        if (stopped !== undefined) {
          emit({ type: "warning", message: `${service}: stopped before batch ${b + 1} of ${batches.length} (${stopped} halted the run); untouched: ${batches.slice(b).flatMap((x) => x.hosts).join(", ")}` });
          throw new Halt();
        }
        emit({ type: "batch", service, index: b + 1, total: batches.length, hosts: batch });
        if (kind === "rejoin") {
          await rejoin(batch[0]!, members.length, hold);
          continue;
        }
        created += batch.filter((h) => sp(h).steps.some((x) => x.kind === "create")).length;
        const expected = Math.min(members.length, existing + created);
        const ctx = (host: string): HostRun => ({ host, address: addressOf(host), sp: sp(host), t: transport(host), facts: input.facts.get(host), state, runStep, recap: recap.get(host)!, emit, expectedMembers: expected, loadBalancers, hold });
        // The quorum guard again, live, before a batch stops running members: a member lost since the facts
        // (partitioned, crashed) must stop the rollout before the next stop takes the cluster below quorum.
        const stopsRunning = batch.some((h) => input.facts.get(h)?.containers.get(mainContainer)?.running && sp(h).steps.some((x) => x.kind === "restart" || x.kind === "recreate"));
        if (policy.quorum && stopsRunning) {
          // Members outside the run (--limit) have no connection: the facts-time guard covered them.
          const others = members.filter((m) => !batch.includes(m) && input.transports.has(m) && input.facts.get(m)?.containers.get(mainContainer)?.running);
          const serviceOn = (m: string): DesiredService => input.desired.hosts.get(m)!.services.find((x) => x.name === service)!;
          const lost = await membersNotAnswering(others, (m) => ({ transport: transport(m), service: serviceOn(m), expectedMembers: expected, address: addressOf(m) }));
          if (lost.length) {
            emit({ type: "halt", service, host: lost.map((l) => l.host).join(", "), reason: `quorum guard: ${lost.map((l) => `${l.host}: ${l.detail}`).join("; ")}; stopping ${batch.join(", ")} now could take the ${service} cluster below its quorum. Nothing more was changed: bring it back, then run again`, untouched: batches.slice(b).flatMap((x) => x.hosts) });
            throw new Halt();
          }
        }
        const results = await Promise.allSettled(batch.map((host) => applyServiceOnHost(ctx(host))));
        const failed = results.map((r, i) => (r.status === "rejected" ? batch[i]! : undefined)).filter((x): x is string => !!x);
        if (!failed.length) continue;
        const firstError = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
        const reason = firstError instanceof Error ? firstError.message : String(firstError);
        if (policy.onFailure === "revert") {
          // The whole failed batch gets its previous files and containers back, and must pass the gate again.
          const reverts = await Promise.allSettled(batch.map((host) => revertHost(ctx(host))));
          reverts.forEach((r, i) => {
            const host = batch[i]!;
            emit({ type: "revert", service, host, status: r.status === "fulfilled" ? "ok" : "failed", error: r.status === "rejected" ? String(r.reason instanceof Error ? r.reason.message : r.reason) : undefined });
          });
        }
        failedSoFar += failed.length;
        const untouched = batches.slice(b + 1).flatMap((x) => x.hosts);
        if ((failedSoFar * 100) / total > maxFail) {
          emit({ type: "halt", service, host: failed.join(", "), reason, untouched });
          throw new Halt();
        }
        emit({ type: "warning", host: failed.join(", "), message: `${service}: ${failedSoFar} of ${total} hosts failed, within maxFailPercentage ${maxFail}%: going on. ${reason}` });
      }

      // The bootstrap node runs with the bootstrap command until the others joined; now it rejoins normally.
      async function rejoin(bootstrapHost: string, size: number, hold: boolean): Promise<void> {
        const s = sp(bootstrapHost);
        const t = transport(bootstrapHost);
        for (const c of s.desired.containers.filter((x) => x.bootstrapCommand)) {
          const createdStep = s.steps.find((x) => x.kind === "create" && x.container.name === c.name);
          const configHash = createdStep?.kind === "create" ? createdStep.configHash : "";
          const step: Step = { kind: "recreate", container: c, configHash, reason: `${c.name}: leaves the bootstrap command now that the cluster has formed` };
          await runStep(bootstrapHost, step, c.name, async () => {
            await mustExec(t, docker.stop(c.name, c.stopTimeout ?? 60));
            await mustExec(t, docker.remove(c.name));
            await mustExec(t, docker.run(c, { configHash }));
          });
          await gate(bootstrapHost, addressOf(bootstrapHost), s.desired, t, size, emit, undefined, hold);
        }
      }
    }

    const settled = await Promise.allSettled(runs);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === "rejected" && !(r.reason instanceof Halt));
    if (failure) throw failure.reason;
    if (settled.some((r) => r.status === "rejected")) throw new Halt();
  } catch (err) {
    if (!(err instanceof Halt)) throw err;
    for (const r of recap.values()) if (r.changed === 0 && r.failed === 0) r.skipped = true;
    return { ok: false, recap };
  } finally {
    if (!input.state) await flushState(input, state);
  }
  for (const r of recap.values()) r.ok = r.failed === 0 ? 1 : 0;
  return { ok: true, recap };
}

export async function mustExec(t: Transport, argv: string[], stdin?: string): Promise<string> {
  const r = await t.exec(argv, { become: true, stdin, timeoutMs: 300_000 });
  if (r.code !== 0) throw commandFailed(t.host, argv, r);
  return r.stdout;
}

/** The error of a command that exited non-zero: its first words, exit code and last stderr lines. */
function commandFailed(host: string, argv: readonly string[], r: ExecResult): HostError {
  return new HostError(host, `${argv.slice(0, 3).join(" ")} failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
}

/** What a step event needs: a plan step, or an action of the rollout itself (drain, revert). */
export type StepInfo = Step | { kind: "drain" | "revert"; service: string; reason: string };

function serviceOfStep(step: StepInfo): string | undefined {
  if ("service" in step) return step.service;
  if ("file" in step) return step.file.service;
  if ("container" in step && typeof step.container === "object") return step.container.service;
  return undefined;
}

export type RunStep = <T>(host: string, step: StepInfo, target: string, fn: () => Promise<T>) => Promise<T>;

/** Everything one host of a batch needs. */
export interface HostRun {
  host: string;
  address: string;
  sp: ServicePlan;
  t: Transport;
  /** The host's facts before the run (the previous state of what the batch changes). */
  facts: HostFacts | undefined;
  state: Map<string, HostStateFile>;
  runStep: RunStep;
  /** The host's counts of changed and failed steps (runStep keeps them; steps run together count here). */
  recap: HostRecap;
  emit: Emit;
  expectedMembers: number;
  /** HAProxies that may send traffic to this host (empty: none, or the service is HAProxy itself). */
  loadBalancers?: LoadBalancer[];
  /** Whether the host must stay healthy for the role's minHealthy after its gate (its batch stopped running members). */
  hold?: boolean;
}

export { mainContainerOf };

/** One host of a batch: write its files, then (re)create or restart its containers, then pass the gate. */
async function applyServiceOnHost(run: HostRun): Promise<void> {
  const { host, sp, t, state, runStep } = run;
  const hs = state.get(host) ?? {};
  state.set(host, hs);
  hs.containers ??= {};
  let touchedContainers = false;
  let prepared = false;
  let backendsUpBefore: string[] | undefined;
  let lbServers: LbServer[] = [];
  const g = gateOf(sp.desired);
  // Before the first stop of a running member: note what HAProxy serves (for HAProxy's own gate), take the
  // host out of the HAProxies in front of it, and move its work away (RabbitMQ queue leaders and clients).
  const firstStopOfMember = (container: string): boolean =>
    !prepared && container === mainContainerOf(sp.desired) && !!run.facts?.containers.get(container)?.running;
  // Whether that has anything to do (it may, when a load balancer could point at the host):
  const needsPreparation = (container: string): boolean =>
    firstStopOfMember(container) && (g.kind === "haproxy" || !!run.loadBalancers?.length || !!sp.desired.rollout.drain?.length);
  // A restart keeps the container's id: the facts have it (asking again costs a round trip).
  const recordRestart = async (step: RestartStep): Promise<void> => {
    const known = run.facts?.containers.get(step.container)?.id;
    const id = known ?? (await mustExec(t, ["docker", "inspect", "--format", "{{.Id}}", step.container])).trim();
    hs.containers![step.container] = { id, configHash: step.configHash };
  };
  const beforeStop = async (container: string): Promise<void> => {
    if (!firstStopOfMember(container)) return;
    prepared = true;
    if (g.kind === "haproxy") backendsUpBefore = await haproxyBackendsUp(t, container, g.socket);
    else if (run.loadBalancers?.length) {
      const ports = sp.desired.containers.flatMap((c) => c.ports);
      const { servers, unreachable } = await lbServersOf(run.address, ports, run.loadBalancers);
      if (unreachable.length) run.emit({ type: "warning", host, message: `could not ask the load balancer on ${unreachable.join("; ")}: ${host} stays in its rotation until its health checks notice` });
      if (servers.length) {
        const names = [...new Set(servers.map((x) => `${x.proxy}/${x.server}`))].join(", ");
        await runStep(host, { kind: "drain", service: sp.service, reason: `${names} in maintenance on ${[...new Set(servers.map((x) => x.lb.host))].join(", ")} until the gate passes${g.kind === "galera" ? "; transactions in flight finish, then idle connections are closed" : ""}` }, "haproxy", async () => {
          const lacking = await waitForOthersServing(servers, OTHERS_SERVING_TIMEOUT_MS);
          if (lacking.length) run.emit({ type: "warning", host, message: `no other server of ${lacking.join(", ")} serves after ${OTHERS_SERVING_TIMEOUT_MS / 1000} s: ${host} is taken out all the same, and that proxy serves nothing until a server comes back` });
          lbServers = servers;
          const failures = await setLbState(servers, "maint");
          if (failures.length) run.emit({ type: "warning", host, message: `could not take ${failures.join("; ")} out of rotation` });
          // A database keeps its clients' connections open between queries: out of rotation, the node lets the
          // transactions in flight finish, then HAProxy closes the connections left (idle), so that a client
          // reconnects to another node at its next query instead of waiting on this one while it shuts down.
          // Requests HAProxy sent the host before it left the rotation are answered before the service stops
          // (a Keystone token request takes a few hundred milliseconds: one was cut in the e2e without this).
          if (g.kind !== "galera") {
            const busy = await waitForSessionsEnded(servers, SESSIONS_DRAIN_MS);
            if (busy.length) run.emit({ type: "warning", host, message: `requests still in flight after ${SESSIONS_DRAIN_MS / 1000} s on ${busy.join(", ")}: they are cut now` });
          }
          if (g.kind === "galera") {
            const left = await waitForGaleraIdle(t, containerOf(g, sp.desired), GALERA_DRAIN_MS);
            if (left) run.emit({ type: "warning", host, message: `${left} transaction(s) still in flight on ${host} after ${GALERA_DRAIN_MS / 1000} s: their connections are closed now` });
            const unclosed = await shutdownSessions(servers);
            if (unclosed.length) run.emit({ type: "warning", host, message: `could not close the sessions of ${unclosed.join("; ")}` });
          }
        });
      }
    }
    const drain = sp.desired.rollout.drain;
    if (drain?.length) {
      await runStep(host, { kind: "drain", service: sp.service, reason: `${drain.join(" ")} before ${container} stops` }, container, () => mustExec(t, docker.exec(container, drain)));
      drainedContainer = container;
    }
  };
  let drainedContainer: string | undefined;
  try {
    for (let i = 0; i < sp.steps.length; i++) {
      const step = sp.steps[i]!;
      switch (step.kind) {
        case "write": {
          // The writes that follow one another go to the host in one round trip, each with its own step events,
          // and so do the restarts they call for when nothing must happen before those (no drain, no load
          // balancer, not HAProxy itself): a changed host then costs one round trip for files and restarts.
          const writes: WriteStep[] = [step];
          while (sp.steps[i + 1]?.kind === "write") writes.push(sp.steps[++i] as WriteStep);
          const restarts: RestartStep[] = [];
          while (sp.steps[i + 1]?.kind === "restart" && !needsPreparation((sp.steps[i + 1] as RestartStep).container)) restarts.push(sp.steps[++i] as RestartStep);
          if (!restarts.length) {
            await writeFiles(run, writes);
            break;
          }
          const [first, ...others] = restarts.map((r) => r.container);
          const restarted = (await writeFiles(run, writes, docker.restart(first!, ...others)))!;
          if (restarts.some((r) => firstStopOfMember(r.container))) prepared = true;
          for (const r of restarts) {
            await runStep(host, r, r.container, async () => {
              if (restarted.code !== 0) throw commandFailed(host, ["docker", "restart", restarts.map((x) => x.container).join(" ")], restarted);
              await recordRestart(r);
            });
          }
          touchedContainers = true;
          break;
        }
        case "create":
        case "recreate": {
          const c = step.container;
          if (step.kind === "recreate") await beforeStop(c.name);
          await runStep(host, step, c.name, async () => {
            if (step.kind === "recreate") {
              await mustExec(t, docker.stop(c.name, c.stopTimeout));
              await mustExec(t, docker.remove(c.name));
            }
            const id = (await mustExec(t, docker.run(c, { configHash: step.configHash, bootstrap: step.kind === "create" && step.bootstrap }))).trim();
            hs.containers![c.name] = { id, configHash: step.configHash };
          });
          touchedContainers = true;
          break;
        }
        case "restart":
          await beforeStop(step.container);
          await runStep(host, step, step.container, async () => {
            await mustExec(t, docker.restart(step.container));
            await recordRestart(step);
          });
          touchedContainers = true;
          break;
        case "start":
          await runStep(host, step, step.container, () => mustExec(t, docker.start(step.container)));
          touchedContainers = true;
          break;
        case "reload":
          // The file is in place (its write came first); the script reads it from there, in the container.
          // HAProxy's gate then expects the backends that are up now (a reload keeps no server state).
          if (g.kind === "haproxy" && !backendsUpBefore) backendsUpBefore = await haproxyBackendsUp(t, step.container, g.socket);
          try {
            await runStep(host, step, step.container, () => mustExec(t, hotReloadArgv(step)));
          } catch (e) {
            await putBackUnloaded(run, step.container);
            throw e;
          }
          touchedContainers = true;
          break;
        default:
          break;
      }
    }
    if (touchedContainers) await gate(host, run.address, sp.desired, t, run.expectedMembers, run.emit, backendsUpBefore, run.hold ?? true);
    const revive = sp.desired.rollout.revive;
    if (drainedContainer && revive?.length) {
      const r = await t.exec(docker.exec(drainedContainer, revive), { become: true, timeoutMs: 120_000 });
      if (r.code !== 0) run.emit({ type: "warning", host, message: `${revive.join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-1)[0] ?? ""}` });
    }
  } finally {
    // Back in rotation whatever happened: HAProxy's own health checks keep a broken host out.
    if (lbServers.length) {
      const failures = await setLbState(lbServers, "ready");
      if (failures.length) run.emit({ type: "warning", host, message: `could not put ${failures.join("; ")} back in rotation` });
    }
  }
}

type WriteStep = Extract<Step, { kind: "write" }>;
type ReloadStep = Extract<Step, { kind: "reload" }>;

/**
 * After a failed hot reload the container still runs with the old files: the files of this run that it loads
 * by a reload get their previous content back (or go, if new), so that the next run sees them changed and
 * reloads them again, instead of finding them as desired while the container runs the old ones.
 */
async function putBackUnloaded(run: HostRun, container: string): Promise<void> {
  for (const w of run.sp.steps) {
    if (w.kind !== "write" || w.file.hotReload?.container !== container) continue;
    const prev = w.previous;
    const undo = !prev ? run.t.exec(["rm", "-f", "--", w.file.path], { become: true }) : prev.content !== undefined ? run.t.putFile(w.file.path, prev.content, { mode: prev.mode, owner: prev.owner }) : undefined;
    await undo?.catch((e: unknown) => run.emit({ type: "warning", host: run.host, message: `could not put back the previous ${w.file.path}: ${e instanceof Error ? e.message : String(e)}` }));
  }
}

/** docker exec of the hot-reload host script in the container, its args as positional parameters. */
export function hotReloadArgv(step: Pick<ReloadStep, "container" | "script" | "args">): string[] {
  if (!isHostScriptName(step.script) || !step.script.endsWith(".sh")) throw new Error(`unknown host script ${step.script}`);
  return docker.exec(step.container, shScriptArgv(step.script as HostScriptName & `${string}.sh`, step.args));
}

type JobStep = Extract<Step, { kind: "job" }>;

/** How many of its last lines of output a failed job shows. */
const JOB_OUTPUT_LINES = 30;

/** Runs a job's container in the foreground (one left by a run that died is removed first); the caller judges its exit. */
async function runJob(t: Transport, step: JobStep): Promise<ExecResult> {
  await t.exec(docker.remove(docker.jobContainerName(step.service, step.job.name)), { become: true, timeoutMs: 60_000 });
  return t.exec(docker.runJob(step.service, step.job), { become: true, timeoutMs: parseDuration(step.job.timeout) });
}
type RestartStep = Extract<Step, { kind: "restart" }>;

/**
 * Writes the files of consecutive write steps in one putFiles, with a start and an end event per step; `then`
 * runs in the same round trip once they are all in place, and its result is returned.
 */
async function writeFiles(run: HostRun, steps: WriteStep[], then?: string[]): Promise<ExecResult | undefined> {
  if (steps.length === 1 && !then) {
    const { file } = steps[0]!;
    await run.runStep(run.host, steps[0]!, file.path, () => run.t.putFile(file.path, file.content, { mode: file.mode, owner: file.owner }));
    return undefined;
  }
  const started = Date.now();
  const recap = run.recap;
  for (const step of steps) run.emit({ type: "step", host: run.host, service: step.file.service, kind: step.kind, target: step.file.path, reason: step.reason, status: "start" });
  const end = (step: WriteStep, error?: string): void => {
    if (error === undefined) recap.changed++;
    else recap.failed++;
    run.emit({ type: "step", host: run.host, service: step.file.service, kind: step.kind, target: step.file.path, reason: step.reason, status: error === undefined ? "ok" : "failed", ms: Date.now() - started, error });
  };
  let result: ExecResult | undefined;
  try {
    result = await run.t.putFiles(steps.map(({ file }) => ({ path: file.path, content: file.content, opts: { mode: file.mode, owner: file.owner } })), { then });
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    // Files written before the one that failed are in place; the ones after it were never tried.
    const written = new Set(err instanceof PutFilesError ? err.written : []);
    const failed = err instanceof PutFilesError ? err.failed : undefined;
    for (const step of steps) {
      if (written.has(step.file.path)) end(step);
      else end(step, failed === undefined || step.file.path === failed ? error : `not written: ${error}`);
    }
    throw err;
  }
  for (const step of steps) end(step);
  return result;
}

export async function gate(host: string, address: string, svc: DesiredService, t: Transport, expectedMembers: number, emit: Emit, backendsUpBefore?: string[], hold = true): Promise<void> {
  const g = gateOf(svc);
  const name = describeGate(g);
  const res = await waitForGate(g, { transport: t, service: svc, expectedMembers, address, backendsUpBefore }, {
    deadlineMs: deadlineOf(svc),
    holdMs: hold ? parseDuration(svc.rollout.minHealthy ?? "0s") : 0,
    onCheck: (r, elapsedMs) => emit({ type: "gate", host, service: svc.name, gate: name, status: "waiting", elapsedMs, detail: r.detail }),
  });
  emit({ type: "gate", host, service: svc.name, gate: name, status: res.ok ? "passed" : "failed", elapsedMs: res.elapsedMs, detail: res.detail });
  if (!res.ok) {
    const c = svc.containers[0]?.name;
    let tail = "";
    if (c) {
      const r = await t.exec(docker.logs(c, 20), { become: true });
      tail = `\n--- last log lines of ${c} on ${host} ---\n${(r.stdout + r.stderr).trim()}`;
    }
    throw new HostError(host, `gate ${name} of ${svc.name} failed: ${res.detail}${tail}`);
  }
}

async function register(step: Step, input: ApplyInput, state: Map<string, HostStateFile>): Promise<void> {
  if (step.kind !== "register-database" && step.kind !== "register-messaging") return;
  const gateKind = step.kind === "register-database" ? "galera" : "rabbitmq";
  // Run it on a member of the cluster that serves it, even when the run does not deploy that cluster.
  const cluster = input.clusters?.get(gateKind) ?? clusterInDesired(input.desired, gateKind);
  const target = cluster && registrationMember(cluster, input.facts, (h) => input.transports.has(h));
  if (!target) throw new HostError("-", `no ${gateKind} host is reachable to register ${step.service}`);
  const t = input.transports.get(target.host)!;
  const secret = input.secrets[step.passwordSecret];
  const password = typeof secret === "string" ? secret : "";
  if (step.kind === "register-database") await runSql(t, target.container, databaseRegistrationSql(step.name, step.user, password));
  else await registerMessaging(t, target.container, step.vhost, step.user, password);
  const hs = state.get(target.host) ?? {};
  hs.registrations = { ...(hs.registrations ?? {}), [step.stateKey]: step.stateValue };
  state.set(target.host, hs);
}

/**
 * A catalogue entry, registered by the identity service's own command in one of its running containers (the
 * service may be outside this run: `deploy --service placement` registers in the Keystone already deployed).
 */
async function registerCatalog(step: Extract<Step, { kind: "register-catalog" }>, input: ApplyInput, state: Map<string, HostStateFile>): Promise<void> {
  const idp = identityInDesired(input.everyService ?? input.desired);
  if (!idp) throw new HostError("-", `${step.service} has a catalogue entry, but no identity service (a role with identity:, such as keystone) is deployed`);
  const host = registrationMember({ container: idp.identity.container, hosts: idp.hosts }, input.facts, (h) => input.transports.has(h))?.host;
  if (!host) throw new HostError("-", `no ${idp.service} host is reachable to register ${step.service} in its catalogue`);
  const secret = input.secrets[idp.identity.passwordSecret];
  const password = typeof secret === "string" ? secret : "";
  await runCatalogRequest(input.transports.get(host)!, idp.identity, catalogRequest("ensure", idp.identity, password, step.catalog));
  const hs = state.get(host) ?? {};
  hs.registrations = { ...(hs.registrations ?? {}), [step.stateKey]: step.stateValue };
  state.set(host, hs);
}

async function flushState(input: ApplyInput, state: Map<string, HostStateFile>): Promise<void> {
  const results = await forEachHost([...state.entries()], input.forks, async ([host, s]) => {
    const before = JSON.stringify(input.facts.get(host)?.state ?? {});
    const after = JSON.stringify(s);
    const t = input.transports.get(host);
    const h = input.desired.hosts.get(host);
    if (before === after || !t || !h) return;
    await t.putFile(h.stateFile, `${JSON.stringify(s, null, 2)}\n`, { mode: "0600", owner: "root" });
  });
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * The engine's health state is as old as the container's last healthcheck (mariadb's runs every 10 s and needs
 * 3 failures to turn unhealthy, 1 success to turn back): a member that recovered since, a partition healed a
 * moment ago, still reads unhealthy in the facts. Such members (running, unhealthy, with a connection) are
 * asked their service's gate now, as the live guard before each batch asks; those that pass are returned by
 * service, with a warning each, and do not refuse the rollout. A service gated on the healthcheck itself is
 * not asked again: the engine would only repeat its state.
 */
export async function recheckUnhealthy(refusals: QuorumRefusal[], input: Pick<ApplyInput, "desired" | "facts" | "transports" | "emit">, answerMs = MEMBER_ANSWER_MS): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const r of refusals) {
    const serviceOn = (m: string): DesiredService | undefined => input.desired.hosts.get(m)?.services.find((x) => x.name === r.service);
    const candidates = r.degraded.filter((d) => d.running && input.transports.has(d.host) && serviceOn(d.host)).map((d) => d.host);
    const g = candidates.length ? gateOf(serviceOn(candidates[0]!)!) : undefined;
    if (!g || g.kind === "healthcheck") continue;
    const container = mainContainerOf(serviceOn(candidates[0]!)!);
    const members = [...input.desired.hosts.keys()].filter((m) => serviceOn(m));
    const expected = members.filter((m) => container && input.facts.get(m)?.containers.has(container)).length;
    const ctxOf = (m: string): GateContext => ({ transport: input.transports.get(m)!, service: serviceOn(m)!, expectedMembers: expected, address: input.desired.hosts.get(m)!.address });
    const failing = new Set((await membersNotAnswering(candidates, ctxOf, answerMs)).map((l) => l.host));
    const passed = candidates.filter((m) => !failing.has(m));
    for (const m of passed) {
      input.emit({ type: "warning", host: m, message: `${r.service}: the engine still reports ${container} unhealthy from its last healthcheck, but its ${describeGate(g)} gate passes now: counted as healthy` });
    }
    if (passed.length) out.set(r.service, new Set(passed));
  }
  return out;
}

/** How long a member has to answer the quorum guard's check before it counts as lost. */
export const MEMBER_ANSWER_MS = 10_000;

/**
 * Members that fail their service's gate (or do not answer within MEMBER_ANSWER_MS, as a partitioned host
 * does), checked in parallel; a failure is checked once more after a short pause, so that a blip is not a halt.
 */
export async function membersNotAnswering(hosts: string[], ctxOf: (host: string) => GateContext, answerMs = MEMBER_ANSWER_MS): Promise<{ host: string; detail: string }[]> {
  const once = async (host: string): Promise<{ host: string; detail: string } | undefined> => {
    const ctx = ctxOf(host);
    let timer: NodeJS.Timeout | undefined;
    const check = checkGate(gateOf(ctx.service), ctx).catch((err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }));
    const timeout = new Promise<{ ok: false; detail: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${answerMs / 1000} s` }), answerMs);
    });
    const r = await Promise.race([check, timeout]);
    clearTimeout(timer);
    return r.ok ? undefined : { host, detail: `${describeGate(gateOf(ctx.service))}: ${r.detail}` };
  };
  const first = (await Promise.all(hosts.map(once))).filter((x): x is { host: string; detail: string } => !!x);
  if (!first.length) return [];
  await new Promise((r) => setTimeout(r, Math.min(3000, answerMs)));
  return (await Promise.all(first.map((f) => once(f.host)))).filter((x): x is { host: string; detail: string } => !!x);
}

/**
 * The host that holds the VIP, asked of the hosts (one round trip each) only when a service that restarts its
 * holder last (vipLast) restarts members that run now: the schedule puts that host last.
 */
export async function vipHolderOf(plan: Plan, input: Pick<ApplyInput, "desired" | "facts" | "transports" | "hostParams">): Promise<string | undefined> {
  const hosts = new Set<string>();
  for (const hp of plan.hosts.values()) {
    for (const sp of hp.services) {
      const main = mainContainerOf(sp.desired);
      if (sp.desired.rollout.vipLast && main && input.facts.get(hp.host)?.containers.get(main)?.running && sp.steps.some((x) => x.kind === "restart" || x.kind === "recreate")) hosts.add(hp.host);
    }
  }
  if (!hosts.size) return undefined;
  const candidates = [...hosts];
  const vip = input.hostParams?.get(candidates[0]!)?.vip_address;
  if (typeof vip !== "string" || !vip) return undefined;
  return findVipHolder(candidates, vip, (h) => input.transports.get(h));
}

/** A promise with its resolve and reject (Promise.withResolvers, which Node 20 lacks). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
