// Rolling restarts on the lab that keep the clusters up: Galera and RabbitMQ reconfigured while a client
// writes (every acknowledged write must survive on every node), a web change that breaks health halts after
// its first host (and with revert, that host runs its old config again), and a rollout refused while a
// Galera node is down. Each test restores what it changed.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, get } from "node:http";
import { join } from "node:path";
import { labExec } from "../../src/lab/index.js";
import { packageRoot } from "../../src/paths.js";
import { ensureDeployed, eventually, lading, LAB_HOSTS, onHost, setGlobal, startTimes, VIP, watchExitCodes, type Deployment } from "./deployment-fixture.js";
import { GALERA_WRITER, startProbe, stopProbe, STOP_FILE, type WriterReport } from "./probes.js";

// A publisher (with confirms) and a consumer (manual acks) on a quorum queue, until the stop file appears and
// the consumer has everything or a minute passed; prints what was confirmed and what arrived.
const RABBITMQ_PROBE = `
import configparser, json, os, sys, threading, time, pika
queue, stop, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
cfg = configparser.ConfigParser(); cfg.read("/etc/webapp/webapp.ini"); mq = cfg["rabbitmq"]
creds = pika.PlainCredentials(mq["user"], mq["password"])
params = [pika.ConnectionParameters(host=h.split(":")[0], port=int(h.split(":")[1]), virtual_host=mq["vhost"], credentials=creds, connection_attempts=1, socket_timeout=3, blocked_connection_timeout=10, heartbeat=10) for h in mq["hosts"].split(",")]
args = {"x-queue-type": "quorum"}
setup = pika.BlockingConnection(params); ch = setup.channel()
ch.queue_delete(queue=queue); ch.queue_declare(queue=queue, durable=True, arguments=args); setup.close()
confirmed, received, state = set(), set(), {"pub_errors": 0, "con_errors": 0, "longest": 0.0, "published_done": False, "messages": []}
def note(e):
    if len(state["messages"]) < 6: state["messages"].append(type(e).__name__ + ": " + str(e)[:100])
def publisher():
    conn, i, last_ok, start = None, 0, time.time(), time.time()
    while not os.path.exists(stop) and time.time() - start < limit:
        try:
            if conn is None:
                conn = pika.BlockingConnection(params); pch = conn.channel(); pch.confirm_delivery()
            pch.basic_publish(exchange="", routing_key=queue, body=str(i).encode(), properties=pika.BasicProperties(delivery_mode=2), mandatory=True)
            confirmed.add(i); now = time.time(); state["longest"] = max(state["longest"], now - last_ok); last_ok = now
        except Exception as e:
            state["pub_errors"] += 1; note(e)
            try: conn.close()
            except Exception: pass
            conn = None; time.sleep(0.3)
        i += 1
        time.sleep(0.05)
    state["attempts"] = i
    state["published_done"] = time.time()
    try: conn.close()
    except Exception: pass
def consumer():
    conn = None
    while True:
        done = state["published_done"]
        if done and (confirmed <= received or time.time() - done > 60): break
        try:
            if conn is None:
                conn = pika.BlockingConnection(params); cch = conn.channel(); cch.basic_qos(prefetch_count=100)
            for method, props, body in cch.consume(queue, inactivity_timeout=1, arguments=None):
                if method is not None:
                    received.add(int(body)); cch.basic_ack(method.delivery_tag)
                done = state["published_done"]
                if done and (confirmed <= received or time.time() - done > 60): break
            try: cch.cancel()
            except Exception: pass
        except Exception as e:
            state["con_errors"] += 1; note(e)
            try: conn.close()
            except Exception: pass
            conn = None; time.sleep(0.3)
    try: conn.close()
    except Exception: pass
p = threading.Thread(target=publisher); c = threading.Thread(target=consumer)
p.start(); c.start(); p.join(); c.join()
lost = sorted(confirmed - received)
print(json.dumps({"confirmed": len(confirmed), "received": len(received & confirmed), "lost": lost[:20], "lost_count": len(lost), "attempts": state.get("attempts"), "publish_errors": state["pub_errors"], "consume_errors": state["con_errors"], "longest_publish_pause_s": round(state["longest"], 2), "messages": state["messages"]}))
`;

async function sql(d: Deployment, host: string, query: string): Promise<string> {
  return onHost(d, host, `docker exec mariadb mysql -N -B -e "${query}"`);
}

async function galeraSize(d: Deployment, host: string): Promise<number> {
  const out = await sql(d, host, "SHOW STATUS LIKE 'wsrep_cluster_size'");
  return Number(out.trim().split(/\s+/)[1]);
}

