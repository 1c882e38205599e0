// Typed parameters: every kind of wrong value gets its message, "did you mean" finds the near name, and a
// value set at several levels resolves as default < globals.yml < parent group < child group < host vars.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../run-cli.js";
import type { Parameter } from "../../../src/generated/role.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import { closestName, parameterValueError } from "../../../src/model/params.js";
import { packageRoot } from "../../../src/paths.js";
import { copyDeployment, removeDeployment, writeDeploymentFile, writeFakePasswords } from "./deployment-fixture.js";

const d = (decl: Partial<Parameter> & Pick<Parameter, "type">): Parameter => ({ description: "test", ...decl });

describe("parameterValueError", () => {
  const cases: [string, Parameter, unknown, string | undefined][] = [
    ["an integer", d({ type: "integer" }), 42, undefined],
    ["a string for an integer", d({ type: "integer" }), "42", 'must be integer, got the string "42"'],
    ["a float for an integer", d({ type: "integer" }), 4.5, "must be integer, got number 4.5"],
    ["null for a non-nullable string", d({ type: "string" }), null, "must be string, got null"],
    ["null for a nullable string", d({ type: "string", nullable: true }), null, undefined],
    ["a list for a string", d({ type: "string" }), ["a"], "must be string, got an array"],
    ["a string for a boolean", d({ type: "boolean" }), "yes", 'must be boolean, got the string "yes"'],
    ["a port", d({ type: "integer", format: "port" }), 65535, undefined],
    ["port 0", d({ type: "integer", format: "port" }), 0, "must be >= 1"],
    ["port 65536", d({ type: "integer", format: "port" }), 65536, "must be <= 65535"],
    ["a port under a declared minimum", d({ type: "integer", format: "port", minimum: 1024 }), 80, "must be >= 1024"],
    ["a declared maximum", d({ type: "integer", maximum: 254 }), 255, "must be <= 254"],
    ["an enum value", d({ type: "string", enum: ["a", "b"] }), "b", undefined],
    ["outside the enum", d({ type: "string", enum: ["a", "b"] }), "c", 'must be one of "a", "b"'],
    ["a pattern match", d({ type: "string", pattern: "^[0-9]+[KMG]$" }), "256M", undefined],
    ["a pattern miss", d({ type: "string", pattern: "^[0-9]+[KMG]$" }), "256MB", 'must match pattern "^[0-9]+[KMG]$"'],
    ["an IPv4 address", d({ type: "string", format: "ipv4" }), "10.98.0.100", undefined],
    ["a bad IPv4 address", d({ type: "string", format: "ipv4" }), "10.98.0.256", 'must match format "ipv4"'],
    ["a duration", d({ type: "string", format: "duration" }), "1h30m", undefined],
    ["a bad duration", d({ type: "string", format: "duration" }), "5 minutes", 'must match format "duration"'],
    ["a CIDR", d({ type: "string", format: "cidr" }), "10.98.0.0/24", undefined],
    ["a bad CIDR", d({ type: "string", format: "cidr" }), "10.98.0.0/33", 'must match format "cidr"'],
    ["a too short string", d({ type: "string", minLength: 3 }), "ab", "must NOT have fewer than 3 characters"],
    ["an array item of the wrong type", d({ type: "array", items: { type: "string" } }), ["a", 2], "1: must be string, got number 2"],
    ["a map field of the wrong type", d({ type: "object", properties: { size: { type: "integer" } } }), { size: "big" }, 'size: must be integer, got the string "big"'],
  ];
  for (const [name, decl, value, expected] of cases) {
    it(`${name}: ${JSON.stringify(value)} -> ${expected ?? "accepted"}`, () => {
      assert.equal(parameterValueError(decl, value), expected);
    });
  }
});

describe("closestName", () => {
  const names = ["mariadb_port", "mariadb_max_connections", "rabbitmq_port", "vip_address", "keepalived_priority"];
  for (const [name, expected] of [
    ["mariadb_prot", "mariadb_port"],
    ["mariadb_max_conections", "mariadb_max_connections"],
    ["vip_adress", "vip_address"],
    ["rabbitmq_port", "rabbitmq_port"],
    ["colour_of_the_sky", undefined],
    ["port", undefined],
  ] as const) {
    it(`${name} -> ${expected ?? "no hint"}`, () => assert.equal(closestName(name, names), expected));
  }
});

