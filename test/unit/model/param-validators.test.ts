// The parameter validators generated at build time (scripts/gen-param-validators.mjs) accept and refuse what the
// run-time compiler's do, with the same errors; and checking values of those shapes never loads ajv.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import { createParameterAjv } from "../../../src/model/params.js";
import { packageRoot } from "../../../src/paths.js";

const generatedFile = join(packageRoot, "dist", "src", "generated", "param-validators.cjs");

const SAMPLES: unknown[] = [
  null, true, false, 0, 1, -1, 1.5, 65535, 65536, "", "x", " ", "/etc/x", "10.0.0.1", "300.1.1.1", "::1", "10.0.0.0/8",
  "10.0.0.0/33", "5m", "1h30m", "5 minutes", "http://x.example/a", "host.name", "-bad-", "a".repeat(300), [], ["a"], [1], [1, "a"],
  {}, { a: 1 }, { a: "b" },
];

describe("generated parameter validators", () => {
  it("are built with the project", () => {
    assert.ok(existsSync(generatedFile), `${generatedFile} (npm run build makes it)`);
  });

  it("give the run-time compiler's verdict and errors on every sample value", () => {
    const generated = createRequire(import.meta.url)(generatedFile) as Record<string, ValidateFunction>;
    const keys = Object.keys(generated);
    assert.ok(keys.length >= 20, `only ${keys.length} shapes`);
    const ajv = createParameterAjv();
    const shape = (v: ValidateFunction) => (v.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, params: e.params, message: e.message }));
    for (const key of keys) {
      const compiled = ajv.compile(JSON.parse(key) as object);
      for (const value of SAMPLES) {
        const a = generated[key]!(value);
        const b = compiled(value);
        assert.equal(a, b, `${key} on ${JSON.stringify(value)}`);
        assert.deepEqual(shape(generated[key]!), shape(compiled), `${key} on ${JSON.stringify(value)}`);
      }
    }
  });

  it("spare a run that checks values of built-in shapes from loading ajv", () => {
    const script = `
      const { loadRoles } = await import(${JSON.stringify(join(packageRoot, "dist", "src", "model", "roles.js"))});
      const { parameterValueError } = await import(${JSON.stringify(join(packageRoot, "dist", "src", "model", "params.js"))});
      const { builtinRolesDir } = await import(${JSON.stringify(join(packageRoot, "dist", "src", "paths.js"))});
      const { createRequire } = await import("node:module");
      let checked = 0;
      for (const p of loadRoles([builtinRolesDir]).parameters.values()) {
        if (p.decl.default !== undefined) { parameterValueError(p.decl, p.decl.default); checked++; }
      }
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("ajv/dist/2020.js") || k.includes("ajv/dist/core.js"));
      console.log(JSON.stringify({ checked, loaded }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as { checked: number; loaded: boolean };
    assert.ok(out.checked > 20);
    assert.equal(out.loaded, false);
  });
});
