// The example deployments agree with the shipped roles: every secret listed blank, only declared parameters.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readYaml } from "../../../src/model/source.js";
import { packageRoot } from "../../../src/paths.js";
import { loadGlobalParameters, loadShippedRoles } from "./role-fixture.js";

const shipped = loadShippedRoles();
const declaredParameters = new Set([
  ...Object.keys(loadGlobalParameters()),
  ...shipped.flatMap((r) => Object.keys(r.role.parameters ?? {})),
  ...shipped.map((r) => `enable_${r.role.name.replace(/-/g, "_")}`),
]);

for (const example of ["lab", "all-in-one", "openstack"]) {
  const dir = join(packageRoot, "examples", example);
  // The roles the example deploys: enable_<role> in its globals.yml, else the role's enabledByDefault.
  const globals = (readYaml(join(dir, "globals.yml")).value() ?? {}) as Record<string, unknown>;
  const roles = shipped.filter((r) => (globals[`enable_${r.role.name.replace(/-/g, "_")}`] ?? r.role.enabledByDefault ?? true) === true);
  const declaredSecrets = roles.flatMap((r) => Object.keys(r.role.secrets ?? {})).sort();
  const roleGroups = new Set(roles.flatMap((r) => r.role.groups));

  describe(`examples/${example}`, () => {
    it("passwords.yml lists every declared secret, blank", () => {
      const passwords = readYaml(join(dir, "passwords.yml")).value() as Record<string, unknown>;
      assert.deepEqual(Object.keys(passwords).sort(), declaredSecrets);
      assert.deepEqual(Object.values(passwords).filter((v) => v !== null), []);
    });

    it("globals.yml sets only declared parameters and names its schema", () => {
      const file = join(dir, "globals.yml");
      assert.match(readFileSync(file, "utf8"), /^# yaml-language-server: \$schema=\S+/);
      const values = readYaml(file).value() as Record<string, unknown>;
      assert.deepEqual(Object.keys(values).filter((k) => !declaredParameters.has(k)), []);
      assert.match(String(values["vip_address"]), /^10\.98\.0\.10\d$/);
    });

    it("inventory.yml has a group for every role, and every group member exists", () => {
      const inventory = readYaml(join(dir, "inventory.yml")).value() as {
        hosts: Record<string, unknown>;
        groups: Record<string, { hosts?: string[]; children?: string[] }>;
      };
      const groups = Object.keys(inventory.groups);
      assert.deepEqual([...roleGroups].filter((g) => !groups.includes(g)), []);
      for (const [name, group] of Object.entries(inventory.groups)) {
        for (const h of group.hosts ?? []) assert.ok(h in inventory.hosts, `${name}: unknown host ${h}`);
        for (const c of group.children ?? []) assert.ok(groups.includes(c), `${name}: unknown child group ${c}`);
      }
    });
  });
}

describe("examples/lab/config overrides", () => {
  it("override only files that a role renders, in the role's config folder", () => {
    const override = join(packageRoot, "examples", "lab", "config", "mariadb", "galera.cnf");
    const mariadb = shipped.find((r) => r.role.name === "mariadb")!;
    assert.ok((mariadb.role.files ?? []).some((f) => f.dest === "galera.cnf" && f.format === "ini"));
    assert.match(readFileSync(override, "utf8"), /^\[mysqld\]$/m);
  });
});
