// The desired state lading computes for every host: what files, containers and registrations it wants.
import type { Gate, Rollout } from "../generated/role.js";

export interface DesiredFile {
  service: string;
  /** Absolute path on the host. */
  path: string;
  content: string;
  mode: string;
  owner: string;
  /** Containers of the service that restart when this file changes. */
  restarts: string[];
  /** The template it came from (role-relative), for messages. */
  template: string;
}

export interface DesiredVolume {
  kind: "bind" | "volume";
  source: string;
  target: string;
  readOnly: boolean;
}

export interface DesiredContainer {
  service: string;
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  user?: string;
  environment: Record<string, string>;
  volumes: DesiredVolume[];
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  ulimits: Record<string, { soft: number; hard: number }>;
  sysctls: Record<string, string>;
  tmpfs: string[];
  stopTimeout?: number;
  stopSignal?: string;
  restartPolicy: string;
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
  ports: number[];
  /** The command that starts the first member of a new cluster (Galera), if the role declares one. */
  bootstrapCommand?: string[];
}

export interface DesiredBackend {
  name: string;
  address: string;
  port: number;
  backup: boolean;
}

export interface DesiredLbEntry {
  service: string;
  name: string;
  mode: "tcp" | "http";
  port: number;
  backendPort: number;
  backendGroup: string;
  balance: string;
  activeBackup: boolean;
  /** Flattened for logic-less templates: booleans say which check, strings are "" when unused. */
  check: { http: boolean; mysql: boolean; httpPath: string; mysqlUser: string; inter: string; rise: number; fall: number };
  timeouts: { client: string; server: string };
  backends: DesiredBackend[];
}

export interface DesiredService {
  name: string;
  configDir: string;
  files: DesiredFile[];
  containers: DesiredContainer[];
  database?: { name: string; user: string; passwordSecret: string };
  messaging?: { vhost: string; user: string; passwordSecret: string };
  rollout: Rollout & { gate?: Gate };
  /** The roles this one depends on (role.yaml dependsOn): in a run, it starts after their gates passed. */
  dependsOn: string[];
  /** Whether HAProxy fronts it (role.yaml loadbalancer): its hosts are drained through HAProxy before they stop. */
  loadBalanced: boolean;
}

export interface DesiredHost {
  name: string;
  address: string;
  /** lading's own state file on the host (registrations, config hashes of restarts). */
  stateFile: string;
  services: DesiredService[];
}

/** Everything lading wants, per host, in role dependency order. */
export interface DesiredState {
  hosts: Map<string, DesiredHost>;
}
