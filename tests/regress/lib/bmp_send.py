#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Play BMP streams into a listener as routers would: one TCP connection
per file, all at once, each from its own loopback source address, the
bytes written in random-sized chunks (1 byte .. 8 KiB, seeded) with short
random pauses, so messages are split at arbitrary points.

usage: bmp_send.py PORT SRC=FILE [SRC=FILE ...] [--seed N]
"""
import random
import socket
import sys
import threading
import time


def play(port, src, path, seed, errors):
    rnd = random.Random(seed)
    try:
        with open(path, "rb") as f:
            data = f.read()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        off = 0
        while off < len(data):
            n = rnd.choice([1, 2, 5, 6, 7, 41, 42, 43, 100, 1000, 8192,
                            rnd.randint(1, 8192)])
            s.sendall(data[off:off + n])
            off += n
            if rnd.random() < 0.05:
                time.sleep(rnd.random() * 0.01)
        s.shutdown(socket.SHUT_WR)
        # wait for the listener to close its side: everything was read
        s.settimeout(30)
        while s.recv(4096):
            pass
        s.close()
    except Exception as e:  # reported by the caller
        errors.append("%s %s: %s" % (src, path, e))


def main(argv):
    port = int(argv[1])
    seed = 1
    jobs = []
    i = 2
    while i < len(argv):
        if argv[i] == "--seed":
            seed = int(argv[i + 1])
            i += 2
            continue
        src, path = argv[i].split("=", 1)
        jobs.append((src, path))
        i += 1
    errors = []
    ts = [threading.Thread(target=play, args=(port, src, path, seed + k, errors))
          for k, (src, path) in enumerate(jobs)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for e in errors:
        print("bmp_send: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
