// Renders every shipped role for one fake host into a folder, to try the configs in real containers:
//   node dist/test/unit/roles/render-local.js OUT_DIR HOST_NAME HOST_ADDRESS VIP_ADDRESS
// Not a test (mocha only loads *.test.js); prints the rendered containers as JSON for the person trying them.
import { mkdirSync, writeFileSync } from "node:fs";
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
  for (const [dest, content] of renderFiles(role, context)) {
    const file = join(outDir, role.role.name, dest);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  containers[role.role.name] = renderStrings(role.role.containers ?? {}, context);
}
process.stdout.write(JSON.stringify(containers, null, 2) + "\n");
