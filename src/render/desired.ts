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
  /** How a change reaches the running container without a restart (role.yaml files[].hotReload). */
  hotReload?: HotReload;
}

/** A host script run in the container (docker exec) that loads a changed file; its args never hold the content. */
export interface HotReload {
  container: string;
  script: string;
  args: string[];
  /** What the plan says, after the service name: "certificate renewed, hot reload". */
  says: string;
  /** It reloads the container's whole configuration: the container's other hot reloads are not needed. */
  full?: boolean;
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
  /** mode is http (for logic-less templates). */
  http: boolean;
  port: number;
  backendPort: number;
  backendGroup: string;
  balance: string;
  activeBackup: boolean;
  /** Flattened for logic-less templates: booleans say which check, strings are "" when unused. */
  check: { http: boolean; mysql: boolean; httpPath: string; mysqlUser: string; inter: string; rise: number; fall: number };
  timeouts: { client: string; server: string };
  /** HAProxy terminates TLS on this frontend (tls_external, HTTP frontends). */
  tls: boolean;
  /** Plain HTTP on the frontend's port is redirected to HTTPS (tls_redirect). */
  tlsRedirect: boolean;
  /** HAProxy connects to the backends with TLS (tls_internal), verifying them against the CA. */
  backendTls: boolean;
  backends: DesiredBackend[];
}

/** A one-off container the service runs on its first host before its containers start (role.yaml jobs). */
export interface DesiredJob {
  name: string;
  /** The container whose image, environment, user and mounts the job takes. */
  container: DesiredContainer;
  command: string[];
  /** Absolute paths of the files whose content is an input of the job. */
  inputs: string[];
  timeout: string;
}

/** A service and its endpoints as the identity service's catalogue should hold them. */
export interface CatalogEntry {
  name: string;
  type: string;
  description: string;
  /** URL by interface (public, internal, admin). */
  endpoints: Record<string, string>;
}

/** How catalog entries are registered: a command run in a running container of the identity service. */
export interface IdentityProvider {
  container: string;
  command: string[];
  url: string;
  user: string;
  project: string;
  domain: string;
  passwordSecret: string;
  region: string;
}

export interface DesiredService {
  name: string;
  configDir: string;
  files: DesiredFile[];
  containers: DesiredContainer[];
  database?: { name: string; user: string; passwordSecret: string };
  /** In declaration order. */
  jobs?: DesiredJob[];
  /** Files for the operator in the deployment folder (role.yaml operatorFiles), as rendered for this host. */
  operatorFiles?: { dest: string; content: string }[];
  messaging?: { vhost: string; user: string; passwordSecret: string };
  /** Its entry in the identity service's catalogue (role.yaml catalog:), rendered for this host. */
  catalog?: CatalogEntry;
  /** It is the identity service the catalog entries are registered in (role.yaml identity:). */
  identity?: IdentityProvider;
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
