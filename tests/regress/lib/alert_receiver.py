#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A webhook and syslog receiver for tests/regress/alerts.sh (stdlib only).

Stays down (port closed, syslog socket absent) until the file named by
--wait-for contains the text --wait-text and --min-down seconds have passed,
then listens on 127.0.0.1:PORT and on the unix datagram socket SYSLOG.
Every HTTP request and every syslog datagram is appended to OUT as one
JSON object.  Answers, per path: /hook and /slack fail with 500, then 429
with Retry-After: RETRY_AFTER, then 503, and then always 200; /reject always
400; any other path 200.  Without --wait-for it is up at once.  Runs until
killed.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--syslog", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--wait-for")
ap.add_argument("--wait-text", default="")
ap.add_argument("--min-down", type=float, default=3)
ap.add_argument("--retry-after", type=int, default=2)
args = ap.parse_args()

lock = threading.Lock()
counts = {}
out = open(args.out, "a")


def record(obj):
    with lock:
        out.write(json.dumps(obj) + "\n")
        out.flush()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        with lock:
            i = counts.get(self.path, 0)
            counts[self.path] = i + 1
        extra = {}
        if self.path == "/reject":
            status = 400
        elif self.path not in ("/hook", "/slack"):
            status = 200
        elif i == 0:
            status = 500
        elif i == 1:
            status = 429
            extra["Retry-After"] = str(args.retry_after)
        elif i == 2:
            status = 503
        else:
            status = 200
        record({"kind": "http", "t": time.time(), "path": self.path,
                "status": status,
                "key": self.headers.get("Idempotency-Key"),
                "content_type": self.headers.get("Content-Type"),
                "body": body})
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


start = time.time()
record({"kind": "down", "t": start})
while args.wait_for:
    try:
        with open(args.wait_for) as f:
            if args.wait_text in f.read() and time.time() - start >= args.min_down:
                break
    except OSError:
        pass
    time.sleep(0.1)

try:
    os.unlink(args.syslog)
except OSError:
    pass
sl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sl.bind(args.syslog)


def syslog_loop():
    while True:
        data = sl.recv(65536)
        record({"kind": "syslog", "t": time.time(),
                "msg": data.decode("utf-8", "replace")})


threading.Thread(target=syslog_loop, daemon=True).start()
ThreadingHTTPServer.allow_reuse_address = True
srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
record({"kind": "up", "t": time.time()})
print("up", flush=True)
srv.serve_forever()
