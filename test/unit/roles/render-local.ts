// Renders every shipped role for one fake host into a folder, to try the configs in real containers:
//   node dist/test/unit/roles/render-local.js OUT_DIR HOST_NAME HOST_ADDRESS VIP_ADDRESS
// Not a test (mocha only loads *.test.js); prints the rendered containers as JSON for the person trying them.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { contextFor, loadShippedRoles, renderFiles, renderStrings } from "./role-fixture.js";

const [outDir, name, address, vip] = process.argv.slice(2);
if (!outDir || !name || !address || !vip) {
  process.stderr.write("usage: render-local.js OUT_DIR HOST_NAME HOST_ADDRESS VIP_ADDRESS\n");
  process.exit(2);
}
const host = { name, address };
const roles = loadShippedRoles();
const containers: Record<string, unknown> = {};
for (const role of roles) {
  const context = contextFor(role, roles, [host], host, { vip_address: vip });
  const specs = new Map((role.role.files ?? []).map((f) => [f.dest, f]));
  for (const [dest, content] of renderFiles(role, context)) {
    const file = join(outDir, role.role.name, dest);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    // Mode and a numeric group as the applier would set them (names other than root are not resolved here).
    const spec = specs.get(dest)!;
    chmodSync(file, parseInt(spec.mode ?? "0644", 8));
    const group = /^root:(\d+)$/.exec(spec.owner ?? "root")?.[1];
    if (group && process.getuid?.() === 0) chownSync(file, 0, Number(group));
  }
  containers[role.role.name] = renderStrings(role.role.containers ?? {}, context);
}
process.stdout.write(JSON.stringify(containers, null, 2) + "\n");
