#!/usr/bin/env python3
"""sd_listen.py SOCKET LOG [--stop-on-ready]: a systemd notify socket.

What systemd's side of sd_notify(3) does, for the lab: binds an AF_UNIX
datagram socket at SOCKET (the NOTIFY_SOCKET a daemon is given) and writes
each datagram's assignments to LOG, one "MS PID KEY=VALUE" line each, MS
the wall clock in ms and PID the sender's as the kernel reports it
(SCM_CREDENTIALS, in the listener's pid namespace: the host pid), as
systemd learns it for NotifyAccess=main.  Bound at a node's
/run/systemd/journal/socket it stands in for journald: sd_journal_send(3)
sends KEY=VALUE lines in a datagram too (values without a newline).

--stop-on-ready: the sender of READY=1 is frozen (SIGSTOP) before its line
is written, so that a test sees the cluster as it was when the daemon said
it was ready; the test thaws it (SIGCONT).  Runs until SIGTERM.
"""
import os
import signal
import socket
import struct
import sys
import time


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and
                                       sys.argv[3] != "--stop-on-ready"):
        sys.exit(__doc__)
    path, log = sys.argv[1], sys.argv[2]
    stop_on_ready = len(sys.argv) == 4
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ucred = struct.calcsize("3i")
    with open(log, "a", buffering=1) as out:
        while True:
            data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(ucred))
            pid = 0
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and \
                        typ == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", cdata[:ucred])[0]
            lines = data.decode("utf-8", "replace").split("\n")
            if stop_on_ready and "READY=1" in lines and pid > 0:
                os.kill(pid, signal.SIGSTOP)
            ms = int(time.time() * 1000)
            for line in lines:
                if line:
                    out.write("%d %d %s\n" % (ms, pid, line))


if __name__ == "__main__":
    main()
