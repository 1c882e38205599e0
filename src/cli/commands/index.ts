// Every command, in the order `lading --help` lists them. A command's module (its options, its action and the
// heavy imports behind it: the engine, ssh2, ajv, the lab) is imported only when that command runs or its own
// help is asked for; every other command is registered as its help line alone. Loading every module on every
// start cost about half a second before the first connection of a run.
import type { Command, Help } from "commander";

/** What a command module exports. */
export interface CommandModule {
  register(program: Command): void;
}

/** One module and the help lines of the top-level commands it registers ("term" as commander prints it). */
export interface CommandModuleEntry {
  load: () => Promise<CommandModule>;
  commands: { term: string; description: string }[];
}

// test/unit/cli/lazy-commands.test.ts checks these help lines against what each module registers.
export const COMMAND_MODULES: CommandModuleEntry[] = [
  {
    load: () => import("./validate.js"),
    commands: [{ term: "validate [options]", description: "check the deployment (schemas, rules, full render of every host) without touching any host; every environment unless -e names one" }],
  },
  {
    load: () => import("./deploy.js"),
    commands: [
      { term: "plan [options]", description: "show what deploy would change on each host, with reasons and diffs; exit 0 no changes, 2 changes" },
      { term: "deploy [options]", description: "render, plan and apply: write changed files, pull images, create clusters, (re)start what changed" },
      { term: "reconfigure [options]", description: "apply configuration changes only where they differ; restarts roll as each service declares" },
      { term: "deploy-containers [options]", description: "(re)create and restart containers from what is on the hosts, writing no config files" },
      { term: "pull [options]", description: "pull every service image on every host that lacks it, changing nothing else" },
    ],
  },
  {
    load: () => import("./operate.js"),
    commands: [
      { term: "check [options]", description: "report drift: hosts that differ from the desired state, containers down or unhealthy, images gone; exit 2 on drift" },
      { term: "stop [options]", description: "stop the containers of every service (or --service), in reverse dependency order" },
      { term: "prechecks [options]", description: "check each host is ready: engine present and recent, disk space, clock in sync, address present, ports free" },
    ],
  },
  {
    load: () => import("./ps.js"),
    commands: [
      {
        term: "ps [options]",
        description: "list the containers lading manages on each host: state, health and since when, image and digest, uptime, revision, and whether the host differs from the desired state",
      },
    ],
  },
  {
    load: () => import("./logs.js"),
    commands: [{ term: "logs [options] <service>", description: "show a service's container logs from every host, prefixed by host and merged in time order; -f follows them" }],
  },
  {
    load: () => import("./exec.js"),
    commands: [
      {
        term: "exec [options] <service> <command...>",
        description: "run a command in a service's container: on one host (-it: interactively, on a terminal) or on every host (--all), with each host's exit code",
      },
    ],
  },
  {
    load: () => import("./mariadb-recovery.js"),
    commands: [
      {
        term: "mariadb-recovery [options]",
        description: "after a full Galera outage: bootstrap from the node with the most recent state (grastate seqno or --wsrep-recover), then join the others one by one",
      },
    ],
  },
  {
    load: () => import("./mariadb-backup.js"),
    commands: [
      {
        term: "mariadb-backup [options]",
        description: "back up the Galera cluster with mariabackup on one Synced node (desynced meanwhile, not HAProxy's active one), into its backup volume, with a manifest; --incremental builds on the last backup; --list shows them",
      },
      {
        term: "mariadb-restore [options]",
        description: "restore a backup (the last, or --from ID) onto the Galera cluster: prepare it, stop every node, restore onto the node that took it, bootstrap from it, the others join by SST; shows what it will do and lose, acts only with --yes",
      },
    ],
  },
  {
    load: () => import("./rabbitmq-reset-state.js"),
    commands: [
      {
        term: "rabbitmq-reset-state [options]",
        description: "stop every RabbitMQ node, wipe its cluster state, queues and messages, form the cluster again node by node and register the queue users again",
      },
    ],
  },
  {
    load: () => import("./upgrade.js"),
    commands: [
      {
        term: "upgrade [options]",
        description: "roll out a new release of images (set in globals.yml or with --set): pull everywhere first, version gates, phases, hooks, rolling or offline",
      },
    ],
  },
  {
    load: () => import("./rollback.js"),
    commands: [{ term: "rollback [options]", description: "put back the previous revision of a service (or --to REV) on its hosts, through its rollout policy" }],
  },
  {
    load: () => import("./history.js"),
    commands: [{ term: "history [options]", description: "list the revisions recorded on each host (what rollback can go back to)" }],
  },
  {
    load: () => import("./destroy.js"),
    commands: [{ term: "destroy [options]", description: "remove a service (--service) or everything lading deployed (--all); shows the plan, acts only with --yes" }],
  },
  {
    load: () => import("./prune-images.js"),
    commands: [{ term: "prune-images [options]", description: "remove images of lading's repositories that no container, revision or service needs; --dry-run lists them" }],
  },
  {
    load: () => import("./lock.js"),
    commands: [{ term: "lock", description: "the deploy lock that keeps two runs off the same hosts" }],
  },
  {
    load: () => import("./bootstrap-servers.js"),
    commands: [
      { term: "bootstrap-servers [options]", description: "prepare Debian/Ubuntu hosts: docker.io, daemon.json, /etc/hosts, deploy user with sudo, sysctls, config directory" },
    ],
  },
  {
    load: () => import("./genconfig.js"),
    commands: [
      { term: "genconfig [options]", description: "write every host's config files where they differ, restarting nothing (--local DIR: render into DIR/<host>/... instead)" },
    ],
  },
  {
    load: () => import("./inventory.js"),
    commands: [{ term: "inventory [options]", description: "Show the inventory as lading resolves it: groups, hosts, connection settings and parameters" }],
  },
  {
    load: () => import("./genpwd.js"),
    commands: [{ term: "genpwd [options]", description: "generate every blank secret of passwords.yml; never changes a set one" }],
  },
  {
    load: () => import("./rotate-keys.js"),
    commands: [
      {
        term: "rotate-keys [options] <service>",
        description: "rotate a service's key repositories (Keystone's fernet and credential keys): the staged key becomes the primary on every host, no restart; a token issued before stays valid",
      },
    ],
  },
  {
    load: () => import("./secrets.js"),
    commands: [{ term: "secrets", description: "passwords.yml encrypted at rest with age: make a key, encrypt the file" }],
  },
  {
    load: () => import("./certificates.js"),
    commands: [
      {
        term: "certificates [options]",
        description: "create a private CA and HAProxy's TLS certificate (VIP, tls_external_name and each HAProxy host as SANs) in the deployment's certificates/; keys 0600",
      },
    ],
  },
  {
    load: () => import("./lab.js"),
    commands: [{ term: "lab", description: "A local multi-host test lab: Debian hosts with sshd and Docker, as containers" }],
  },
  {
    load: () => import("./set.js"),
    commands: [
      {
        term: "set [options] <name> [value]",
        description: "set a parameter in globals.yml (or --group/--host vars of the inventory), comments kept, validated before it is written; --unset removes it",
      },
    ],
  },
  {
    load: () => import("./serve.js"),
    commands: [
      {
        term: "serve [options]",
        description: "serve the deployment's HTTP API (OpenAPI at /api/openapi.json) and web console: parameters, validate, edits, plan, runs with a live timeline, history, lock, check",
      },
    ],
  },
  {
    load: () => import("./params.js"),
    commands: [{ term: "params [options] [role]", description: "list the parameters roles read: type, default, constraints, description" }],
  },
  {
    load: () => import("./schemas.js"),
    commands: [{ term: "schemas [options]", description: "write the JSON Schemas of every file a user edits (for editors and CI)" }],
  },
];

