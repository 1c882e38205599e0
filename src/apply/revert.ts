// onFailure: revert. A failed batch gets back what it ran before the run: the files' previous content,
// mode and owner, and the previous container (its spec from the lading.spec label, its image by id when
// the tag has moved since), then it must pass the gate again.
import * as docker from "../docker/commands.js";
import { HostError } from "../errors.js";
import type { Step } from "../plan/plan.js";
import { gate, hotReloadArgv, mustExec, type HostRun } from "./apply.js";

/** The commands that put one host's service back as it was; throws when something cannot be reverted. */
export async function revertHost(run: HostRun): Promise<void> {
  const { host, sp, t, state, runStep } = run;
  const hs = state.get(host) ?? {};
  state.set(host, hs);
  hs.containers ??= {};
  const revert = (reason: string) => ({ kind: "revert" as const, service: sp.service, reason });
  let touchedContainers = false;

  for (const step of sp.steps) {
    if (step.kind !== "write") continue;
    const prev = step.previous;
    if (!prev) {
      await runStep(host, revert("did not exist before the run"), step.file.path, () => mustExec(t, ["rm", "-f", "--", step.file.path]));
    } else if (prev.content === undefined) {
      throw new HostError(host, `cannot revert ${step.file.path}: its previous content was too big to keep`);
    } else {
      const content = prev.content;
      await runStep(host, revert("previous content"), step.file.path, () => t.putFile(step.file.path, content, { mode: prev.mode, owner: prev.owner }));
    }
  }

  for (const step of sp.steps) {
    // A hot-reloaded file is back as it was: load it again, still without a restart.
    if (step.kind === "reload") await runStep(host, revert("reload the previous file"), step.container, () => mustExec(t, hotReloadArgv(step)));
    await revertContainerStep(run, step, revert);
    if (step.kind === "restart" || step.kind === "recreate" || step.kind === "create") touchedContainers = true;
  }
  if (touchedContainers && sp.steps.some((s) => s.kind === "restart" || s.kind === "recreate")) {
    await gate(host, run.address, sp.desired, t, run.expectedMembers, run.emit);
  }
}

async function revertContainerStep(run: HostRun, step: Step, revert: (reason: string) => { kind: "revert"; service: string; reason: string }): Promise<void> {
  const { host, t, runStep } = run;
  const hs = run.state.get(host)!;
  switch (step.kind) {
    case "restart":
      // The previous files are back: a restart makes the container read them again.
      await runStep(host, revert("restart with the previous config"), step.container, async () => {
        await mustExec(t, docker.restart(step.container));
        const id = (await mustExec(t, ["docker", "inspect", "--format", "{{.Id}}", step.container])).trim();
        hs.containers![step.container] = { id, configHash: step.previousConfigHash ?? "" };
      });
      break;
    case "recreate": {
      const prev = step.previous;
      if (!prev) throw new HostError(host, `cannot revert ${step.container.name}: its previous spec is unknown (no readable lading.spec label)`);
      // The tag may point to a new image by now: run the image the container ran before, by id.
      const tagged = run.facts?.images.get(prev.container.image)?.id;
      const container = tagged === prev.imageId || !prev.imageId ? prev.container : { ...prev.container, image: prev.imageId };
      await runStep(host, revert("previous container spec and image"), step.container.name, async () => {
        // A clean stop first: a database saves its state on shutdown (Galera's grastate.dat).
        await t.exec(docker.stop(step.container.name, step.container.stopTimeout), { become: true, timeoutMs: 300_000 });
        await mustExec(t, docker.remove(step.container.name));
        const id = (await mustExec(t, docker.run(container, { configHash: prev.configHash }))).trim();
        hs.containers![step.container.name] = { id, configHash: prev.configHash };
      });
      break;
    }
    case "create":
      // Nothing ran before: the new container goes.
      await runStep(host, revert("did not exist before the run"), step.container.name, () => mustExec(t, docker.remove(step.container.name)));
      delete hs.containers![step.container.name];
      break;
    default:
      break;
  }
}
