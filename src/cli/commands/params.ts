// `lading params [ROLE]`: every parameter with its type, default, constraints and description.
import type { Command } from "commander";
import { builtinRolesDir } from "../../paths.js";
import { loadRoles, type DeclaredParameter } from "../../model/roles.js";

function constraints(p: DeclaredParameter): string {
  const d = p.decl;
  const out: string[] = [];
  if (d.enum) out.push(`one of ${d.enum.map((x) => JSON.stringify(x)).join("|")}`);
  if (d.format) out.push(d.format);
  if (d.minimum !== undefined || d.maximum !== undefined) out.push(`${d.minimum ?? ""}..${d.maximum ?? ""}`);
  if (d.pattern) out.push(`/${d.pattern}/`);
  if (d.nullable) out.push("nullable");
  return out.join(", ");
}

export function register(program: Command): void {
  program
    .command("params [role]")
    .description("list the parameters roles read: type, default, constraints, description")
    .option("-d, --dir <dir>", "deployment directory (its roles/ are listed too)", ".")
    .option("--json", "machine-readable output")
    .action((role: string | undefined, opts: { dir: string; json?: boolean }) => {
      const roles = loadRoles([builtinRolesDir, `${opts.dir}/roles`]);
      if (role && !roles.byName.has(role) && role !== "global") {
        process.stderr.write(`unknown role "${role}"; roles: global, ${[...roles.byName.keys()].join(", ")}\n`);
        process.exitCode = 64;
        return;
      }
      const params = [...roles.parameters.values()].filter((p) => !role || p.owner === role || (p.owner === "enable" && p.name === `enable_${role.replace(/-/g, "_")}`));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(params.map((p) => ({ name: p.name, role: p.owner === "enable" ? "global" : p.owner, ...p.decl })), null, 2)}\n`);
        return;
      }
      let owner = "";
      for (const p of params.sort((a, b) => (a.owner === b.owner ? a.name.localeCompare(b.name) : 0))) {
        const o = p.owner === "enable" ? "enable flags" : p.owner;
        if (o !== owner) {
          process.stdout.write(`\n${o}:\n`);
          owner = o;
        }
        const def = p.decl.default === undefined ? "(required)" : JSON.stringify(p.decl.default);
        const c = constraints(p);
        process.stdout.write(`  ${p.name}  ${p.decl.type}${c ? ` [${c}]` : ""}  default ${def}\n      ${p.decl.description}\n`);
      }
    });
}