describe("parameter precedence", function () {
  this.timeout(20000);
  let dir: string;
  before(() => {
    dir = copyDeployment();
    writeDeploymentFile(
      dir,
      "inventory.yml",
      [
        "hosts:",
        "  n1: {address: 10.98.0.201, vars: {mariadb_max_connections: 400}}",
        "  n2: {address: 10.98.0.202}",
        "  n3: {address: 10.98.0.203}",
        "  n4: {address: 10.98.0.204}",
        "groups:",
        "  control:",
        "    hosts: [n1, n2]",
        "    vars: {mariadb_max_connections: 200}",
        "  mariadb:",
        "    hosts: [n3]",
        "    children: [control]",
        "    vars: {mariadb_max_connections: 100}",
        "  loadbalancer:",
        "    hosts: [n4]",
        "",
      ].join("\n"),
    );
    writeDeploymentFile(dir, "globals.yml", "vip_address: 10.98.0.210\nmariadb_max_connections: 900\nenable_rabbitmq: false\nenable_memcached: false\nenable_webapp: false\n");
    writeFakePasswords(dir);
  });
  after(() => removeDeployment(dir));

  it("host vars > child group vars > parent group vars > globals.yml > default", () => {
    const project = loadProject({ dir });
    const value = (host: string, name: string): unknown => project.hostParams.get(host)![name];
    assert.equal(value("n1", "mariadb_max_connections"), 400); // host vars
    assert.equal(value("n2", "mariadb_max_connections"), 200); // control, a child of mariadb
    assert.equal(value("n3", "mariadb_max_connections"), 100); // mariadb only
    assert.equal(value("n4", "mariadb_max_connections"), 900); // globals.yml
    assert.equal(value("n4", "mariadb_port"), 3306); // the role's default
  });

  it("the inventory names where each host's winning value was set, as `lading inventory --host` shows it", () => {
    const project = loadProject({ dir });
    const source = (host: string): string | undefined => {
      const v = project.inventory.hosts.get(host)!.vars.get("mariadb_max_connections");
      return v && `${v.source.line}:${v.source.path}`;
    };
    assert.equal(source("n1"), "2:hosts/n1/vars/mariadb_max_connections");
    assert.equal(source("n2"), "9:groups/control/vars/mariadb_max_connections");
    assert.equal(source("n3"), "13:groups/mariadb/vars/mariadb_max_connections");
    assert.equal(source("n4"), undefined);
  });

  it("the resolved value is what the host's galera.cnf gets", () => {
    const state = renderProject(loadProject({ dir }));
    const maxConnections = (host: string): string | undefined => {
      const galera = state.hosts.get(host)!.services.find((s) => s.name === "mariadb")!.files[0]!.content;
      return /^max_connections = (\d+)$/m.exec(galera)?.[1];
    };
    assert.deepEqual(["n1", "n2", "n3"].map(maxConnections), ["400", "200", "100"]);
    assert.equal(state.hosts.get("n4")!.services.some((s) => s.name === "mariadb"), false);
  });
});

describe("lading params", () => {
  const run = runCli;

  it("lists a role's parameter with its type, constraints, default and description", async () => {
    const { code, out } = await run(["params", "mariadb", "-d", join(packageRoot, "examples", "lab")]);
    assert.equal(code, 0);
    const lines = out.split("\n");
    const at = lines.indexOf("  mariadb_port  integer [port, 1..65535]  default 3306");
    assert.ok(at >= 0, out);
    assert.equal(lines[at + 1], "      MySQL protocol port, on each host's address and on the VIP (HAProxy's frontend).");
    assert.ok(lines.includes("  enable_mariadb  boolean  default true"));
    assert.ok(!out.includes("rabbitmq_port"), "only the asked role's parameters");
  });

  it("--json gives each parameter's declaration with its role", async () => {
    const { code, out } = await run(["params", "global", "--json", "-d", join(packageRoot, "examples", "lab")]);
    assert.equal(code, 0);
    const params = JSON.parse(out) as { name: string; role: string; type: string; default?: unknown; nullable?: boolean; format?: string }[];
    const vip = params.find((p) => p.name === "vip_address");
    assert.deepEqual({ role: vip?.role, type: vip?.type, default: vip?.default, nullable: vip?.nullable, format: vip?.format }, {
      role: "global",
      type: "string",
      default: null,
      nullable: true,
      format: "ipv4",
    });
  });

  it("an unknown role is a usage error naming the roles", async () => {
    const { code, err } = await run(["params", "mysql", "-d", join(packageRoot, "examples", "lab")]);
    assert.equal(code, 64);
    assert.match(err, /unknown role "mysql"; roles: global, .*mariadb/);
  });
});
