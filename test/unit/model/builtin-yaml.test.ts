// The built-in roles' YAML parsed at build time (scripts/gen-builtin-yaml.mjs): the same values and places as
// parsing the files now, and never used for a file whose text changed since.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_YAML } from "../../../src/generated/builtin-yaml.js";
import { builtinSource, parseYaml, readYaml } from "../../../src/model/source.js";
import { builtinRolesDir } from "../../../src/paths.js";

describe("built-in role files parsed at build time", () => {
  const files = Object.keys(BUILTIN_YAML);

  it("cover global.yaml and every built-in role", () => {
    assert.ok(files.includes("global.yaml"));
    for (const role of ["haproxy", "keepalived", "mariadb", "memcached", "rabbitmq", "webapp"]) assert.ok(files.includes(`${role}/role.yaml`), role);
  });

  it("give the values and the places parsing the files gives", () => {
    for (const rel of files) {
      const file = join(builtinRolesDir, rel);
      const text = readFileSync(file, "utf8");
      const cached = builtinSource(file, text);
      assert.ok(cached, `${rel} is served from the build`);
      const parsed = parseYaml(file, text);
      assert.deepEqual(cached.value(), parsed.value(), rel);
      assert.deepEqual(readYaml(file).value(), parsed.value(), rel);
      const value = parsed.value() as { parameters?: Record<string, unknown> };
      for (const name of Object.keys(value.parameters ?? {})) {
        assert.deepEqual(cached.problem(["parameters", name], "x", { key: true }), parsed.problem(["parameters", name], "x", { key: true }), `${rel} ${name}`);
      }
    }
  });

  it("hand out a copy each time: a caller that changes its value changes nobody else's", () => {
    const file = join(builtinRolesDir, "global.yaml");
    const cached = builtinSource(file, readFileSync(file, "utf8"))!;
    const first = cached.value() as { parameters: Record<string, unknown> };
    delete first.parameters.config_dir;
    assert.ok((cached.value() as { parameters: Record<string, unknown> }).parameters.config_dir);
  });

  it("are not used for a file edited after the build, nor for files outside the built-in roles", () => {
    const file = join(builtinRolesDir, "memcached", "role.yaml");
    const edited = `${readFileSync(file, "utf8")}\n# edited\n`;
    assert.equal(builtinSource(file, edited), undefined);
    assert.equal(builtinSource("/tmp/memcached/role.yaml", readFileSync(file, "utf8")), undefined);
  });
});
