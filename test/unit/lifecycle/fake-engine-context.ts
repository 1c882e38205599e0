// The EngineContext a lifecycle command gets from the CLI, over fake transports: the flow tests of upgrade and
// rollback drive the real command code with it, and read what it reported from `events`.
import type { RunEvent } from "../../../src/apply/events.js";
import type { EngineContext } from "../../../src/cli/engine-command.js";
import type { HostFacts } from "../../../src/facts/parse.js";
import { RunHold } from "../../../src/lifecycle/run-lock.js";
import type { Project } from "../../../src/model/project.js";
import type { DesiredState } from "../../../src/render/desired.js";
import type { Transport } from "../../../src/transport/index.js";

export function fakeEngineContext(command: string, project: Project, desired: DesiredState, transports: Map<string, Transport>, facts: Map<string, HostFacts>, events: RunEvent[]): EngineContext {
  return {
    command,
    hold: new RunHold(command, desired.hosts.values(), facts),
    project,
    desired,
    session: { transports, facts, unreachable: new Map(), stats: () => new Map(), close: async () => undefined },
    reporter: { emit: (e: RunEvent) => void events.push(e), finish: () => undefined },
    redact: (s: string) => s,
    started: Date.now(),
    opts: { forks: 10 },
  } as unknown as EngineContext;
}
