#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A misbehaving archive mirror for tests/regress/fetch.sh (stdlib only).

Serves DIR on 127.0.0.1:PORT like data.ris.ripe.net or
archive.routeviews.org do (directory index pages, files), with HTTP Range
support (206 + Content-Range), and these faults, each for URL paths
matching a given suffix:

  --missing SUFFIX    404 although the file exists (and is listed)
  --truncate SUFFIX   first GET: full Content-Length, half the body, close
  --hang SUFFIX       first GET: headers, then silence for --hang-seconds
                      (the client must time out)
  --stall SUFFIX      first GET: wait until the file --release exists (at
                      most 60 s), then answer
  --fail5xx SUFFIX    first GET: 503
  --norange SUFFIX    Range ignored: always 200 and the whole file
  --delay SECONDS     bind only after this long (a server down at first)

Every request is logged to --log as "METHOD PATH RANGE STATUS".  The
server exits by itself after --lifetime seconds (600), should the test
that started it fail to stop it.
"""
import argparse
import http.server
import os
import socketserver
import sys
import threading
import time

lock = threading.Lock()
seen = {}


def first_time(kind, path):
    with lock:
        k = (kind, path)
        n = seen.get(k, 0)
        seen[k] = n + 1
        return n == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--missing", action="append", default=[])
    ap.add_argument("--truncate", action="append", default=[])
    ap.add_argument("--hang", action="append", default=[])
    ap.add_argument("--fail5xx", action="append", default=[])
    ap.add_argument("--norange", action="append", default=[])
    ap.add_argument("--stall", action="append", default=[])
    ap.add_argument("--release", default="")
    ap.add_argument("--hang-seconds", type=float, default=30)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--lifetime", type=float, default=600)
    a = ap.parse_args()
    logf = open(a.log, "a", buffering=1)

    def match(lst, path):
        return any(path.endswith(s) for s in lst)

    class H(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def __init__(self, *args, **kw):
            super().__init__(*args, directory=a.dir, **kw)

        def log_message(self, fmt, *args):
            pass

        def note(self, status):
            logf.write("%s %s %s %s\n" % (self.command, self.path,
                       self.headers.get("Range", "-"), status))

        def do_GET(self):
            path = self.path.split("?")[0]
            fs = os.path.join(a.dir, path.lstrip("/"))
            if os.path.isdir(fs):
                self.note(200)
                return super().do_GET()
            if match(a.missing, path) or not os.path.isfile(fs):
                self.note(404)
                self.send_error(404)
                return
            if match(a.fail5xx, path) and first_time("5xx", path):
                self.note(503)
                self.send_error(503)
                return
            data = open(fs, "rb").read()
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-") \
                    and not match(a.norange, path):
                start = int(rng[6:-1])
                if start >= len(data):
                    self.note(416)
                    self.send_error(416)
                    return
            body = data[start:]
            status = 206 if start else 200
            if match(a.hang, path) and first_time("hang", path):
                self.note("%d-hang" % status)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                time.sleep(a.hang_seconds)
                self.close_connection = True
                return
            if match(a.stall, path) and first_time("stall", path):
                for _ in range(1200):
                    if os.path.exists(a.release):
                        break
                    time.sleep(0.05)
            trunc = match(a.truncate, path) and first_time("trunc", path)
            self.note("%d%s" % (status, "-truncated" if trunc else ""))
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" %
                                 (start, len(data) - 1, len(data)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if trunc:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            pass  # clients that hang up (timeouts) are expected here

    t = threading.Timer(a.lifetime, os._exit, [0])
    t.daemon = True
    t.start()
    if a.delay:
        time.sleep(a.delay)
    srv = S(("127.0.0.1", a.port), H)
    logf.write("LISTENING %d\n" % a.port)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
