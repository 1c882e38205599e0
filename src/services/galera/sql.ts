// SQL lading runs in a Galera node: the database registrations of other roles (role.yaml database:) and their
// removal. Passwords travel on stdin only, never in argv or the environment.
import * as docker from "../../docker/commands.js";
import { HostError } from "../../errors.js";
import type { Transport } from "../../transport/index.js";

/** A SQL string literal: backslashes and quotes escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A SQL identifier in backquotes. */
export function sqlIdentifier(s: string): string {
  return `\`${s.replace(/`/g, "``")}\``;
}

export function databaseRegistrationSql(name: string, user: string, password: string): string {
  const u = `${sqlString(user)}@'%'`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(name)};`,
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY ${sqlString(password)};`,
    `ALTER USER ${u} IDENTIFIED BY ${sqlString(password)};`,
    `GRANT ALL PRIVILEGES ON ${sqlIdentifier(name)}.* TO ${u};`,
    "",
  ].join("\n");
}

export function databaseRemovalSql(name: string, user: string): string {
  return [`DROP DATABASE IF EXISTS ${sqlIdentifier(name)};`, `DROP USER IF EXISTS ${sqlString(user)}@'%';`, ""].join("\n");
}

/**
 * The mysql client reading SQL on stdin. The SQL is UTF-8, and the client says so: without Debian's client
 * config, MariaDB 10.11's client reads it as latin1, which would garble non-ASCII database and user names.
 * (Passwords are hashed from the bytes as sent either way.)
 */
export const MYSQL_STDIN_ARGV = ["mysql", "--batch", "--default-character-set=utf8mb4"];

export async function runSql(t: Transport, container: string, sql: string): Promise<void> {
  const r = await t.exec(docker.exec(container, MYSQL_STDIN_ARGV, { interactive: true }), { stdin: sql, become: true });
  if (r.code !== 0) throw new HostError(t.host, `SQL in ${container} failed: ${r.stderr.trim().split("\n")[0]}`);
}