/** Writes a globals.yml line, runs the body, then restores globals.yml and re-applies it. */
async function withGlobal<T>(d: Deployment, key: string, value: string, body: () => Promise<T>): Promise<T> {
  const file = join(d.dir, "globals.yml");
  const original = readFileSync(file, "utf8");
  setGlobal(d, key, value);
  try {
    return await body();
  } finally {
    writeFileSync(file, original);
    const r = await lading(["reconfigure", "-d", d.dir]);
    if (r.code !== 0) throw new Error(`restoring globals.yml failed:\n${r.stdout}\n${r.stderr}`);
  }
}

/** The order in which hosts restarted a service, from the plain progress lines. */
function restartOrder(stdout: string, service: string): string[] {
  return [...stdout.matchAll(new RegExp(`^changed (\\w+): (?:restart|recreate) ${service}\\b`, "gm"))].map((m) => m[1]!);
}


/** GET http://VIP:8080/ every 50 ms on new connections, and on one kept-alive connection, until stopped. */
function vipClients(): { stop: () => Promise<{ fresh: number; kept: number; failures: string[]; keptSockets: number }> } {
  let running = true;
  const failures: string[] = [];
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  const once = (agent: Agent | false): Promise<void> =>
    new Promise((resolve) => {
      const req = get({ host: VIP, port: 8080, path: "/", agent, timeout: 3000 }, (res) => {
        if (agent) sockets.add(res.socket);
        res.resume();
        res.on("end", () => {
          if (res.statusCode !== 200) failures.push(`${new Date().toISOString()} ${agent ? "kept-alive" : "new"}: HTTP ${res.statusCode}`);
          resolve();
        });
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => {
        failures.push(`${new Date().toISOString()} ${agent ? "kept-alive" : "new"}: ${e.message}`);
        resolve();
      });
    });
  const counts = { fresh: 0, kept: 0 };
  const loop = async (agent: Agent | false, key: "fresh" | "kept"): Promise<void> => {
    while (running) {
      await once(agent);
      counts[key]++;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = [loop(false, "fresh"), loop(keepAlive, "kept")];
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      keepAlive.destroy();
      return { ...counts, failures, keptSockets: sockets.size };
    },
  };
}

describe("rolling restarts that keep the clusters up (e2e)", function () {
  this.timeout(1_800_000);
  let d: Deployment;
  before(async () => {
    d = await ensureDeployed();
  });

  it("reconfigures Galera one node at a time while a client writes through the VIP: no acknowledged write lost", async () => {
    let report: WriterReport | undefined;
    let stdout = "";
    await withGlobal(d, "mariadb_max_connections", "1200", async () => {
      const probe = startProbe<WriterReport>(GALERA_WRITER, ["rollout_probe", STOP_FILE, "900"]);
      await new Promise((r) => setTimeout(r, 3000));
      const re = await lading(["reconfigure", "-d", d.dir]);
      stdout = re.stdout;
      await new Promise((r) => setTimeout(r, 3000));
      await stopProbe();
      report = await probe;
      assert.equal(re.code, 0, re.stdout + re.stderr);
    });
    const r = report!;
    console.log(`      galera writer: ${r.acked.length} acknowledged of ${r.attempts} attempts, ${r.errors} errors, longest pause ${r.longest_pause_s}s ${r.messages.length ? JSON.stringify(r.messages) : ""}`);
    assert.deepEqual(restartOrder(stdout, "mariadb"), LAB_HOSTS, stdout);
    assert.match(stdout, /-- mariadb: batch 1\/3 \[lab1\][\s\S]*-- mariadb: batch 2\/3 \[lab2\][\s\S]*-- mariadb: batch 3\/3 \[lab3\]/);
    assert.ok(r.acked.length > 50, "the writer made progress");
    // Out of rotation, a node lets its transactions finish and HAProxy closes the idle connections before it
    // stops: a client that reconnects on error sees at most one error per restart. (Its pauses, 0.4 to 3.4 s on
    // the lab, come from the cluster itself: writes wait while the restarted node's new view is installed.)
    assert.ok(r.errors <= LAB_HOSTS.length, `${r.errors} errors for ${LAB_HOSTS.length} restarts: ${JSON.stringify(r.messages)}`);
    for (const h of LAB_HOSTS) {
      const ids = new Set((await sql(d, h, "SELECT id FROM webapp.rollout_probe")).trim().split("\n").filter(Boolean).map(Number));
      const missing = r.acked.filter((id) => !ids.has(id));
      assert.deepEqual(missing, [], `${h} lacks acknowledged writes`);
      assert.equal(await galeraSize(d, h), 3);
    }
    await sql(d, "lab1", "DROP TABLE webapp.rollout_probe").catch(() => undefined);
  });

  it("reconfigures RabbitMQ one drained node at a time under a publisher and a consumer: no confirmed message lost", async () => {
    interface ProbeReport { confirmed: number; received: number; lost: number[]; lost_count: number; attempts: number; publish_errors: number; consume_errors: number; longest_publish_pause_s: number; messages: string[] }
    let report: ProbeReport | undefined;
    let stdout = "";
    const exits = await watchExitCodes(d, "rabbitmq");
    await withGlobal(d, "rabbitmq_log_level", "warning", async () => {
      const probe = startProbe<ProbeReport>(RABBITMQ_PROBE, ["rollout-probe", STOP_FILE, "900"]);
      await new Promise((r) => setTimeout(r, 5000));
      const re = await lading(["reconfigure", "-d", d.dir]);
      stdout = re.stdout;
      await new Promise((r) => setTimeout(r, 3000));
      await stopProbe();
      report = await probe;
      assert.equal(re.code, 0, re.stdout + re.stderr);
    });
    const r = report!;
    console.log(`      rabbitmq probe: ${r.confirmed} confirmed of ${r.attempts} attempts, ${r.received} received, ${r.lost_count} lost, ${r.publish_errors} publish errors, ${r.consume_errors} consume errors, longest publish pause ${r.longest_publish_pause_s}s ${r.messages.length ? JSON.stringify(r.messages) : ""}`);
    assert.deepEqual(restartOrder(stdout, "rabbitmq"), LAB_HOSTS, stdout);
    assert.match(stdout, /changed lab1: drain rabbitmq/);
    assert.ok(r.confirmed > 50, "the publisher made progress");
    assert.equal(r.lost_count, 0, `confirmed messages lost: ${r.lost.join(",")}`);
    const status = JSON.parse(await onHost(d, "lab2", "docker exec rabbitmq rabbitmqctl --quiet cluster_status --formatter json")) as { running_nodes: string[] };
    assert.equal(status.running_nodes.length, 3);
    // Each node stopped cleanly on SIGTERM (twice: the change and putting it back), never killed at its stop timeout.
    assert.deepEqual(await exits.stop(), Object.fromEntries(LAB_HOSTS.map((h) => [h, [0, 0]])), "rabbitmq's exit codes");
    await onHost(d, "lab1", "docker exec rabbitmq rabbitmqctl --quiet -p webapp delete_queue rollout-probe").catch(() => undefined);
  });

  /** Replaces the built-in webapp role by a copy with a short deadline and the given failure action. */
  function webappRoleWith(onFailure: "halt" | "revert"): () => void {
    const dir = join(d.dir, "roles", "webapp");
    cpSync(join(packageRoot, "roles", "webapp"), dir, { recursive: true });
    const roleFile = join(dir, "role.yaml");
    writeFileSync(roleFile, readFileSync(roleFile, "utf8").replace(/  minHealthy: 5s/, `  minHealthy: 5s\n  deadline: 40s\n  onFailure: ${onFailure}`));
    const override = join(d.dir, "config", "webapp");
    mkdirSync(override, { recursive: true });
    // A database port nothing listens on: /health answers 503.
    writeFileSync(join(override, "webapp.ini"), "[database]\nport = 1\n");
    return () => {
      rmSync(join(d.dir, "roles"), { recursive: true, force: true });
      rmSync(override, { recursive: true, force: true });
    };
  }

  async function webappHealth(host: string): Promise<number> {
    const r = await labExec(host, ["docker", "exec", "webapp", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `http://10.98.0.1${host.slice(3)}:8080/health`]);
    return Number(r.stdout.trim());
  }

  it("halts after the first batch when the change makes the web service unhealthy; the other hosts never restart", async () => {
    const before = await startTimes(d);
    const restore = webappRoleWith("halt");
    try {
      const re = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(re.code, 1, re.stdout + re.stderr);
      assert.match(re.stdout, /HALTED at webapp on lab1: .*gate http \/health on port 8080 of webapp failed/);
      assert.match(re.stdout, /GET \/health: 503/);
      assert.match(re.stdout, /last log lines of webapp on lab1/);
      assert.match(re.stdout, /untouched: lab2, lab3/);
      const after = await startTimes(d);
      assert.notEqual(after["lab1/webapp"], before["lab1/webapp"]);
      for (const h of ["lab2", "lab3"]) assert.equal(after[`${h}/webapp`], before[`${h}/webapp`], `${h} webapp did not restart`);
      assert.doesNotMatch(await onHost(d, "lab2", "cat /etc/lading/webapp/webapp.ini"), /port = 1$/m);
    } finally {
      restore();
      const r = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    assert.equal(await webappHealth("lab1"), 200);
  });

  it("with onFailure: revert, the failed host runs its old config again and is healthy; the others never restart", async () => {
    const before = await startTimes(d);
    const oldIni = await onHost(d, "lab1", "sha256sum /etc/lading/webapp/webapp.ini");
    const restore = webappRoleWith("revert");
    try {
      const re = await lading(["reconfigure", "-d", d.dir]);
      assert.equal(re.code, 1, re.stdout + re.stderr);
      assert.match(re.stdout, /reverted lab1: webapp runs its previous config and image again/);
      assert.match(re.stdout, /HALTED at webapp on lab1/);
      assert.equal(await onHost(d, "lab1", "sha256sum /etc/lading/webapp/webapp.ini"), oldIni);
      assert.equal(await webappHealth("lab1"), 200);
      const after = await startTimes(d);
      for (const h of ["lab2", "lab3"]) assert.equal(after[`${h}/webapp`], before[`${h}/webapp`], `${h} webapp did not restart`);
    } finally {
      restore();
    }
    // Back to the deployment as it was: nothing to do.
    const plan = await lading(["plan", "-d", d.dir]);
    assert.equal(plan.code, 0, plan.stdout);
  });

  it("reloads HAProxy's and keepalived's changed configurations on every host, no restart, while clients use the VIP (new and kept-alive connections): 0 failed requests", async () => {
    const before = await startTimes(d);
    const clients = vipClients();
    let stdout = "";
    let maxconn = "";
    let seen: Awaited<ReturnType<ReturnType<typeof vipClients>["stop"]>>;
    try {
      await withGlobal(d, "haproxy_max_connections", "3999", async () => {
        setGlobal(d, "keepalived_priority", "101");
        const re = await lading(["reconfigure", "-d", d.dir]);
        stdout = re.stdout;
        assert.equal(re.code, 0, re.stdout + re.stderr);
        maxconn = await onHost(d, "lab2", `docker exec haproxy sh -c 'echo "show info" | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock' | sed -n 's/^Maxconn: //p'`);
      });
    } finally {
      seen = await clients.stop();
    }
    process.stderr.write(`      (through the VIP during the reloads and back: ${seen.fresh} requests on new connections, ${seen.kept} on kept-alive ones (${seen.keptSockets} socket(s)), ${seen.failures.length} failed)\n`);
    for (const h of LAB_HOSTS) {
      assert.match(stdout, new RegExp(`changed ${h}: reload haproxy`), stdout);
      assert.match(stdout, new RegExp(`changed ${h}: reload keepalived`), stdout);
    }
    assert.doesNotMatch(stdout, /(restart|recreate) (haproxy|keepalived)/, stdout);
    assert.equal(maxconn.trim(), "3999", "the running HAProxy has the new maxconn");
    const after = await startTimes(d);
    for (const h of LAB_HOSTS) for (const c of ["haproxy", "keepalived"]) assert.equal(after[`${h}/${c}`], before[`${h}/${c}`], `${h}'s ${c} was not restarted`);
    assert.ok(seen.fresh > 20 && seen.kept > 20, `the clients made requests: ${seen.fresh} new, ${seen.kept} kept-alive`);
    assert.deepEqual(seen.failures, [], `failed requests through the VIP:\n${seen.failures.join("\n")}`);
  });

  it("refuses a Galera rollout while one node is down, naming it, and changes nothing", async () => {
    await onHost(d, "lab3", "docker stop mariadb");
    try {
      const before = await startTimes(d);
      const globals = join(d.dir, "globals.yml");
      const original = readFileSync(globals, "utf8");
      setGlobal(d, "mariadb_max_connections", "1300");
      try {
        const re = await lading(["reconfigure", "-d", d.dir]);
        assert.equal(re.code, 1, re.stdout + re.stderr);
        assert.match(re.stdout, /rollout refused: the mariadb cluster is already degraded: lab3 \(mariadb is exited\)/);
        assert.deepEqual(await startTimes(d), before);
        assert.doesNotMatch(await onHost(d, "lab1", "cat /etc/lading/mariadb/galera.cnf"), /max_connections = 1300/);
      } finally {
        writeFileSync(globals, original);
      }
    } finally {
      await onHost(d, "lab3", "docker start mariadb");
      await eventually("lab3 back in the Galera cluster", 300_000, async () => ((await galeraSize(d, "lab1")) === 3 ? true : undefined));
    }
  });
});
