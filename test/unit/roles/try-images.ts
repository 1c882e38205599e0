// Starts the shipped roles' containers, as role.yaml declares them, on a throwaway Docker engine for one
// host (host networking, loopback only), and checks each one with its own healthcheck command:
//   DOCKER_HOST=unix:///run/roles-test/docker.sock node dist/test/unit/roles/try-images.js OUT_DIR VIP
// Not a mocha test: it needs a Docker engine with the lading/* images. Removes its containers at the start.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Container } from "../../../src/generated/role.js";
import { contextFor, loadShippedRoles, renderStrings } from "./role-fixture.js";

const [outDir, vip] = process.argv.slice(2);
if (!outDir || !vip) throw new Error("usage: try-images.js OUT_DIR VIP (run render-local.js OUT_DIR localhost 127.0.0.1 VIP first)");
const host = { name: "localhost", address: "127.0.0.1" };
const roles = loadShippedRoles();

function docker(args: string[], input?: string): string {
  return execFileSync("docker", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

function runArgs(name: string, c: Container, configDir: string, bootstrap: boolean): string[] {
  const args = ["run", "-d", "--name", name, "--network", "host"];
  for (const cap of c.capAdd ?? []) args.push("--cap-add", cap);
  for (const [k, v] of Object.entries(c.environment ?? {})) args.push("-e", `${k}=${v}`);
  for (const v of c.volumes ?? []) {
    const source = v.config ? configDir : v.source!;
    args.push("-v", `${source}:${v.target}${v.readOnly ? ":ro" : ""}`);
  }
  if (c.stopTimeout !== undefined) args.push("--stop-timeout", String(c.stopTimeout));
  if (c.stopSignal) args.push("--stop-signal", c.stopSignal);
  args.push(c.image, ...((bootstrap ? c.bootstrap?.command : undefined) ?? c.command ?? []));
  return args;
}

async function waitHealthy(name: string, test: string[], seconds: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      docker(["exec", name, ...test]);
      return (Date.now() - start) / 1000;
    } catch {
      if (Date.now() - start > seconds * 1000) throw new Error(`${name}: not healthy after ${seconds}s\n${docker(["logs", "--tail", "20", name])}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

// Config tests of the two files whose programs can check them without running.
docker(["run", "--rm", "--network", "none", "-v", `${join(outDir, "haproxy")}:/etc/haproxy:ro`, "lading/haproxy:1.0", "haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"]);
process.stdout.write("haproxy -c: valid\n");
// keepalived -t looks the interface up, so it needs the host network (it only reads the config).
docker(["run", "--rm", "--network", "host", "-v", `${join(outDir, "keepalived")}:/etc/keepalived:ro`, "lading/keepalived:1.0", "keepalived", "-t", "-f", "/etc/keepalived/keepalived.conf"]);
process.stdout.write("keepalived -t: valid\n");

const order = ["mariadb", "rabbitmq", "memcached", "haproxy", "webapp"];
for (const name of order) docker(["rm", "-f", "-v", name]);
for (const volume of ["mariadb", "rabbitmq"]) docker(["volume", "rm", "-f", volume]);

for (const roleName of order) {
  const role = roles.find((r) => r.role.name === roleName)!;
  const context = contextFor(role, roles, [host], host, { vip_address: vip });
  if (roleName === "webapp") {
    // What the database and messaging registrations will do, over `docker exec -i` stdin.
    const secrets = context["secrets"] as Record<string, string>;
    const db = renderStrings(role.role.database!, context);
    docker(["exec", "-i", "mariadb", "mysql"], `CREATE DATABASE IF NOT EXISTS \`${db.name}\`;\nCREATE USER IF NOT EXISTS '${db.user}'@'%' IDENTIFIED BY '${secrets[db.passwordSecret]}';\nGRANT ALL PRIVILEGES ON \`${db.name}\`.* TO '${db.user}'@'%';\n`);
    const mq = renderStrings(role.role.messaging!, context);
    docker(["exec", "rabbitmq", "rabbitmqctl", "-q", "add_vhost", mq.vhost ?? "/"]);
    docker(["exec", "-i", "rabbitmq", "rabbitmqctl", "-q", "add_user", mq.user], secrets[mq.passwordSecret]!);
    docker(["exec", "rabbitmq", "rabbitmqctl", "-q", "set_permissions", "-p", mq.vhost ?? "/", mq.user, ".*", ".*", ".*"]);
  }
  for (const [name, c] of Object.entries(renderStrings(role.role.containers ?? {}, context))) {
    const started = Date.now();
    docker(runArgs(name, c!, join(outDir, roleName), c!.bootstrap !== undefined));
    await waitHealthy(name, c!.healthcheck!.test, 120);
    process.stdout.write(`${name}: healthy after ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }
}
const galera = docker(["exec", "mariadb", "mysql", "-N", "-e", "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'"]);
process.stdout.write(`galera: ${galera.trim()}\n`);
// HAProxy marks the webapp backend up after `rise` good checks (2 x 5s): poll until it does.
const throughHaproxy = await waitHealthy("haproxy", ["sh", "-c", `echo "show stat" | socat stdio unix-connect:/run/haproxy/admin.sock | grep -q "^webapp,localhost,.*,UP,"`], 60);
process.stdout.write(`haproxy: webapp backend up after ${throughHaproxy.toFixed(1)}s more\n`);
const viaVip = execFileSync("curl", ["-fsS", `http://${vip}:8080/`], { encoding: "utf8" });
process.stdout.write(`webapp through haproxy on ${vip}: ${viaVip}`);
