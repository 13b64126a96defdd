#!/bin/bash
# Local users who are not admins send {"cmd":"events"} in a loop without
# waiting for the answer (each makes every node multicast up to 128 KiB)
# while the node running db1 loses power.
# The state messages failover depends on go ahead of those replies and
# the replies waiting are bounded: db1 fails over, nothing acknowledged
# is lost, and the survivor's pghad stays small.  Prints the failover
# (the client's longest gap) without and with the flood, and pghad's
# resident size, for comparison with the unchanged code.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap 'touch "$STOP"; on_fail_dump' EXIT

FLOODERS=2
FLOOD_S=60	# each user floods this long (or until $STOP)
FLOOD_MIN=1000	# requests sent before the power loss
# Set: each user reads every answer before asking again (a script that
# polls `pgha events` in a loop), rather than leaving at once.
FLOOD_READ=${FLOOD_READ:-}
# Set: each user only spins on the CPU, never touching pghad: what the
# same CPU load costs a failover without a single request.
FLOOD_SPIN=${FLOOD_SPIN:-}
STOP=$OUT_DIR/flood.stop

rss_kb() {	# rss_kb NODE: resident KiB of NODE's pghad
	awk '/^VmRSS:/ { print $2 }' \
	    "/proc/$(cat "$LAB_DIR/$1/pghad.pid")/status" 2>/dev/null
}

# Every node's event log holds about 1,000 events, so that each node's
# reply to `pgha events` is as large as a reply gets.
seed_events() {	# seed_events NODE
	local f=$LAB_DIR/$1/var-lib-pgha/events.jsonl line i
	"$LAB" kill-pghad "$1" >/dev/null
	line=$(tail -1 "$f")
	# Distinct events (nodes drop the same event seen twice).
	for (( i = 0; i < 1000; i++ )); do
		echo "${line/\"cause\":\"/\"cause\":\"seeded $1 $i: }"
	done >>"$f"
	"$LAB" start-pghad "$1" >/dev/null
}

# flood_start NODE: FLOODERS users (nobody), each sending {"cmd":"events"}
# on the control socket and leaving without reading (or reading the
# answer, with FLOOD_READ), as fast as it can: every request asked makes
# every node multicast its reply.
flood_start() {
	local i read=False
	local spin=False
	[[ -n $FLOOD_READ ]] && read=True
	[[ -n $FLOOD_SPIN ]] && spin=True
	rm -f "$STOP"
	for (( i = 1; i <= FLOODERS; i++ )); do
		"$LAB" exec "$1" setpriv --reuid=65534 --regid=65534 \
		    --clear-groups /usr/bin/python3 -c "
import os, socket, time
end = time.monotonic() + $FLOOD_S
n = 0
while time.monotonic() < end:
    if os.path.exists('$STOP'):
        break
    if $spin:
        n += 1
        if n % 10000 == 0:
            print(flush=True)
        continue
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect('/run/pgha/pgha.sock')
        s.sendall(b'{\"cmd\": \"events\"}\\n')
        while $read and s.recv(65536):
            pass
        print(flush=True)
    except OSError:
        pass
    s.close()
" >"$OUT_DIR/flood$i.count" 2>/dev/null &
	done
}

cpu_ms() {	# cpu_ms NODE DAEMON: CPU time DAEMON (pghad, corosync) used so far
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' \
	    "/proc/$(cat "$LAB_DIR/$1/$2.pid")/stat" 2>/dev/null
}

flood_count() { cat "$OUT_DIR"/flood*.count 2>/dev/null | wc -l; }
flooding() { (( $(flood_count) >= FLOOD_MIN )); }

events_size() {	# events_size NODE: bytes a user gets from pgha events
	"$LAB" exec "$1" setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$PGHA_BUILD/pgha" events 2>/dev/null | wc -c
}

lab_fresh
check "db1 online on node1" wait_online_on node1 node2
seed_events node1
seed_events node2
check "both pghads back with the seeded logs" \
    wait_until 60 node_is node1 node2 online
check "db1 still online on node1" wait_online_on node1 node2
size=$(events_size node2)
echo "# pgha events prints $size bytes"
check "pgha events gives a user a large answer" test "$size" -gt 100000

# Without the flood: node1 loses power.
sampler_start
writer_start quiet
writer_wait_more 50
"$LAB" crash node1 >"$OUT_DIR/crash-quiet.lab" 2>&1
check "quiet: db1 online on node2 after node1 lost power" \
    wait_online_on node2 node2 60
check "quiet: the client commits again" writer_wait_more 50 30
assert_client_and_invariants quiet
quiet_gap=$(kv "$OUT_DIR/quiet.verify" longest_gap_ms)
"$LAB" restore node1 >"$OUT_DIR/restore.lab" 2>&1
check "node1 rejoins" wait_until 60 node_is node2 node1 online

# With the flood on node1, the survivor-to-be: node2 loses power once
# the users have sent FLOOD_MIN requests, and they go on for FLOOD_S.
rss0=$(rss_kb node1)
sampler_start
writer_start flood
writer_wait_more 50
t0=$(lab_ms)
rm -f "$STOP" "$OUT_DIR"/flood*.count
( while [[ ! -e $STOP ]]; do rss_kb node1; sleep 0.2; done ) \
    >"$OUT_DIR/flood.rss" 2>/dev/null &
pg0=$(cpu_ms node1 pghad) cs0=$(cpu_ms node1 corosync)
flood_start node1
check "the flood runs" wait_until 60 flooding
"$LAB" crash node2 >"$OUT_DIR/crash-flood.lab" 2>&1
check "flood: db1 online on node1 after node2 lost power" \
    wait_online_on node1 node1 60
check "flood: the client commits again" writer_wait_more 50 30
# The flood goes on until FLOOD_S has passed.
wait_until $(( FLOOD_S + 10 )) test ! -e /proc/$(jobs -p | tail -1)
touch "$STOP"
flood_s=$(( ($(lab_ms) - t0) / 1000 ))
pg_cpu=$(( $(cpu_ms node1 pghad) - pg0 ))
cs_cpu=$(( $(cpu_ms node1 corosync) - cs0 ))
queries=$(flood_count)
rss_max=$(sort -n "$OUT_DIR/flood.rss" | tail -1)
# Queries of the flood whose replies were dropped hold the user's slots
# (4 in flight) until they time out (5 s): then the user is answered.
answers_events() { test "$(events_size node1)" -gt 0; }
echo "# right after the flood, nobody's pgha events on node1 says:" \
    "$("$LAB" exec node1 setpriv --reuid=65534 --regid=65534 \
    --clear-groups "$PGHA_BUILD/pgha" events 2>&1 >/dev/null | head -2)"
check "node1 answers a user's pgha events again after the flood" \
    wait_until 30 answers_events
assert_client_and_invariants flood
flood_gap=$(kv "$OUT_DIR/flood.verify" longest_gap_ms)
check "db1 online on node1 after the flood" online_on node1
echo "# figures: failover_quiet_ms=$quiet_gap failover_flood_ms=$flood_gap" \
    "requests=$queries by $FLOODERS users in $(( ($(lab_ms) - t0) / 1000 ))s" \
    "pghad_rss_kb_before=$rss0 pghad_rss_kb_max=$rss_max" \
    "node1_cpu_ms_in_${flood_s}s: pghad=$pg_cpu corosync=$cs_cpu"
grep -h "reply to a query not sent" "$LAB_DIR/node1/pghad.log" | tail -1 |
    sed 's/^/#   log: /'
cp "$LAB_DIR/node1/pghad.log" "$OUT_DIR/flood-node1-pghad.log"
done_testing
