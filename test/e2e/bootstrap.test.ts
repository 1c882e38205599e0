// bootstrap-servers end to end. First on a fresh host (the lab host image built without docker.io, started
// beside the lab at 10.98.0.120, reaching the Debian mirror through the lab's apt proxy): it installs and starts
// the engine and writes every file. Then on the running cluster: a changed daemon.json parameter reloads the
// engines the lab started without live-restore to turn it on, then restarts them one host at a time, each
// host's gates passing before the next, Galera Primary with 3 members throughout, and no service container
// restarted (live-restore). It leaves daemon.json removed, as the lab started them (lifecycle.test.ts plans its write).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ensureImage,
  freshHostImageSpec,
  labLayout,
  labMirror,
  removeExtraHost,
  startAptProxy,
  startExtraHost,
  type AptProxy,
  type ExtraHost,
  type LabState,
} from "../../src/lab/index.js";
import { ensureLab, sshRun } from "./lab-fixture.js";
import { LAB_ADDRESSES, LAB_HOSTS, ensureDeployed, lading, onHost, type Deployment } from "./deployment-fixture.js";

interface Event {
  type: string;
  host?: string;
  kind?: string;
  status?: string;
  service?: string;
  time: string;
}

function eventsOf(stdout: string): Event[] {
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Event);
}

const FRESH = { name: "labfresh", address: "10.98.0.120" };

