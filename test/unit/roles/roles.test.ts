// The shipped roles: schema-valid, self-consistent, logic-less templates that render for a 3-host inventory.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { checkSchema } from "../../../src/model/schema-check.js";
import { readYaml } from "../../../src/model/source.js";
import { loadRoles } from "../../../src/model/roles.js";
import { builtinRolesDir, packageRoot } from "../../../src/paths.js";
import { loadProject, renderProject } from "../../../src/model/project.js";
import type { DesiredState } from "../../../src/render/desired.js";
import { copyDeployment, removeDeployment, writeFakePasswords } from "../model/deployment-fixture.js";
import { loadGlobalParameters, loadShippedRoles } from "./role-fixture.js";
import { checkTemplate, contextShape, stringsIn } from "./template-names.js";

const roles = loadShippedRoles();
const globals = loadGlobalParameters();

/** examples/openstack (examples/lab plus keystone: 3 hosts, VIP 10.98.0.100) rendered by the real renderer with fake secrets. */
let labState: DesiredState | undefined;
function renderedLab(): DesiredState {
  if (!labState) {
    const dir = copyDeployment(join(packageRoot, "examples", "openstack"));
    try {
      writeFakePasswords(dir);
      labState = renderProject(loadProject({ dir }));
    } finally {
      removeDeployment(dir);
    }
  }
  return labState;
}

/** The files of a service on a lab host, by path relative to the service's config directory. */
function rendered(service: string, host = "lab2"): Map<string, string> {
  const svc = renderedLab().hosts.get(host)!.services.find((s) => s.name === service)!;
  return new Map(svc.files.map((f) => [f.path.slice(svc.configDir.length + 1), f.content]));
}

describe("shipped roles", () => {
  it("ships the six services of the contract, and keystone", () => {
    assert.deepEqual(
      roles.map((r) => r.role.name).sort(),
      ["haproxy", "keepalived", "keystone", "mariadb", "memcached", "rabbitmq", "webapp"],
    );
  });

  it("every template of every shipped role compiles (they compile when first rendered, so a test must)", () => {
    const roles = loadRoles([builtinRolesDir]);
    let n = 0;
    for (const role of roles.roles) {
      assert.equal(role.templates.size, new Set([...(role.def.files ?? []), ...(role.def.operatorFiles ?? [])].map((f) => f.template)).size, role.def.name);
      for (const t of role.templates.values()) {
        assert.equal(typeof t.compiled.renderParts, "function", t.file);
        n++;
      }
    }
    assert.ok(n >= 6, `${n} templates`);
  });

  it("roles/global.yaml matches schemas/global.schema.json", () => {
    assert.deepEqual(checkSchema("global.schema.json", readYaml(join(builtinRolesDir, "global.yaml"))), []);
  });

  it("no parameter is declared twice (names are global) and no computed value shadows one", () => {
    const owner = new Map<string, string>(Object.keys(globals).map((n) => [n, "global.yaml"]));
    const clashes: string[] = [];
    for (const r of roles) {
      for (const name of Object.keys(r.role.parameters ?? {})) {
        if (owner.has(name)) clashes.push(`${name}: ${owner.get(name)} and ${r.role.name}`);
        owner.set(name, r.role.name);
      }
    }
    for (const r of roles) {
      for (const name of Object.keys(r.role.computed ?? {})) {
        if (owner.has(name)) clashes.push(`computed ${r.role.name}/${name} shadows a parameter of ${owner.get(name)}`);
      }
    }
    assert.deepEqual(clashes, []);
  });

  it("every global parameter has a default or says it is required", () => {
    const missing = Object.entries(globals)
      .filter(([, spec]) => spec && !("default" in spec) && !/required/i.test(spec.description))
      .map(([name]) => name);
    assert.deepEqual(missing, []);
  });

  for (const r of roles) {
    describe(r.role.name, () => {
      it("matches schemas/role.schema.json", () => {
        assert.deepEqual(checkSchema("role.schema.json", r.source), []);
      });

      it("is in the folder of its name", () => {
        assert.equal(basename(r.dir), r.role.name);
      });

      it("uses exactly the templates it ships", () => {
        const referenced = [...(r.role.files ?? []), ...(r.role.operatorFiles ?? [])].map((f) => f.template).sort();
        const dir = join(r.dir, "templates");
        const shipped = existsSync(dir) ? readdirSync(dir).sort() : [];
        assert.deepEqual(shipped, referenced);
      });

      it("depends only on shipped roles", () => {
        const names = new Set(roles.map((x) => x.role.name));
        assert.deepEqual((r.role.dependsOn ?? []).filter((d) => !names.has(d)), []);
      });

      it("gives every parameter a default or says it is required", () => {
        const missing = Object.entries(r.role.parameters ?? {})
          .filter(([, spec]) => spec && !("default" in spec) && !/required/i.test(spec.description))
          .map(([name]) => name);
        assert.deepEqual(missing, []);
      });

      it("templates are logic-less and read only declared names", () => {
        const shape = contextShape(r, roles, globals);
        const problems = [...(r.role.files ?? []), ...(r.role.operatorFiles ?? [])].flatMap((f) =>
          checkTemplate(readFileSync(join(r.dir, "templates", f.template), "utf8"), shape).map((p) => `${f.template} ${p}`),
        );
        assert.deepEqual(problems, []);
      });

      it("string fields of role.yaml read only declared names", () => {
        const shape = contextShape(r, roles, globals);
        const { parameters: _p, secrets: _s, description: _d, name: _n, ...templated } = r.role;
        const problems = stringsIn(templated).flatMap((s) => checkTemplate(s.text, shape).map((p) => `${s.path} ${p}`));
        assert.deepEqual(problems, []);
      });

      it("files holding secrets are not world-readable (0600 or 0640)", () => {
        const bad = (r.role.files ?? [])
          .filter((f) => readFileSync(join(r.dir, "templates", f.template), "utf8").includes("secrets."))
          .filter((f) => f.mode !== "0600" && f.mode !== "0640")
          .map((f) => `${f.dest}: ${f.mode ?? "0644 (default)"}`);
        assert.deepEqual(bad, []);
      });

      it("declares only secrets it uses, and registrations name its own secrets", () => {
        const texts = (r.role.files ?? []).map((f) => readFileSync(join(r.dir, "templates", f.template), "utf8"));
        const registered = [r.role.database?.passwordSecret, r.role.messaging?.passwordSecret, ...(r.role.keyRepositories ?? []).map((k) => k.secret)].filter(Boolean);
        const unused = Object.keys(r.role.secrets ?? {}).filter(
          (s) => !registered.includes(s) && !texts.some((t) => t.includes(`secrets.${s}`)),
        );
        assert.deepEqual(unused, []);
        const unknown = registered.filter((s) => !(s! in (r.role.secrets ?? {})));
        assert.deepEqual(unknown, []);
      });

      it("restarts only its own containers", () => {
        const containers = Object.keys(r.role.containers ?? {});
        const unknown = (r.role.files ?? []).flatMap((f) => f.restarts ?? []).filter((c) => !containers.includes(c));
        assert.deepEqual(unknown, []);
      });

      it("renders strictly on every lab host with the declared defaults", () => {
        for (const host of ["lab1", "lab2", "lab3"]) {
          const svc = renderedLab().hosts.get(host)!.services.find((s) => s.name === r.role.name)!;
          // A file with `when` renders where its boolean is on: off by default (haproxy.pem, tls_external).
          // A key repository renders one file per key (3 by default).
          const keyFiles = (r.role.keyRepositories ?? []).length * 3;
          assert.equal(svc.files.length, (r.role.files ?? []).filter((f) => f.when === undefined).length + keyFiles);
          for (const f of svc.files) assert.ok(f.content.length > 0);
          for (const c of svc.containers) assert.match(c.image, /^lading\/[a-z]+:1\.\d$/);
        }
      });
    });
  }
});

