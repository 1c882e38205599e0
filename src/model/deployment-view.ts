// A deployment as data, for lading serve's API and console: the inventory as resolved (hosts with their address,
// connection settings and groups; groups with their hosts and children), the roles (enabled or not, on which
// groups) and the services each host runs. The same values a run reads; nothing is contacted.
import { listEnvironments, type Project } from "./project.js";
import type { DesiredState } from "../render/desired.js";

export interface DeploymentView {
  dir: string;
  environment?: string;
  environments: string[];
  inventoryFile: string;
  /** lading writes group and host vars into its own YAML inventory only. */
  inventoryEditable: boolean;
  globalsFile: string;
  hosts: { name: string; address: string; connection: string; user: string; port: number; become: boolean; groups: string[]; services: string[] }[];
  groups: { name: string; hosts: string[]; children: string[]; members: string[]; vars: string[] }[];
  roles: { name: string; description: string; enabled: boolean; groups: string[]; dependsOn: string[] }[];
}

export function deploymentView(project: Project, desired: DesiredState): DeploymentView {
  const inv = project.inventory;
  const enabled = new Set(project.enabled.map((r) => r.def.name));
  return {
    dir: project.dir,
    environment: project.environment,
    environments: listEnvironments(project.dir),
    inventoryFile: project.inventoryFile,
    inventoryEditable: inv.format === "yaml",
    globalsFile: project.globalsFile,
    hosts: [...inv.hosts.values()].map((h) => ({
      name: h.name,
      address: h.address,
      connection: h.connection,
      user: h.user,
      port: h.port,
      become: h.become,
      groups: inv.groupsOf(h.name),
      services: desired.hosts.get(h.name)?.services.map((s) => s.name) ?? [],
    })),
    groups: [...inv.groups.values()].map((g) => ({
      name: g.name,
      hosts: g.directHosts,
      children: g.children,
      members: inv.hostsOf(g.name).map((h) => h.name),
      vars: [...g.vars.keys()],
    })),
    roles: project.roles.roles.map((r) => ({ name: r.def.name, description: r.def.description, enabled: enabled.has(r.def.name), groups: r.def.groups, dependsOn: r.def.dependsOn ?? [] })),
  };
}