const nameOf = (term: string): string => term.split(" ")[0]!;

/**
 * The command a command line runs: its first word that is not an option (commander's own `help <command>` names
 * the command after it). undefined for `lading`, `lading --help`, `lading --version`.
 */
export function commandNameOf(args: string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith("-"));
  return words[0] === "help" ? (words[1] ?? undefined) : words[0];
}

/** Registers every command: in full for the modules listed in `load` ("all" for every one), else as a help line. */
async function registerFrom(program: Command, load: (entry: CommandModuleEntry) => boolean): Promise<void> {
  const modules = await Promise.all(COMMAND_MODULES.map((e) => (load(e) ? e.load() : undefined)));
  const terms = new Map<Command, string>();
  COMMAND_MODULES.forEach((entry, i) => {
    const mod = modules[i];
    if (mod) {
      mod.register(program);
      return;
    }
    for (const c of entry.commands) terms.set(program.command(nameOf(c.term)).description(c.description), c.term);
  });
  if (terms.size === 0) return;
  // A help line stands for a command whose options and arguments were not registered: print it as the module would.
  const defaultTerm = program.createHelp().subcommandTerm.bind(program.createHelp());
  program.configureHelp({ subcommandTerm: (cmd: Command) => terms.get(cmd) ?? defaultTerm(cmd) } as Partial<Help>);
}

/** Registers every command for a run of `args` (process.argv without node and the script): only its module in full. */
export async function registerCommands(program: Command, args: string[]): Promise<void> {
  const name = commandNameOf(args);
  await registerFrom(program, (e) => e.commands.some((c) => nameOf(c.term) === name));
}

/** Registers every command in full (tests, and anything that walks the whole command tree). */
export async function registerAllCommands(program: Command): Promise<void> {
  await registerFrom(program, () => true);
}