describe("rendered configs (3 lab hosts)", () => {
  const render = (name: string) => rendered(name);

  it("galera.cnf binds the host address and lists every node in gcomm://", () => {
    const cnf = render("mariadb").get("galera.cnf")!;
    assert.match(cnf, /^bind-address = 10\.98\.0\.12$/m);
    assert.match(cnf, /^wsrep_cluster_address = gcomm:\/\/10\.98\.0\.11:4567,10\.98\.0\.12:4567,10\.98\.0\.13:4567$/m);
    assert.match(cnf, /^wsrep_node_name = lab2$/m);
    assert.match(cnf, /^wsrep_sst_method = rsync$/m);
  });

  it("haproxy.cfg binds the VIP and keeps one active Galera backend", () => {
    const cfg = render("haproxy").get("haproxy.cfg")!;
    assert.match(cfg, /bind 10\.98\.0\.100:3306 transparent/);
    assert.match(cfg, /server lab1 10\.98\.0\.11:3306 check inter 2s rise 2 fall 5\n/);
    assert.match(cfg, /server lab2 10\.98\.0\.12:3306 check inter 2s rise 2 fall 5 backup\n/);
    assert.match(cfg, /option mysql-check user haproxy post-41/);
    assert.match(cfg, /listen webapp[\s\S]*option httpchk GET \/health/);
    assert.match(cfg, /bind 10\.98\.0\.12:1984\n/);
  });

  it("rabbitmq.conf names every node as rabbit@<host>", () => {
    const files = render("rabbitmq");
    const nodes = [...files.get("rabbitmq.conf")!.matchAll(/classic_config\.nodes\.\d+ = (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(nodes, ["rabbit@lab1", "rabbit@lab2", "rabbit@lab3"]);
    assert.match(files.get("rabbitmq-env.conf")!, /^NODENAME=rabbit@lab2$/m);
    assert.doesNotMatch(files.get("erlang.cookie")!, /\n/);
  });

  it("keepalived.conf puts the VIP on the interface with an 8-character password", () => {
    const conf = render("keepalived").get("keepalived.conf")!;
    assert.match(conf, /10\.98\.0\.100\/24 dev eth0/);
    assert.match(conf, /auth_pass \S{8}\n/);
  });

  it("webapp.ini reaches the database on the VIP and RabbitMQ on every node", () => {
    const ini = render("webapp").get("webapp.ini")!;
    assert.match(ini, /^host = 10\.98\.0\.100$/m);
    assert.match(ini, /^hosts = 10\.98\.0\.11:5672,10\.98\.0\.12:5672,10\.98\.0\.13:5672$/m);
  });
});