describe("bootstrap-servers on the lab", function () {
  this.timeout(1_800_000);

  describe("a fresh Debian host without an engine", () => {
    let lab: LabState;
    let proxy: AptProxy | undefined;
    let host: ExtraHost;
    let dir: string;
    const layout = labLayout();

    before(async () => {
      lab = await ensureLab();
      const image = await ensureImage(freshHostImageSpec(), () => {});
      proxy = await startAptProxy({ allowedHosts: [new URL(labMirror()).hostname] });
      host = await startExtraHost(layout, { ...FRESH, image: image.tag, aptProxy: proxy.url });
      dir = mkdtempSync(join(tmpdir(), "lading-e2e-fresh-"));
      writeFileSync(join(dir, "known_hosts"), `${host.address} ${host.hostKey}\n`);
      writeFileSync(join(dir, "inventory.yml"), [
        "defaults:",
        `  user: root`,
        `  key: ${lab.sshKey}`,
        `  knownHosts: ${join(dir, "known_hosts")}`,
        "hosts:",
        `  ${host.name}: { address: ${host.address} }`,
        "groups:",
        `  memcached: { hosts: [${host.name}] }`,
        "",
      ].join("\n"));
      // Only the smallest service: bootstrap-servers prepares hosts, the roles only name them.
      writeFileSync(join(dir, "globals.yml"), ["haproxy", "keepalived", "mariadb", "rabbitmq", "webapp"].map((r) => `enable_${r}: false\n`).join(""));
      const gen = await lading(["genpwd", "-d", dir]);
      assert.equal(gen.code, 0, gen.stderr);
    });

    after(async () => {
      await removeExtraHost(layout, FRESH.name);
      await proxy?.close();
    });

    const onFresh = async (command: string): Promise<string> => {
      const r = await sshRun(lab, host.address, command, { knownHosts: join(dir, "known_hosts") });
      assert.equal(r.code, 0, `${command}: ${r.stderr}`);
      return r.stdout;
    };

    it("installs docker.io from the distribution, starts it, writes daemon.json, /etc/hosts, sysctls, the config dir and the deploy user; a second run plans nothing", async () => {
      assert.equal((await sshRun(lab, host.address, "command -v docker", { knownHosts: join(dir, "known_hosts") })).code, 1, "the fresh host has no engine");
      const run = await lading(["bootstrap-servers", "-d", dir, "--user", "deploy", "--json"]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const kinds = eventsOf(run.stdout).filter((e) => e.type === "step" && e.status === "ok").map((e) => e.kind);
      assert.ok(kinds.includes("install-engine"), kinds.join(","));
      assert.ok(!kinds.includes("restart-engine"), "a fresh engine starts with daemon.json in place: no restart");
      assert.ok(proxy!.stats.forwarded > 0, "apt went to the mirror");

      assert.match(await onFresh("dpkg-query -W -f '${Status}' docker.io"), /install ok installed/);
      assert.match(await onFresh("docker info --format '{{.ServerVersion}}'"), /^\d+\.\d+/);
      assert.equal((await onFresh("docker info --format '{{.LiveRestoreEnabled}}'")).trim(), "true");
      assert.equal((await onFresh("jq -r '.\"live-restore\", .\"log-opts\".\"max-size\"' /etc/docker/daemon.json")).trim(), "true\n50m");
      assert.match(await onFresh("cat /etc/hosts"), new RegExp(`# BEGIN lading hosts[^\\n]*\\n${host.address.replace(/\./g, "\\.")}\\t${host.name}\\n# END lading hosts`));
      assert.match(await onFresh("cat /etc/sysctl.d/99-lading.conf"), /net\.ipv4\.ip_nonlocal_bind = 1/);
      assert.equal((await onFresh("sysctl -n net.ipv4.ip_nonlocal_bind")).trim(), "1");
      await onFresh("test -d /etc/lading");
      assert.equal((await onFresh("su - deploy -c 'sudo -n id -u'")).trim(), "0");

      const again = await lading(["bootstrap-servers", "-d", dir, "--user", "deploy", "--dry-run"]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.doesNotMatch(again.stdout, new RegExp(`^${host.name}: `, "m"), again.stdout);
    });
  });

  describe("a running cluster and a changed daemon.json", () => {
    let d: Deployment;
    let globals: string;

    before(async () => {
      d = await ensureDeployed();
      globals = readFileSync(join(d.dir, "globals.yml"), "utf8");
    });

    after(async () => {
      writeFileSync(join(d.dir, "globals.yml"), globals);
      // Lab hosts start without a daemon.json, and the other files expect that (lifecycle plans its write).
      for (const h of LAB_HOSTS) await onHost(d, h, "rm -f /etc/docker/daemon.json /etc/docker/.lading-restart-pending");
    });

    const containers = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const h of LAB_HOSTS) {
        const text = await onHost(d, h, "docker ps -q --filter label=lading.managed=true | xargs -r docker inspect --format '{{.Name}} {{.Id}} {{.State.StartedAt}}'");
        for (const line of text.trim().split("\n").filter(Boolean)) {
          const [name, id, started] = line.split(" ");
          out[`${h}${name}`] = `${id} ${started}`;
        }
      }
      return out;
    };

    /** Every ~1 s asks each lab host's MariaDB (SQL on stdin) for the Galera status, until stopped. */
    const pollGalera = (): { stop: () => Promise<{ at: number; host: string; answer: string | undefined }[]> } => {
      const samples: { at: number; host: string; answer: string | undefined }[] = [];
      let running = true;
      const loop = (async () => {
        while (running) {
          const round = LAB_HOSTS.map(async (h) => {
            const r = await sshRun(d.lab, LAB_ADDRESSES[h]!, `echo "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_status','wsrep_cluster_size')" | docker exec -i mariadb mysql -N -B`);
            const m = new Map([...r.stdout.matchAll(/^(wsrep_\w+)\t(.*)$/gm)].map((x) => [x[1]!, x[2]!]));
            samples.push({ at: Date.now(), host: h, answer: r.code === 0 ? `${m.get("wsrep_cluster_status")} ${m.get("wsrep_cluster_size")}` : undefined });
          });
          await Promise.all([...round, new Promise((r) => setTimeout(r, 1000))]);
        }
      })();
      return { stop: async () => { running = false; await loop; return samples; } };
    };

    it("restarts the engines one host at a time, each after the previous host's gates passed; Galera stays Primary with 3; no container restarts", async () => {
      const before = await containers();
      // Engines the lab started without a daemon.json run without live-restore: each must be reloaded first.
      const liveRestoreOff: string[] = [];
      for (const h of LAB_HOSTS) if ((await onHost(d, h, "docker info --format '{{.LiveRestoreEnabled}}'")).trim() !== "true") liveRestoreOff.push(h);
      writeFileSync(join(d.dir, "globals.yml"), `${globals}\ndocker_log_max_size: 20m\n`);
      const poller = pollGalera();
      const run = await lading(["bootstrap-servers", "-d", d.dir, "--json"]);
      const samples = await poller.stop();
      assert.equal(run.code, 0, run.stdout + run.stderr);

      const events = eventsOf(run.stdout);
      const restarts = events.filter((e) => e.type === "step" && e.kind === "restart-engine");
      const order = restarts.filter((e) => e.status === "start").map((e) => e.host!);
      assert.deepEqual([...order].sort(), [...LAB_HOSTS].sort(), "one engine restart per lab host");
      const reloaded = events.filter((e) => e.type === "step" && e.kind === "reload-engine" && e.status === "ok");
      assert.deepEqual(reloaded.map((e) => e.host!).sort(), liveRestoreOff.sort(), "a reload where live-restore was off, nowhere else");
      const firstRestart = Math.min(...restarts.filter((e) => e.status === "start").map((e) => Date.parse(e.time)));
      for (const r of reloaded) assert.ok(Date.parse(r.time) <= firstRestart, `${r.host}: reloaded (live-restore on) before any engine restarted`);
      console.log(`      live-restore was off on [${liveRestoreOff.join(", ")}] before the run`);
      for (let i = 0; i < order.length; i++) {
        const host = order[i]!;
        const done = Date.parse(restarts.find((e) => e.host === host && e.status === "ok")!.time);
        const gates = events.filter((e) => e.type === "gate" && e.host === host && e.status === "passed" && Date.parse(e.time) >= done);
        assert.ok(gates.some((g) => g.service === "mariadb"), `${host}: mariadb's gate passed after its engine restart`);
        const lastGate = Math.max(...gates.map((g) => Date.parse(g.time)));
        const next = order[i + 1];
        if (next) {
          const nextStart = Date.parse(restarts.find((e) => e.host === next && e.status === "start")!.time);
          assert.ok(nextStart >= lastGate, `${next}'s restart began after ${host}'s gates passed`);
        }
      }

      const answered = samples.filter((s) => s.answer !== undefined);
      assert.ok(answered.length >= 6, `the poller got answers (${answered.length})`);
      for (const s of answered) assert.equal(s.answer, "Primary 3", `${s.host} at ${new Date(s.at).toISOString()}`);
      for (const h of LAB_HOSTS) assert.ok(answered.some((s) => s.host === h), `${h} answered the poller`);
      console.log(`      poller: ${samples.length} samples, ${samples.length - answered.length} while an engine restarted`);

      assert.deepEqual(await containers(), before, "same container ids and StartedAt: live-restore kept them running");
      // Docker 20.10 stops the health checks of restored containers (moby#41871) unless they are resumed: each
      // container with a healthcheck probes again after its engine's restart.
      const probesAfter = async (h: string): Promise<string[]> => {
        const done = Date.parse(restarts.find((e) => e.host === h && e.status === "ok")!.time);
        const text = await onHost(d, h, "docker ps -q --filter label=lading.managed=true | xargs -r docker inspect --format '{{.Name}} {{if .State.Health}}{{range .State.Health.Log}}{{.Start.Unix}} {{end}}{{end}}'");
        const stale: string[] = [];
        for (const line of text.trim().split("\n").filter(Boolean)) {
          const [name, ...starts] = line.trim().split(" ");
          if (!starts.length) continue;
          if (!starts.some((x) => Number(x) * 1000 >= done - 1000)) stale.push(`${h}${name}`);
        }
        return stale;
      };
      let stale: string[] = [];
      for (let i = 0; i < 45; i++) {
        stale = (await Promise.all(LAB_HOSTS.map(probesAfter))).flat();
        if (!stale.length) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      assert.deepEqual(stale, [], "every container's health checks run again after its engine restarted");
      for (const h of LAB_HOSTS) assert.match(await onHost(d, h, "cat /etc/docker/daemon.json"), /"max-size": "20m"/);
      for (const h of LAB_HOSTS) assert.equal((await onHost(d, h, "docker info --format '{{.LiveRestoreEnabled}}'")).trim(), "true");
    });

    it("a run killed after its first engine restart leaves the others due: the re-run restarts only them, then nothing is left to do", async () => {
      // The default parameter puts daemon.json back: the writes go to every host first, then the restarts one at a time.
      writeFileSync(join(d.dir, "globals.yml"), globals);
      let first: string | undefined;
      const killed = await lading(["bootstrap-servers", "-d", d.dir, "--json"], {
        onEvent: (e, child) => {
          if (first === undefined && e.type === "step" && e.kind === "restart-engine" && e.status === "ok") {
            first = String(e.host);
            child.kill("SIGKILL");
          }
        },
      });
      assert.ok(first, `killed after one engine restart:\n${killed.stdout}`);
      const others = LAB_HOSTS.filter((h) => h !== first);
      for (const h of LAB_HOSTS) assert.match(await onHost(d, h, "cat /etc/docker/daemon.json"), /"max-size": "50m"/);
      for (const h of others) assert.match(await onHost(d, h, "cat /etc/docker/.lading-restart-pending"), /daemon\.json changed \(log-opts\): restart the engine/);
      await onHost(d, first, "test ! -e /etc/docker/.lading-restart-pending");

      // daemon.json no longer differs anywhere; the marker says which engines still run the old settings.
      const dry = await lading(["bootstrap-servers", "-d", d.dir, "--dry-run"]);
      for (const h of others) assert.match(dry.stdout, new RegExp(`^${h}: restart-engine .*written by a run that stopped before this engine's restart`, "m"), dry.stdout);
      assert.doesNotMatch(dry.stdout, new RegExp(`^${first}: `, "m"), dry.stdout);

      // The killed run's lock stays: --break-lock takes it over.
      const rest = await lading(["bootstrap-servers", "-d", d.dir, "--json", "--break-lock"]);
      assert.equal(rest.code, 0, rest.stdout + rest.stderr);
      const restarted = eventsOf(rest.stdout).filter((e) => e.type === "step" && e.kind === "restart-engine" && e.status === "ok").map((e) => e.host!);
      assert.deepEqual(restarted.sort(), [...others].sort());
      for (const h of LAB_HOSTS) await onHost(d, h, "test ! -e /etc/docker/.lading-restart-pending");

      const same = await lading(["bootstrap-servers", "-d", d.dir, "--json"]);
      assert.equal(same.code, 0, same.stdout + same.stderr);
      assert.deepEqual(eventsOf(same.stdout).filter((e) => e.type === "step"), [], "nothing to do");
    });
  });
});
