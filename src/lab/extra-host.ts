// One more host on the lab network beside lab1..N, from another image (the fresh-host variant, without an
// engine, for bootstrap-servers): same per-host folders, key and labels as the lab's own hosts, so `lab down`
// removes it too, and a later `lab up` (which keeps exactly lab1..N) does as well if a test left it behind.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "../errors.js";
import { docker } from "./docker.js";
import { labHostNumber, readHostKey, removeHosts, waitForHost } from "./hosts.js";
import { hostDirs, type LabLayout } from "./layout.js";
import { removeTree } from "./remove-tree.js";
import { runCommand, runOrThrow } from "./run-command.js";

export interface ExtraHost {
  name: string;
  address: string;
  /** `ssh-ed25519 AAAA...`, made by the host at its first start: what a known_hosts line needs. */
  hostKey: string;
}

/** Addresses an extra host may take: inside the lab subnet, above the lab hosts' own range and outside the VIPs. */
export function isExtraHostAddress(address: string): boolean {
  const m = /^10\.98\.0\.([0-9]{1,3})$/.exec(address);
  const last = m ? Number(m[1]) : NaN;
  return last >= 2 && last <= 254 && !(last >= 100 && last <= 109) && !(last >= 11 && last <= 99);
}

/**
 * Starts host `name` at `address` from `image` (built already), with the lab's SSH key authorized, and waits
 * for its host key. `aptProxy` (an http URL) is written into its apt configuration: the lab network has no
 * route out, so a host that installs packages goes through a proxy to the mirror (see apt-proxy.ts).
 */
export async function startExtraHost(
  layout: LabLayout,
  opts: { name: string; address: string; image: string; aptProxy?: string },
): Promise<ExtraHost> {
  if (labHostNumber(opts.name) !== undefined) throw new LabError(`${opts.name} is a lab host name; an extra host needs another`);
  if (!isExtraHostAddress(opts.address)) throw new LabError(`${opts.address} is not free for an extra host (10.98.0.2-10 or .110-.254: .11-.99 are lab hosts, .100-.109 VIPs)`);
  await removeExtraHost(layout, opts.name);
  const dirs = hostDirs(layout, opts.name);
  mkdirSync(dirs.docker, { recursive: true });
  mkdirSync(dirs.ssh, { recursive: true, mode: 0o755 });
  copyFileSync(layout.sshPublicKey, join(dirs.ssh, "authorized_keys"));
  await runOrThrow(
    docker.runHost({ name: opts.name, address: opts.address, peers: [], dockerDir: dirs.docker, sshDir: dirs.ssh, imagesDir: layout.imagesDir, image: opts.image }),
    `creating host ${opts.name}`,
  );
  await waitForHost(layout, opts.name, 60_000, { engine: false });
  if (opts.aptProxy) {
    const conf = `Acquire::http::Proxy "${opts.aptProxy}";\n`;
    if (!/^http:\/\/[0-9.]+:[0-9]+\/?$/.test(opts.aptProxy)) throw new LabError(`apt proxy must be http://<address>:<port>, got ${opts.aptProxy}`);
    await runOrThrow(docker.exec(opts.name, ["sh", "-c", 'cat > /etc/apt/apt.conf.d/01lab-proxy'], { stdin: true }), `configuring apt on ${opts.name}`, { input: conf });
  }
  return { name: opts.name, address: opts.address, hostKey: readHostKey(layout, opts.name) };
}

/** Removes an extra host and its per-host folders (its engine's store included); nothing when it does not exist. */
export async function removeExtraHost(layout: LabLayout, name: string): Promise<void> {
  if (labHostNumber(name) !== undefined) throw new LabError(`${name} is a lab host: \`lading lab down\` removes lab hosts`);
  await removeHosts([name]);
  await runCommand(docker.removeForce([name]));
  await removeTree(hostDirs(layout, name).root);
}
