// Small builders of desired state and facts for planner tests.
import { createHash } from "node:crypto";
import { run, LABEL } from "../../../src/docker/commands.js";
import type { ContainerFact, FileFact, HostFacts } from "../../../src/facts/parse.js";
import type { DesiredContainer, DesiredFile, DesiredService, DesiredState } from "../../../src/render/desired.js";

export function container(service: string, name: string, over: Partial<DesiredContainer> = {}): DesiredContainer {
  return {
    service,
    name,
    image: `lading/${service}:1.0`,
    command: undefined,
    environment: {},
    volumes: [{ kind: "bind", source: `/etc/lading/${service}`, target: `/etc/${service}`, readOnly: true }],
    privileged: false,
    capAdd: [],
    capDrop: [],
    ulimits: {},
    sysctls: {},
    tmpfs: [],
    restartPolicy: "unless-stopped",
    ports: [],
    ...over,
  };
}

export function file(service: string, name: string, content: string, over: Partial<DesiredFile> = {}): DesiredFile {
  return { service, path: `/etc/lading/${service}/${name}`, content, mode: "0644", owner: "root", restarts: [service], template: `${name}.hbs`, ...over };
}

export function service(name: string, files: DesiredFile[], containers: DesiredContainer[], over: Partial<DesiredService> = {}): DesiredService {
  return { name, configDir: `/etc/lading/${name}`, files, containers, rollout: {}, dependsOn: [], loadBalanced: false, ...over };
}

export function state(hosts: Record<string, DesiredService[]>): DesiredState {
  return {
    hosts: new Map(
      Object.entries(hosts).map(([name, services], i) => [name, { name, address: `10.0.0.${i + 1}`, stateFile: "/etc/lading/.lading/state.json", services }]),
    ),
  };
}

export const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

export function fileFact(content: string, mode = "0644", owner = "root:root"): FileFact {
  return { exists: true, mode, owner, ownerIds: "0:0", size: content.length, sha256: sha(content), content: Buffer.from(content) };
}

/** A running container exactly as lading would have created it from `c` with `configHash`. */
export function runningFact(c: DesiredContainer, configHash: string, over: Partial<ContainerFact> = {}): ContainerFact {
  const argv = run(c, { configHash });
  const labels: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) if (argv[i] === "--label") {
    const [k, ...v] = argv[i + 1]!.split("=");
    labels[k!] = v.join("=");
  }
  return { name: c.name, id: `id-${c.name}`, imageId: `sha256:${c.image}`, imageRef: c.image, labels, status: "running", running: true, startedAt: "2026-01-01T00:00:00Z", restartCount: 0, ...over };
}

export function facts(over: Partial<HostFacts> = {}): HostFacts {
  return { engineReachable: true, files: new Map(), images: new Map(), containers: new Map(), volumes: new Set(), state: {}, ...over };
}

export function withImages(f: HostFacts, ...refs: string[]): HostFacts {
  for (const r of refs) f.images.set(r, { id: `sha256:${r}`, repoTags: [r], repoDigests: [] });
  return f;
}

export { LABEL };
