// The corpus of invalid deployments: each case patches the valid base deployment
// (test/fixtures/projects/base: hosts n1-n3 at 10.98.0.201-203, every shipped role on all three)
// and lists the exact problems loadProject + renderProject report, files relative to the deployment
// (`<lading>/...` for the package's own roles).
import type { RenderOptions } from "../../../src/model/project.js";
import type { ShownProblem } from "./deployment-fixture.js";

export interface InvalidCase {
  name: string;
  /** Files written over the base (relative to the deployment); null deletes one. passwords.yml is written after the fake one. */
  files?: Record<string, string | null>;
  /** File modes set after writing. */
  modes?: Record<string, number>;
  /** Edits the fake passwords.yml (every declared secret set) before it is written. */
  passwords?: (fake: string) => string;
  /** --limit / --service of the render. */
  render?: RenderOptions;
  problems: ShownProblem[];
}

/** The base inventory with `groups` replaced (hosts n1-n3 kept). */
function inventoryWithGroups(groups: string, hosts = "  n1: {address: 10.98.0.201}\n  n2: {address: 10.98.0.202}\n  n3: {address: 10.98.0.203}\n"): string {
  return `hosts:\n${hosts}groups:\n${groups}`;
}

const ALL_ROLE_GROUPS = ["loadbalancer", "mariadb", "rabbitmq", "memcached", "webapp"];
/** Every role group as a child of control, except those given in `own`. */
function groupsWith(own: Record<string, string>): string {
  const lines = ["  control:\n    hosts: [n1, n2, n3]\n"];
  for (const g of ALL_ROLE_GROUPS) lines.push(own[g] ?? `  ${g}:\n    children: [control]\n`);
  for (const [g, text] of Object.entries(own)) if (!ALL_ROLE_GROUPS.includes(g)) lines.push(text);
  return lines.join("");
}

const GLOBALS = "vip_address: 10.98.0.210\nkeepalived_virtual_router_id: 61\n";

/** A small user role in the deployment's roles/, on the control group; `extra` is appended to role.yaml. */
function userRole(name: string, extra = "", opts: { template?: string; file?: string; container?: string; params?: string } = {}): Record<string, string> {
  const file = opts.file ?? `  - template: ${name}.conf.hbs\n    dest: ${name}.conf\n`;
  return {
    [`roles/${name}/role.yaml`]:
      `name: ${name}\n` +
      `description: A user role of the test.\n` +
      `groups: [control]\n` +
      `parameters:\n` +
      `  ${name}_port: {type: integer, description: Port., default: 7001, format: port}\n` +
      (opts.params ?? "") +
      `containers:\n` +
      `  ${name}:\n` +
      `    image: "lading/${name}:1.0"\n` +
      `    ports: ["{{${name}_port}}"]\n` +
      (opts.container ?? "") +
      `files:\n${file}${extra}`,
    [`roles/${name}/templates/${name}.conf.hbs`]: opts.template ?? `# ${name} on {{host.name}}\nport = {{${name}_port}}\n`,
  };
}

const MARIADB_ROLE = "<lading>/roles/mariadb/role.yaml";
const WEBAPP_ROLE = "<lading>/roles/webapp/role.yaml";

