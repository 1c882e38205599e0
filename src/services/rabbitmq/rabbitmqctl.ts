// rabbitmqctl in a RabbitMQ node: the queue users of other roles (role.yaml messaging:) and their removal.
// Passwords travel on stdin only, never in argv or the environment.
import * as docker from "../../docker/commands.js";
import { HostError } from "../../errors.js";
import type { Transport } from "../../transport/index.js";

async function rabbitmqctl(t: Transport, container: string, args: string[], stdin?: string): Promise<{ code: number | null; out: string }> {
  const r = await t.exec(docker.exec(container, ["rabbitmqctl", "--quiet", ...args], { interactive: stdin !== undefined }), { stdin, become: true });
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Creates (or updates the password of) a RabbitMQ user with full rights on its vhost. */
export async function registerMessaging(t: Transport, container: string, vhost: string, user: string, password: string): Promise<void> {
  const vh = await rabbitmqctl(t, container, ["add_vhost", vhost]);
  if (vh.code !== 0 && !/already exists/i.test(vh.out)) throw new HostError(t.host, `rabbitmqctl add_vhost ${vhost}: ${vh.out}`);
  const users = await rabbitmqctl(t, container, ["list_users", "--formatter", "json"]);
  if (users.code !== 0) throw new HostError(t.host, `rabbitmqctl list_users: ${users.out}`);
  const exists = (JSON.parse(users.out || "[]") as { user: string }[]).some((u) => u.user === user);
  // Without a password argument rabbitmqctl reads it from stdin, so it never shows in a process list.
  const set = exists ? await rabbitmqctl(t, container, ["change_password", user], `${password}\n`) : await rabbitmqctl(t, container, ["add_user", user], `${password}\n`);
  if (set.code !== 0) throw new HostError(t.host, `rabbitmqctl ${exists ? "change_password" : "add_user"} ${user}: ${set.out}`);
  const perm = await rabbitmqctl(t, container, ["set_permissions", "-p", vhost, user, ".*", ".*", ".*"]);
  if (perm.code !== 0) throw new HostError(t.host, `rabbitmqctl set_permissions: ${perm.out}`);
}

export async function removeMessaging(t: Transport, container: string, vhost: string, user: string): Promise<void> {
  await rabbitmqctl(t, container, ["delete_user", user]);
  if (vhost !== "/") await rabbitmqctl(t, container, ["delete_vhost", vhost]);
}
