#!/usr/bin/python3
"""localuser.py - what an unprivileged local user may do to pghad's control
socket, for t_local.sh (run as nobody inside a node).

    localuser.py squat ADDR STOP
        listen on ADDR ("@name": abstract) first; print "listening", then
        one line "got <bytes>" per request received (answered with a fake
        ok), until the file STOP exists.
    localuser.py hold ADDR N STOP
        open N connections to ADDR and send nothing; print "open K" (K the
        number connected), then "reply <start>" for what pghad sends and
        "closed M" each time it closes one, until STOP exists.
    localuser.py follow ADDR N STOP
        like hold, but each sends {"cmd":"events","follow":true}.

Each stops by itself after 170 s (the lab test's bound).
"""
import json
import os
import select
import socket
import sys
import time

LIFETIME = 170


def addr(a):
    return "\0" + a[1:] if a.startswith("@") else a


def say(*args):
    print(*args, flush=True)


def squat(a, stop):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(addr(a))
    s.listen(16)
    say("listening")
    end = time.monotonic() + LIFETIME
    while time.monotonic() < end and not os.path.exists(stop):
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        c, _ = s.accept()
        c.settimeout(2)
        try:
            data = c.recv(65536)
            if not data:
                say("connected, nothing sent")
                c.close()
                continue
            say("got", data.decode(errors="replace").strip())
            c.sendall(json.dumps({"ok": True, "nodes": [], "groups": []})
                      .encode() + b"\n")
        except OSError:
            pass
        c.close()


def hold(a, n, stop, req=None):
    conns = []
    for _ in range(n):
        # Blocking: a full backlog waits for pghad to accept.
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(addr(a))
            if req is not None:
                c.sendall(req)
        except OSError as e:
            say("connect:", e)
            c.close()
            continue
        conns.append(c)
    say("open", len(conns))
    live = list(conns)
    closed = 0
    end = time.monotonic() + LIFETIME
    while time.monotonic() < end and not os.path.exists(stop):
        if not live:
            time.sleep(0.1)
            continue
        r, _, _ = select.select(live, [], [], 0.1)
        for c in r:
            try:
                data = c.recv(65536)
            except OSError:
                data = b""
            if data:
                # The start of what pghad said (history, an error).
                line = data.split(b"\n")[0].decode(errors="replace")
                say("reply", line[:200])
                continue
            if not data:
                live.remove(c)
                closed += 1
                say("closed", closed)


def main():
    cmd = sys.argv[1]
    if cmd == "squat":
        squat(sys.argv[2], sys.argv[3])
    elif cmd == "hold":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "follow":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4],
             b'{"cmd":"events","follow":true}\n')
    else:
        sys.exit("usage: localuser.py squat|hold|follow ...")


main()
