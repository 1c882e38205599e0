// The Ansible variables that describe how to reach a host, and the typed field each one becomes.
import type { ConnectionField } from "./inventory.js";

/** Ansible connection variables (and their legacy `ansible_ssh_*` spellings) lading maps to typed fields. */
export const CONNECTION_VARS: ReadonlyMap<string, ConnectionField> = new Map<string, ConnectionField>([
  ["ansible_host", "address"],
  ["ansible_ssh_host", "address"],
  ["ansible_user", "user"],
  ["ansible_ssh_user", "user"],
  ["ansible_port", "port"],
  ["ansible_ssh_port", "port"],
  ["ansible_ssh_private_key_file", "key"],
  ["ansible_private_key_file", "key"],
  ["ansible_connection", "connection"],
  ["ansible_become", "become"],
]);

/** The Ansible variable `inventoryToAnsibleList` writes for each typed field. */
export const ANSIBLE_NAME_OF_FIELD: Readonly<Record<Exclude<ConnectionField, "knownHosts">, string>> = {
  address: "ansible_host",
  user: "ansible_user",
  port: "ansible_port",
  key: "ansible_ssh_private_key_file",
  connection: "ansible_connection",
  become: "ansible_become",
};

/** Ansible's group ordering variable: consumed by resolution, never a parameter. */
export const GROUP_PRIORITY_VAR = "ansible_group_priority";

export function isAnsibleVar(name: string): boolean {
  return name.startsWith("ansible_");
}
