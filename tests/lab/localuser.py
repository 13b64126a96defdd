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
    localuser.py send ADDR N STOP REQUEST
        like hold, but each sends REQUEST (a JSON line).
    localuser.py noread ADDR N STOP REQUEST
        open N connections, send REQUEST on each and read nothing; print
        "answered K" as K of them have something to read; once STOP
        exists, print "first <start>" for what each holds, then exit.
    localuser.py leave ADDR N REQUEST
        N times: connect, send REQUEST, close at once; print "left N".
    localuser.py seq ADDR N REQUEST
        N times, one after the other: send REQUEST, read the whole
        answer; print "reply <start>" for each.
    localuser.py ask ADDR REQUEST
        send REQUEST (exactly as given, a newline or not), shut the write
        side (as nc -N or socat do), read to the end of file; print
        "bytes <n>" and "first <start>".

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


def noread(a, n, stop, req):
    conns = []
    for _ in range(n):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr(a))
        c.sendall(req)
        conns.append(c)
    say("open", len(conns))
    said = 0
    end = time.monotonic() + LIFETIME
    while time.monotonic() < end and not os.path.exists(stop):
        r, _, _ = select.select(conns, [], [], 0.1)
        if len(r) > said:
            said = len(r)
            say("answered", said)
    for c in conns:
        c.settimeout(5)
        try:
            data = c.recv(256)
        except OSError:
            data = b""
        say("first", data.split(b"\n")[0].decode(errors="replace")[:200])


def leave(a, n, req):
    for _ in range(n):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr(a))
        c.sendall(req)
        c.close()
    say("left", n)


def seq(a, n, req):
    for _ in range(n):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(30)
        c.connect(addr(a))
        c.sendall(req)
        data = b""
        while not data.endswith(b"\n"):
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
        say("reply", data.split(b"\n")[0].decode(errors="replace")[:200])


def ask(a, req):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(30)
    c.connect(addr(a))
    c.sendall(req)
    c.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        try:
            d = c.recv(65536)
        except OSError as e:
            say("recv:", e)
            break
        if not d:
            break
        data += d
    say("bytes", len(data))
    say("first", data.split(b"\n")[0].decode(errors="replace")[:200])


def main():
    cmd = sys.argv[1]
    if cmd == "squat":
        squat(sys.argv[2], sys.argv[3])
    elif cmd == "hold":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "follow":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4],
             b'{"cmd":"events","follow":true}\n')
    elif cmd == "send":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4],
             sys.argv[5].encode() + b"\n")
    elif cmd == "noread":
        noread(sys.argv[2], int(sys.argv[3]), sys.argv[4],
               sys.argv[5].encode() + b"\n")
    elif cmd == "leave":
        leave(sys.argv[2], int(sys.argv[3]), sys.argv[4].encode() + b"\n")
    elif cmd == "seq":
        seq(sys.argv[2], int(sys.argv[3]), sys.argv[4].encode() + b"\n")
    elif cmd == "ask":
        ask(sys.argv[2], sys.argv[3].encode().decode("unicode_escape")
            .encode())
    else:
        sys.exit("usage: localuser.py squat|hold|follow|send|noread|"
                 "leave|seq|ask ...")


main()
