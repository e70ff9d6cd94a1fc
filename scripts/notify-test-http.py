#!/usr/bin/python3
"""HTTP and HTTPS receivers for SiloNotify's tests (scripts/notify-test-servers.sh starts it).

Usage: notify-test-http.py DIR HTTP_PORT HTTPS_PORT

Both listen on 127.0.0.1 (HTTPS with DIR/tls/server.pem, CA DIR/tls/ca.pem) and record every
request as DIR/http/<ns>-<seq>.json: server, method, path (with the query), headers (a list of
[name, value]), body_base64, status (what was answered). Written to a temporary name and
renamed, so a reader never sees half a file. What a path answers:
  /fail-N/...     500 the first N times this exact path is asked, then 200 (retry tests)
  /status/NNN/... always NNN
  /delay-MS/...   200 after MS milliseconds (timeout tests)
  anything else   200 "ok"
"""
import base64
import json
import os
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

directory, http_port, https_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
http_dir = os.path.join(directory, "http")
os.makedirs(http_dir, exist_ok=True)
lock = threading.Lock()
counts = {}
sequence = [0]


class Handler(BaseHTTPRequestHandler):
    server_version = "silo-notify-test"

    def setup(self):
        super().setup()
        # The TLS handshake here, in the request's thread: in accept() a client that never
        # finishes it would stall every other connection.
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, ConnectionError, OSError) as error:
                self.handshake_failed = error

    handshake_failed = None

    def handle(self):
        if self.handshake_failed is not None:
            sys.stderr.write("%s: TLS handshake failed: %s\n" % (self.server.name, self.handshake_failed))
            self.close_connection = True
            return
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, OSError) as error:
            # A port probe, or a client that refused our certificate (the wrong-CA tests).
            sys.stderr.write("%s: connection dropped: %s\n" % (self.server.name, error))

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.server.name, format % args))

    def answer(self):
        path = self.path.split("?", 1)[0]
        match = re.match(r"^/fail-(\d+)(/|$)", path)
        if match:
            with lock:
                counts[path] = counts.get(path, 0) + 1
                seen = counts[path]
            return (500, b"simulated failure\n") if seen <= int(match.group(1)) else (200, b"ok\n")
        match = re.match(r"^/status/(\d{3})(/|$)", path)
        if match:
            return int(match.group(1)), b"simulated status\n"
        match = re.match(r"^/delay-(\d+)(/|$)", path)
        if match:
            time.sleep(int(match.group(1)) / 1000)
        return 200, b"ok\n"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, reply = self.answer()
        with lock:
            sequence[0] += 1
            name = "%d-%d.json" % (time.time_ns(), sequence[0])
        record = {
            "server": self.server.name,
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_base64": base64.b64encode(body).decode(),
            "status": status,
            "received": time.time(),
        }
        tmp = os.path.join(http_dir, "." + name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(http_dir, name))
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = handle_any


def serve(port, name, tls):
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.name = name
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.path.join(directory, "tls", "server.pem"), os.path.join(directory, "tls", "server.key"))
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    return server


servers = [serve(http_port, "http", False), serve(https_port, "https", True)]
threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
for t in threads:
    t.start()
print("http receiver on 127.0.0.1:%d, https on 127.0.0.1:%d" % (http_port, https_port), flush=True)
for t in threads:
    t.join()
