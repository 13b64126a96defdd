#!/bin/bash
# pghad as systemd runs it (Type=notify, WatchdogSec): node2's pghad is
# started with NOTIFY_SOCKET pointing at a real datagram listener
# (sd_listen.py) and WATCHDOG_USEC/WATCHDOG_PID set as systemd sets them.
# STATUS lines say what it waits for; READY=1 comes only once node2 is
# joined (the listener freezes pghad on READY=1 and node1 must then see
# node2 online); WATCHDOG=1 keeps coming; SIGTERM sends STOPPING=1 first,
# the group moves to node1 and pghad exits 0; a pghad killed with SIGKILL
# and started again (Restart=on-failure) sends READY=1 again and the group
# stays where it ran, on the same postmaster.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

SOCK=$LAB_DIR/node2/notify.sock
NLOG=$OUT_DIR/t_systemd_notify.notify
JLOG=$OUT_DIR/t_systemd_notify.journal
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
LISTENER=
PGHAD_JOB=

cleanup() {
	local c
	[[ -n $LISTENER ]] && kill -TERM "$LISTENER" 2>/dev/null
	"$LAB" exec node2 sh -c 'kill $(cat /run/pgha-test-journald.pid)' \
	    2>/dev/null
	# A failure while pghad was frozen must not leave nsenter stopped.
	if [[ -n $PGHAD_JOB ]]; then
		for c in $(cat /proc/"$PGHAD_JOB"/task/*/children 2>/dev/null); do
			kill -CONT "$c" 2>/dev/null
		done
	fi
	on_fail_dump
}
trap cleanup EXIT

# Start node2's pghad as systemd would: NOTIFY_SOCKET, WATCHDOG_USEC (1 s:
# a keep-alive every 500 ms) and WATCHDOG_PID, its own pid in its node.
# It stays a child of this script (through lab exec) for its exit code.
# JSTREAM set: JOURNAL_STREAM too, naming its log file as systemd names
# the journal's stream.
start_notified() {
	local js=()
	[[ -n ${JSTREAM:-} ]] &&
	    js=(JOURNAL_STREAM="$(stat -c '%d:%i' "$LAB_DIR/node2/pghad.log")")
	env "${js[@]}" NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=1000000 \
	    "$LAB" exec node2 \
	    /bin/sh -c 'export WATCHDOG_PID=$$; exec "$@"' sh \
	    "$PGHA_BUILD/pghad" -d -f "$LAB_DIR/pgha.conf" \
	    >>"$LAB_DIR/node2/pghad.log" 2>&1 </dev/null &
	PGHAD_JOB=$!
}

nlines() { wc -l <"$NLOG"; }
# The pid that sent READY=1 after line N of the listener's log.
ready_after() { tail -n +"$(( $1 + 1 ))" "$NLOG" | awk '$3 == "READY=1" { print $2; exit }'; }
has_ready_after() { [[ -n $(ready_after "$1") ]]; }
# Assignments of pid PID after line N, without the keep-alives.
said() {	# said N PID
	tail -n +"$(( $1 + 1 ))" "$NLOG" |
	    awk -v p="$2" '$2 == p && $3 != "WATCHDOG=1" { $1 = $2 = ""; sub(/^  /, ""); print }'
}
pings() { awk -v p="$1" '$2 == p && $3 == "WATCHDOG=1"' "$NLOG" | wc -l; }
more_pings() { (( $(pings "$1") >= $2 )); }
said_status() { said "$1" "$2" | grep -qxF "STATUS=$3"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
stopped() { [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == T ]]; }

# Thaw pghad frozen by the listener.  nsenter, its parent, mirrors its
# child's job control: it stops itself in turn, and on SIGCONT resumes
# the child; left stopped it would never reap pghad.
thaw() {	# thaw PID
	local ppid
	ppid=$(awk '{ print $4 }' "/proc/$1/stat")
	wait_until 10 stopped "$ppid" || true
	kill -CONT "$ppid" "$1"
}

# Start node2's pghad notified from line N on; wait for READY=1 (pghad
# frozen by the listener), check what node1 sees at that moment, thaw
# it.  Sets PID (host pid of the new pghad).
start_and_wait_ready() {	# start_and_wait_ready WHAT
	local n
	n=$(nlines)
	start_notified
	PID=
	if ! wait_until 90 has_ready_after "$n"; then
		not_ok "$1: READY=1 arrives"
		return 1
	fi
	PID=$(ready_after "$n")
	ok "$1: READY=1 arrives (pghad pid $PID)"
	check "$1: at READY=1 (pghad frozen there) node1 sees node2 online" \
	    wait_until 10 node_is node1 node2 online
	thaw "$PID"
	check "$1: node2's own status shows it online" \
	    wait_until 10 node_is node2 node2 online
	START_LINE=$n
}

lab_fresh
check "db1 online on node1" online_on node1
: >"$NLOG"
: >"$JLOG"
"$PYTHON" "$LAB_TESTS_DIR/sd_listen.py" "$SOCK" "$NLOG" --stop-on-ready \
    2>"$OUT_DIR/t_systemd_notify.listener" &
LISTENER=$!
check "the notify listener is bound" wait_until 10 test -S "$SOCK"

# node2 runs nothing: its lab-started pghad stops at once.
lab_pghad2=$(cat "$LAB_DIR/node2/pghad.pid")
kill -TERM "$lab_pghad2"
check "node2's lab pghad stopped" wait_until 30 gone "$lab_pghad2"
check "node1 sees node2 offline" wait_until 30 node_is node1 node2 offline

# --- start: STATUS while it waits, READY=1 once joined ----------------
start_and_wait_ready "first start" || { done_testing; exit 1; }
before=$(said "$START_LINE" "$PID" | sed -n '/^READY=1$/q; s/^STATUS=//p' |
    tr '\n' '|')
echo "# STATUS before READY: $before"
[[ $before == "waiting for corosync|probing local resources|joining the cluster"* ]] &&
    ok "STATUS says what it waits for, in order: corosync, probe, join" ||
    not_ok "STATUS says what it waits for, in order: corosync, probe, join"
check "READY=1 comes with STATUS=quorate; running no group; 2 members" \
    said_status "$START_LINE" "$PID" "quorate; running no group; 2 members"
is "$(said "$START_LINE" "$PID" | grep -c '^READY=1$')" 1 "READY=1 once"

n0=$(pings "$PID")
check "WATCHDOG=1 keeps arriving (3 more keep-alives)" \
    wait_until 10 more_pings "$PID" $(( n0 + 3 ))
is "$(awk '$3 == "WATCHDOG=1" { print $2 }' "$NLOG" | sort -u)" "$PID" \
    "every keep-alive comes from pghad's main pid"

pgha_on node1 group move db1 --to node2 >/dev/null
check "db1 moved to node2" wait_online_on node2 node1 60
check "STATUS says node2 runs db1" wait_until 10 \
    said_status "$START_LINE" "$PID" "quorate; running db1; 2 members"

# --- SIGTERM: STOPPING=1 first, the group moves away, exit 0 ----------
n=$(nlines)
kill -TERM "$PID"
check "db1 moved back to node1" wait_online_on node1 node1 60
check "node2's pghad exits" wait_until 60 gone "$PID"
wait "$PGHAD_JOB"
is "$?" 0 "pghad exits 0 after SIGTERM"
first=$(said "$n" "$PID" | head -2 | tr '\n' '|')
is "$first" "STOPPING=1|STATUS=stopping: moving groups away; running db1|" \
    "first after SIGTERM: STOPPING=1, while db1 still runs here"
check "then STATUS: every group gone from node2" \
    said_status "$n" "$PID" "stopping: moving groups away; running no group"

# --- SIGKILL and start again: READY again, the group stays ------------
start_and_wait_ready "second start" || { done_testing; exit 1; }
pgha_on node1 group move db1 --to node2 >/dev/null
check "db1 moved to node2 again" wait_online_on node2 node1 60
pid0=$(postmaster_pid node2)
kill -KILL "$PID"
wait "$PGHAD_JOB"
is "$?" 137 "pghad killed with SIGKILL"
check "node1 sees node2's pghad down" wait_until 30 \
    node_is node1 node2 daemon-down
old=$PID
# This time stderr is "the journal": JOURNAL_STREAM names it, and a
# stand-in journald (sd_listen.py: the journal's native protocol is
# KEY=VALUE lines in a datagram too) listens on node2's
# /run/systemd/journal/socket.
logl=$(wc -l <"$LAB_DIR/node2/pghad.log")
"$LAB" exec node2 sh -c 'mkdir -p /run/systemd/journal &&
    echo $$ >/run/pgha-test-journald.pid && exec "$@"' sh \
    "$PYTHON" "$LAB_TESTS_DIR/sd_listen.py" /run/systemd/journal/socket "$JLOG" \
    2>>"$OUT_DIR/t_systemd_notify.listener" &
check "the stand-in journald is bound" wait_until 10 \
    "$LAB" exec node2 test -S /run/systemd/journal/socket
JSTREAM=1 start_and_wait_ready "after SIGKILL, started again" ||
    { done_testing; exit 1; }
# FIELD... that follow MESSAGE=M in the same datagram, as sent.
fields_of() {	# fields_of M
	awk -v m="MESSAGE=$1" 'k && $1 == t && $3 !~ /^MESSAGE=/ {
		print $3; next } { k = 0 }
	    index($0, m) && $3 ~ /^MESSAGE=/ { k = 1; t = $1 }' "$JLOG" |
	    tr '\n' ' '
}
is "$(fields_of "[main] pghad starting on node2")" \
    "PRIORITY=5 PGHA_SUBSYSTEM=main SYSLOG_IDENTIFIER=pghad " \
    "journal: a notice with its priority, subsystem and identifier"
is "$(fields_of "[systemd] joined the cluster: told systemd")" \
    "PRIORITY=6 PGHA_SUBSYSTEM=systemd SYSLOG_IDENTIFIER=pghad " \
    "journal: an info line, priority 6"
is "$(tail -n +"$(( logl + 1 ))" "$LAB_DIR/node2/pghad.log" | wc -l)" 0 \
    "journal: nothing of it on stderr"
check "a new pghad sent it" test "$PID" != "$old"
check "READY=1 comes with db1 adopted: running db1" \
    said_status "$START_LINE" "$PID" "quorate; running db1; 2 members"
check "db1 still online on node2" online_on node2 node1
is "$(postmaster_pid node2)" "$pid0" "the same postmaster still runs"
check "db1 was not started on node1" holds_none node1
done_testing
