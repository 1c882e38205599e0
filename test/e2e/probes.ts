// Clients that run on the lab during end-to-end tests (in lab1's webapp container, which has python3, pymysql
// and pika): a writer through the VIP and the helpers that start and stop a probe.
import { labExec } from "../../src/lab/index.js";

/** What GALERA_WRITER prints: the ids acknowledged, the attempts, failures and the longest pause between acks. */
export interface WriterReport {
  acked: number[];
  attempts: number;
  errors: number;
  longest_pause_s: number;
  messages: string[];
}

/** The client runs in lab1's webapp container (python3, pymysql, pika), reading its credentials from webapp.ini. */
export const CLIENT_HOST = "lab1";
export const STOP_FILE = "/tmp/lading-rollout-probe.stop";

// Writes one row per iteration through the VIP until the stop file appears; prints what was acknowledged.
export const GALERA_WRITER = `
import configparser, json, os, sys, time, pymysql
table, stop, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
cfg = configparser.ConfigParser(); cfg.read("/etc/webapp/webapp.ini"); db = cfg["database"]
def connect():
    return pymysql.connect(host=db["host"], port=int(db["port"]), user=db["user"], password=db["password"], database=db["name"], autocommit=True, connect_timeout=3, read_timeout=5, write_timeout=5)
conn = connect()
with conn.cursor() as c:
    c.execute("DROP TABLE IF EXISTS " + table)
    c.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY) ENGINE=InnoDB")
acked, errors, i, start = [], 0, 0, time.time()
last_ok, longest, messages = time.time(), 0.0, []
while not os.path.exists(stop) and time.time() - start < limit:
    try:
        if conn is None:
            conn = connect()
        with conn.cursor() as c:
            c.execute("INSERT INTO " + table + " (id) VALUES (%s)", (i,))
        now = time.time(); longest = max(longest, now - last_ok); last_ok = now; acked.append(i)
    except Exception as e:
        errors += 1
        if len(messages) < 5: messages.append(str(e)[:120])
        try: conn.close()
        except Exception: pass
        conn = None; time.sleep(0.2)
    i += 1
    time.sleep(0.05)
print(json.dumps({"acked": acked, "attempts": i, "errors": errors, "longest_pause_s": round(longest, 2), "messages": messages}))
`;


/** Starts a probe script in the client's webapp container; resolves with its JSON report once stopped. */
export function startProbe<T>(script: string, args: string[]): Promise<T> {
  return (async () => {
    await labExec(CLIENT_HOST, ["docker", "exec", "webapp", "rm", "-f", STOP_FILE]);
    const r = await labExec(CLIENT_HOST, ["docker", "exec", "-i", "webapp", "python3", "-", ...args], { input: script });
    if (r.code !== 0) throw new Error(`probe failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
  })();
}

export async function stopProbe(): Promise<void> {
  await labExec(CLIENT_HOST, ["docker", "exec", "webapp", "touch", STOP_FILE]);
}