export const INVALID_CASES: InvalidCase[] = [
  // --- Broken YAML, one per file kind ---
  {
    name: "inventory.yml: broken YAML (unclosed flow sequence)",
    files: { "inventory.yml": "hosts:\n  n1: {address: 10.98.0.201}\ngroups:\n  control:\n    hosts: [n1, n2\n" },
    problems: [
      // Placed on the last line of the file (where the sequence is left open), not on the line after it.
      { file: "inventory.yml", line: 5, column: 18, message: "invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]" },
    ],
  },
  {
    name: "globals.yml: broken YAML (tab indentation)",
    files: { "globals.yml": "vip_address: 10.98.0.210\nmariadb:\n\tport: 3306\n" },
    problems: [
      { file: "globals.yml", line: 3, column: 1, message: "invalid YAML: Tabs are not allowed as indentation" },
    ],
  },
  {
    name: "passwords.yml: broken YAML (a key without a colon)",
    passwords: (fake) => fake.replace(/^keepalived_password: /m, "keepalived_password "),
    problems: [
      { file: "passwords.yml", line: 3, column: 1, message: "invalid YAML: Implicit keys need to be on a single line" },
    ],
  },
  {
    name: "role.yaml of a user role: broken YAML (duplicate key)",
    files: { ...userRole("notes"), "roles/notes/role.yaml": "name: notes\ndescription: x\ngroups: [control]\nname: other\n" },
    problems: [
      { file: "roles/notes/role.yaml", line: 4, column: 1, message: "invalid YAML: Map keys must be unique" },
    ],
  },
  {
    name: "override YAML file: broken YAML",
    files: {
      ...userRole("notes", "", { file: "  - template: notes.yml.hbs\n    dest: notes.yml\n    format: yaml\n" }),
      "roles/notes/templates/notes.yml.hbs": "host: {{host.name}}\nport: {{notes_port}}\n",
      "config/notes/notes.yml": "port: [7002\n",
    },
    problems: [
      { file: "config/notes/notes.yml", line: 1, column: 11, message: "invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]" },
    ],
  },

  // --- Wrong types, unknown keys ---
  {
    name: "globals.yml: a port given as a string",
    files: { "globals.yml": `${GLOBALS}mariadb_port: "3306"\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 15, path: "mariadb_port", message: "parameter \"mariadb_port\" must be integer, got the string \"3306\"" },
    ],
  },
  {
    name: "globals.yml: an enable flag given as a string",
    files: { "globals.yml": `${GLOBALS}enable_memcached: "no"\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 19, path: "enable_memcached", message: "parameter \"enable_memcached\" must be boolean, got the string \"no\"" },
    ],
  },
  {
    name: "inventory.yml: unknown key in a host",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({}), "  n1: {address: 10.98.0.201}\n  n2: {adress: 10.98.0.202}\n  n3: {address: 10.98.0.203}\n") },
    problems: [
      { file: "inventory.yml", line: 3, column: 8, path: "hosts/n2/adress", message: "unknown key \"adress\"" },
    ],
  },
  {
    name: "role.yaml of a user role: unknown key",
    files: userRole("notes", "restart_policy: always\n"),
    problems: [
      { file: "roles/notes/role.yaml", line: 13, column: 1, path: "restart_policy", message: "unknown key \"restart_policy\"" },
    ],
  },
  {
    name: "globals.yml: unknown parameter, with a did-you-mean hint",
    files: { "globals.yml": `${GLOBALS}mariadb_prot: 3307\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 1, path: "mariadb_prot", message: "unknown parameter \"mariadb_prot\" (did you mean \"mariadb_port\"?)" },
    ],
  },
  {
    name: "globals.yml: unknown parameter far from every name (no hint)",
    files: { "globals.yml": `${GLOBALS}colour_of_the_sky: blue\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 1, path: "colour_of_the_sky", message: "unknown parameter \"colour_of_the_sky\"" },
    ],
  },
  {
    name: "inventory group vars: unknown parameter",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({ mariadb: "  mariadb:\n    children: [control]\n    vars:\n      mariadb_max_conections: 500\n" })) },
    problems: [
      { file: "inventory.yml", line: 13, column: 31, path: "groups/mariadb/vars/mariadb_max_conections", message: "unknown parameter \"mariadb_max_conections\" (did you mean \"mariadb_max_connections\"?)" },
    ],
  },
  {
    name: "inventory host vars: unknown parameter",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({}), "  n1:\n    address: 10.98.0.201\n    vars: {keepalived_priorty: 150}\n  n2: {address: 10.98.0.202}\n  n3: {address: 10.98.0.203}\n") },
    problems: [
      { file: "inventory.yml", line: 4, column: 32, path: "hosts/n1/vars/keepalived_priorty", message: "unknown parameter \"keepalived_priorty\" (did you mean \"keepalived_priority\"?)" },
    ],
  },
  {
    name: "inventory group vars: a string for an integer",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({ mariadb: "  mariadb:\n    children: [control]\n    vars:\n      mariadb_max_connections: lots\n" })) },
    problems: [
      { file: "inventory.yml", line: 13, column: 32, path: "groups/mariadb/vars/mariadb_max_connections", message: "parameter \"mariadb_max_connections\" must be integer, got the string \"lots\"" },
    ],
  },

  // --- Constraints of typed parameters ---
  {
    name: "globals.yml: port above 65535",
    files: { "globals.yml": `${GLOBALS}mariadb_port: 70000\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 15, path: "mariadb_port", message: "parameter \"mariadb_port\" must be <= 65535" },
    ],
  },
  {
    name: "inventory host vars: port 0",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({}), "  n1:\n    address: 10.98.0.201\n    vars: {rabbitmq_port: 0}\n  n2: {address: 10.98.0.202}\n  n3: {address: 10.98.0.203}\n") },
    problems: [
      { file: "inventory.yml", line: 4, column: 27, path: "hosts/n1/vars/rabbitmq_port", message: "parameter \"rabbitmq_port\" must be >= 1" },
    ],
  },
  {
    name: "inventory host vars: integer below its minimum",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({}), "  n1: {address: 10.98.0.201}\n  n2:\n    address: 10.98.0.202\n    vars: {keepalived_priority: 0}\n  n3: {address: 10.98.0.203}\n") },
    problems: [
      { file: "inventory.yml", line: 5, column: 33, path: "hosts/n2/vars/keepalived_priority", message: "parameter \"keepalived_priority\" must be >= 1" },
    ],
  },
  {
    name: "globals.yml: vip_address not an IPv4 address",
    files: { "globals.yml": "vip_address: 10.98.0.300\nkeepalived_virtual_router_id: 61\n" },
    problems: [
      { file: "globals.yml", line: 1, column: 14, path: "vip_address", message: "parameter \"vip_address\" must match format \"ipv4\"" },
    ],
  },
  {
    name: "globals.yml: a value outside its enum",
    files: { "globals.yml": `${GLOBALS}rabbitmq_partition_handling: pause_all\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 30, path: "rabbitmq_partition_handling", message: "parameter \"rabbitmq_partition_handling\" must be one of \"pause_minority\", \"autoheal\", \"ignore\"" },
    ],
  },
  {
    name: "globals.yml: a value failing its pattern",
    files: { "globals.yml": `${GLOBALS}mariadb_cluster_name: "my cluster!"\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 23, path: "mariadb_cluster_name", message: "parameter \"mariadb_cluster_name\" must match pattern \"^[A-Za-z0-9_-]{1,32}$\"" },
    ],
  },
  {
    name: "globals.yml: image_registry without its trailing slash (pattern)",
    files: { "globals.yml": `${GLOBALS}image_registry: registry.example:5000\n` },
    problems: [
      { file: "globals.yml", line: 3, column: 17, path: "image_registry", message: "parameter \"image_registry\" must match pattern \"^$|/$\"" },
    ],
  },
  {
    name: "globals.yml: a list instead of a map",
    files: { "globals.yml": "- vip_address: 10.98.0.210\n" },
    problems: [
      { file: "globals.yml", line: 1, column: 1, message: "must be a map of parameter names to values" },
    ],
  },

  // --- Inventory shape ---
  {
    name: "inventory: a host in no group",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({}), "  n1: {address: 10.98.0.201}\n  n2: {address: 10.98.0.202}\n  n3: {address: 10.98.0.203}\n  n4: {address: 10.98.0.204}\n") },
    problems: [
      { file: "inventory.yml", line: 5, column: 3, path: "hosts/n4", message: "host \"n4\" is in no group, so it would run nothing" },
    ],
  },
  {
    name: "inventory: a group lists a host that is not defined",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({}).replace("hosts: [n1, n2, n3]", "hosts: [n1, n2, n3, n9]")) },
    problems: [
      { file: "inventory.yml", line: 7, column: 25, path: "groups/control/hosts/3", message: "host \"n9\" is not defined under hosts" },
    ],
  },
  {
    name: "inventory (INI): a bad host range",
    files: { inventory: "[control]\nn[1:3\n\n[loadbalancer:children]\ncontrol\n", "inventory.yml": null },
    problems: [
      { file: "inventory", line: 2, column: 1, path: "[control]/n[1:3", message: "host range in \"n[1\" has no closing \"]\"" },
    ],
  },

  // --- Topology rules ---
  {
    name: "an even Galera group: 2 members",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({ mariadb: "  mariadb:\n    hosts: [n1, n2]\n" })) },
    problems: [
      { file: "inventory.yml", line: 10, column: 3, path: "groups/mariadb", message: "the Galera group \"mariadb\" has 2 members: it needs an odd number, so that a split leaves a majority" },
    ],
  },
  {
    name: "an even Galera group: 4 members",
    files: {
      "inventory.yml": inventoryWithGroups(
        groupsWith({}).replace("hosts: [n1, n2, n3]", "hosts: [n1, n2, n3, n4]"),
        "  n1: {address: 10.98.0.201}\n  n2: {address: 10.98.0.202}\n  n3: {address: 10.98.0.203}\n  n4: {address: 10.98.0.204}\n",
      ),
    },
    problems: [
      { file: "inventory.yml", line: 11, column: 3, path: "groups/mariadb", message: "the Galera group \"mariadb\" has 4 members: it needs an odd number, so that a split leaves a majority" },
    ],
  },
  {
    name: "the group of an enabled role is missing from the inventory",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({ memcached: "" })) },
    problems: [
      { file: "<lading>/roles/memcached/role.yaml", line: 6, column: 10, path: "groups/0", message: "group \"memcached\" of role memcached is not in the inventory <dir>/inventory.yml (set enable_memcached: false to leave the service out)" },
    ],
  },
  {
    name: "the group of an enabled role is empty",
    files: { "inventory.yml": inventoryWithGroups(groupsWith({ memcached: "  memcached:\n    hosts: []\n" })) },
    problems: [
      { file: "inventory.yml", line: 14, column: 3, path: "groups/memcached", message: "group \"memcached\" has no hosts, but role memcached runs on it" },
    ],
  },
  {
    name: "a disabled dependency: enable_mariadb false while webapp is on",
    files: { "globals.yml": `${GLOBALS}enable_mariadb: false\n` },
    problems: [
      { file: "<lading>/roles/webapp/role.yaml", line: 8, column: 13, path: "dependsOn/0", message: "role webapp depends on mariadb, which is disabled" },
      { file: "<lading>/roles/webapp/role.yaml", line: 105, column: 3, path: "database", message: "role webapp registers a database, but no database cluster role (gate galera) is enabled" },
    ],
  },
  {
    name: "vip_address missing while the loadbalancer group has two hosts",
    files: {
      "globals.yml": "keepalived_virtual_router_id: 61\n",
      "inventory.yml": inventoryWithGroups(groupsWith({ loadbalancer: "  loadbalancer:\n    hosts: [n1, n2]\n" })),
    },
    problems: [
      { file: "globals.yml", path: "vip_address", message: "vip_address must be set: haproxy and keepalived run on 2 hosts (keepalived moves the VIP between them)" },
    ],
  },
  {
    name: "vip_address equal to a host's address",
    files: { "globals.yml": "vip_address: 10.98.0.202\nkeepalived_virtual_router_id: 61\n" },
    problems: [
      { file: "globals.yml", line: 1, column: 14, path: "vip_address", message: "vip_address 10.98.0.202 is the address of host n2: the VIP must be a free address" },
    ],
  },

  // --- Roles and templates ---
  {
    name: "a template reads a name nobody declares",
    files: userRole("notes", "", { template: "# notes on {{host.name}}\ncolour = {{notes_colour}}\n" }),
    problems: [
      { file: "roles/notes/templates/notes.conf.hbs", line: 2, column: 12, path: "notes_colour", message: "missing value \"notes_colour\": not a parameter, secret, computed value or context key (rendering for hosts n1, n2, n3)" },
    ],
  },
  {
    name: "a template calls an unknown helper",
    files: userRole("notes", "", { template: "# notes\nname = {{upper host.name}}\n" }),
    problems: [
      { file: "roles/notes/templates/notes.conf.hbs", line: 2, column: 8, path: "upper", message: "template error: unknown helper \"upper\": templates are logic-less (each, if, unless only)" },
    ],
  },
  {
    name: "a template with a syntax error",
    files: userRole("notes", "", { template: "# notes\nport = {{notes_port}}\n{{#each hosts}}\nname = {{name}}\n" }),
    problems: [
      { file: "roles/notes/templates/notes.conf.hbs", line: 3, column: 1, path: "each", message: "template error: {{#each}} is never closed with {{/each}}" },
    ],
  },
  {
    name: "a template file that does not exist",
    files: { ...userRole("notes"), "roles/notes/templates/notes.conf.hbs": null },
    problems: [
      { file: "roles/notes/role.yaml", line: 11, column: 15, path: "files/0/template", message: "template \"notes.conf.hbs\" not found in <dir>/roles/notes/templates" },
    ],
  },
  {
    name: "a secret in a container's environment",
    files: userRole("notes", "secrets:\n  notes_token: {kind: password, description: Token., length: 24}\n", {
      container: '    environment:\n      NOTES_TOKEN: "{{secrets.notes_token}}"\n',
    }),
    problems: [
      { file: "roles/notes/role.yaml", line: 11, column: 20, path: "containers/notes/environment/NOTES_TOKEN", message: "holds a secret: secrets go in config files, never in environment variables" },
    ],
  },
  {
    name: "a secret in a job's command",
    files: userRole("notes", "secrets:\n  notes_token: {kind: password, description: Token., length: 24}\njobs:\n  - name: migrate\n    command: [notes, migrate, \"{{secrets.notes_token}}\"]\n"),
    problems: [
      { file: "roles/notes/role.yaml", line: 17, column: 14, path: "jobs/0/command", message: "holds a secret: a job reads secrets from its mounted config files, never from its command line" },
    ],
  },
  {
    name: "a job naming a container the role does not have",
    files: userRole("notes", "jobs:\n  - {name: migrate, container: nope, command: [notes]}\n"),
    problems: [
      { file: "roles/notes/role.yaml", line: 14, column: 32, path: "jobs/0/container", message: "no container \"nope\" in this role" },
    ],
  },
  {
    name: "a file holding a secret with mode 0644",
    files: userRole("notes", "secrets:\n  notes_token: {kind: password, description: Token., length: 24}\n", {
      template: "# notes\ntoken = {{secrets.notes_token}}\n",
    }),
    problems: [
      { file: "roles/notes/role.yaml", line: 11, column: 5, path: "files/0/mode", message: "\"notes.conf.hbs\" holds a secret, so its mode must be 0600 or 0640, not 0644" },
    ],
  },
  {
    name: "two services bind the same port on one host",
    files: { "globals.yml": `${GLOBALS}memcached_port: 3306\n` },
    problems: [
      // Blamed where the user set the port, with the other side second.
      { file: "globals.yml", line: 3, column: 17, path: "memcached_port", message: "port 3306 of memcached/memcached is also bound by mariadb/mariadb on host n1 (<lading>/roles/mariadb/role.yaml:87)" },
    ],
  },
  {
    name: "a dependency cycle between two user roles",
    files: {
      ...userRole("alpha", "dependsOn: [beta]\n"),
      ...userRole("beta", "dependsOn: [alpha]\n"),
      "globals.yml": `${GLOBALS}beta_port: 7002\n`,
    },
    problems: [
      { file: "roles/alpha/role.yaml", line: 13, column: 12, path: "dependsOn", message: "dependency cycle: alpha -> beta -> alpha" },
    ],
  },
  {
    name: "a parameter declared by two roles",
    files: userRole("notes", "", { params: "  mariadb_port: {type: integer, description: Another port., default: 3307}\n" }),
    problems: [
      { file: "roles/notes/role.yaml", line: 6, column: 3, path: "parameters/mariadb_port", message: "parameter \"mariadb_port\" is already declared by mariadb (<lading>/roles/mariadb/role.yaml)" },
    ],
  },
  {
    name: "a user role depends on a role that does not exist",
    files: userRole("notes", "dependsOn: [redis]\n"),
    problems: [
      { file: "roles/notes/role.yaml", line: 13, column: 13, path: "dependsOn/0", message: "unknown role \"redis\"" },
    ],
  },
  {
    name: "a user role whose name is not its folder's",
    files: { ...userRole("notes"), "roles/notes/role.yaml": userRole("memo")["roles/memo/role.yaml"]!.replace("template: memo.conf.hbs", "template: notes.conf.hbs") },
    problems: [
      { file: "roles/notes/role.yaml", line: 1, column: 7, path: "name", message: "role name \"memo\" must equal its folder name \"notes\"" },
    ],
  },
  {
    name: "a computed value named like a parameter",
    files: userRole("notes", "computed:\n  mariadb_port: {kind: firstHost, group: control}\n"),
    problems: [
      { file: "roles/notes/role.yaml", line: 14, column: 3, path: "computed/mariadb_port", message: "computed value \"mariadb_port\" has the name of a parameter" },
    ],
  },

  // --- Secrets ---
  {
    name: "passwords.yml: a blank secret (not generated)",
    passwords: (fake) => fake.replace(/^keepalived_password: .*$/m, "keepalived_password:"),
    problems: [
      { file: "passwords.yml", line: 3, column: 21, path: "keepalived_password", message: "not generated: run lading genpwd" },
    ],
  },
  {
    name: "passwords.yml: mode 0644",
    modes: { "passwords.yml": 0o644 },
    problems: [
      { file: "passwords.yml", message: "mode 0644 lets others read these secrets: run chmod 600 <dir>/passwords.yml" },
    ],
  },
  {
    name: "passwords.yml: missing",
    files: { "passwords.yml": null },
    problems: [
      { file: "passwords.yml", message: "file not found: run lading genpwd to create it" },
    ],
  },
  {
    name: "passwords.yml: a secret shorter than 8 characters",
    passwords: (fake) => fake.replace(/^rabbitmq_password: .*$/m, 'rabbitmq_password: "short"'),
    problems: [
      { file: "passwords.yml", line: 15, column: 20, path: "rabbitmq_password", message: "shorter than 8 characters; blank it and run lading genpwd, or set a longer value" },
    ],
  },

  // --- Operator overrides ---
  {
    name: "an INI override that cannot be parsed",
    files: { "config/mariadb/galera.cnf": "[mysqld\nmax_allowed_packet = 64M\n" },
    problems: [
      { file: "config/mariadb/galera.cnf", line: 1, column: 1, message: "invalid section header: expected [name]" },
      { file: "config/mariadb/galera.cnf", line: 2, column: 1, message: "option \"max_allowed_packet\" before any [section]" },
    ],
  },
  {
    name: "an override for an unknown service",
    files: { "config/mysql/galera.cnf": "[mysqld]\nmax_allowed_packet = 64M\n" },
    problems: [
      { file: "config/mysql/galera.cnf", message: "override for unknown service \"mysql\"" },
    ],
  },
  {
    name: "an override matching no rendered file",
    files: { "config/mariadb/my.cnf": "[mysqld]\nmax_allowed_packet = 64M\n" },
    problems: [
      { file: "config/mariadb/my.cnf", message: "override matches no file of service mariadb (it renders: galera.cnf)" },
    ],
  },
  {
    name: "a host override for a host that is not in the inventory",
    files: { "config/mariadb/n7/galera.cnf": "[mysqld]\nmax_allowed_packet = 64M\n" },
    problems: [
      { file: "config/mariadb/n7/galera.cnf", message: "override for host \"n7\", which is not in the inventory" },
    ],
  },

  // --- Render options ---
  {
    name: "--limit matching no host",
    render: { limit: "db*" },
    problems: [
      { file: "--limit", message: "\"db*\" matches no host or group" },
    ],
  },
  {
    name: "--service naming no role",
    render: { services: ["mysql"] },
    problems: [
      { file: "--service", message: "unknown service \"mysql\"" },
    ],
  },
  {
    name: "--service naming a disabled role",
    files: { "globals.yml": `${GLOBALS}enable_memcached: false\n` },
    render: { services: ["memcached"] },
    problems: [
      { file: "--service", message: "service \"memcached\" is disabled (enable_memcached)" },
    ],
  },
];

void MARIADB_ROLE;
void WEBAPP_ROLE;
