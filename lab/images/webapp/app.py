"""The example web service lading deploys: it needs a database and a queue, and says whether it can reach them.

GET /health  -> 200 "ok" when SELECT 1 works and an AMQP connection opens, else 503 with the reason.
GET /        -> JSON {host, version, message, visits} after recording a visit and publishing a message.
GET /version -> the version baked into the image (APP_VERSION).
"""
import argparse
import configparser
import json
import os
import random
import signal
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
import pymysql

VERSION = os.environ.get("APP_VERSION", "unknown")


def load_config(path):
    config = configparser.ConfigParser(interpolation=None)
    if not config.read(path):
        sys.exit(f"webapp: cannot read config {path}")
    return config


class Backends:
    """Opens a fresh connection per request: the app stays stateless, and a failover behind HAProxy is seen at once."""

    def __init__(self, config):
        self.db = config["database"]
        self.mq = config["rabbitmq"]

    def database(self):
        return pymysql.connect(
            host=self.db["host"], port=int(self.db["port"]), user=self.db["user"],
            password=self.db["password"], database=self.db["name"], connect_timeout=3,
            read_timeout=5, write_timeout=5, autocommit=True,
        )

    def amqp(self):
        hosts = [h.strip() for h in self.mq["hosts"].split(",") if h.strip()]
        random.shuffle(hosts)  # spread clients over the cluster; try the others when one is down
        credentials = pika.PlainCredentials(self.mq["user"], self.mq["password"])
        last_error = None
        for entry in hosts:
            host, _, port = entry.rpartition(":")
            params = pika.ConnectionParameters(
                host=host, port=int(port), virtual_host=self.mq.get("vhost", "/"), credentials=credentials,
                socket_timeout=3, blocked_connection_timeout=3, connection_attempts=1,
            )
            try:
                return pika.BlockingConnection(params)
            except Exception as error:  # noqa: BLE001 - any failure means: try the next node
                last_error = error
        raise ConnectionError(f"no RabbitMQ node reachable ({last_error!r})")

    def check(self):
        with self.database() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        self.amqp().close()

    def visit(self, host):
        with self.database() as conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS visits ("
                " id BIGINT AUTO_INCREMENT PRIMARY KEY, host VARCHAR(255) NOT NULL,"
                " at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB"
            )
            cur.execute("INSERT INTO visits (host) VALUES (%s)", (host,))
            cur.execute("SELECT COUNT(*) FROM visits")
            (count,) = cur.fetchone()
        connection = self.amqp()
        try:
            channel = connection.channel()
            channel.queue_declare(queue=self.mq["queue"], durable=True, arguments={"x-queue-type": "quorum"})
            channel.basic_publish(exchange="", routing_key=self.mq["queue"], body=json.dumps({"host": host}).encode())
        finally:
            connection.close()
        return count


def make_handler(config, backends):
    message = config["app"].get("message", "")
    host = socket.gethostname()

    class Handler(BaseHTTPRequestHandler):
        server_version = f"lading-webapp/{VERSION}"

        def reply(self, status, body, content_type="text/plain; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path == "/health":
                try:
                    backends.check()
                except Exception as error:  # noqa: BLE001 - the reason is the answer
                    self.reply(503, f"unhealthy: {error}\n")
                else:
                    self.reply(200, "ok\n")
            elif path == "/version":
                self.reply(200, VERSION + "\n")
            elif path == "/":
                try:
                    visits = backends.visit(host)
                except Exception as error:  # noqa: BLE001
                    self.reply(503, f"unavailable: {error}\n")
                    return
                body = {"host": host, "version": VERSION, "message": message, "visits": visits}
                self.reply(200, json.dumps(body) + "\n", "application/json")
            else:
                self.reply(404, "not found\n")

        def log_message(self, fmt, *args):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    return Handler


def main():
    parser = argparse.ArgumentParser(description="lading's example web service")
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    config = load_config(args.config)
    backends = Backends(config)
    server = ThreadingHTTPServer((config["http"]["bind"], int(config["http"]["port"])), make_handler(config, backends))
    server.daemon_threads = True
    certfile = config["http"].get("certfile", "")
    if certfile:
        # tls_internal: HTTPS on this port with the backends' certificate (HAProxy verifies it against the CA).
        # The handshake runs in each request's thread (at its first read), never in the accepting loop.
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(certfile, config["http"]["keyfile"])
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    # As PID 1 the process gets no default action for SIGTERM: without a handler `docker stop` would wait out
    # the stop timeout and kill it. Requests in flight finish; the server stops taking new ones.
    def stop(signum, _frame):
        print(f"webapp {VERSION} stopping on signal {signum}", file=sys.stderr, flush=True)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheme = "https" if certfile else "http"
    print(f"webapp {VERSION} listening on {scheme}://{config['http']['bind']}:{config['http']['port']}", file=sys.stderr, flush=True)
    server.serve_forever()
    server.server_close()
    print(f"webapp {VERSION} stopped", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
