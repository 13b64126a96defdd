#!/bin/bash
# No false failover: with pgbench writing through the access point, both
# CPUs saturated by other work and the shared disk busy, nothing fails
# over, no monitor fails, and no commit is lost.  LOAD_SECONDS (default 60)
# sets the length; longer runs are for the closing notes, not for CI.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

LOAD_SECONDS=${LOAD_SECONDS:-60}
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	on_fail_dump
}
trap cleanup EXIT

lab_fresh --witness --links 2
check "db1 online on node1" online_on node1
t0=$(lab_ms)
ip netns exec "$CLIENT_NS" pgbench -i -q -s 5 "$ACCESS_CONNINFO" \
    >"$OUT_DIR/load.pgbench-init" 2>&1
check "pgbench initialised through the access point" test $? -eq 0
sampler_start
writer_start load
# Two busy loops per CPU, outside the nodes, as "other work".
for (( i = 0; i < $(( $(nproc) * 2 )); i++ )); do
	sh -c 'while :; do :; done' &
	PIDS+=($!)
done
# The shared disk kept busy on the owner: direct writes of 1 MiB blocks,
# for as long as pgbench runs (it ends by itself, inside the node).
"$LAB" exec node1 timeout -s KILL "$LOAD_SECONDS" sh -c "while :; do \
    dd if=/dev/zero of=/srv/db1/busy bs=1M count=64 oflag=direct \
    status=none; done" >/dev/null 2>&1 &
DISK_PID=$!
ip netns exec "$CLIENT_NS" pgbench -c 4 -j 2 -T "$LOAD_SECONDS" -n \
    "$ACCESS_CONNINFO" >"$OUT_DIR/load.pgbench" 2>&1
rc=$?
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait "${PIDS[@]}" 2>/dev/null
PIDS=()
wait "$DISK_PID" 2>/dev/null
"$LAB" exec node1 rm -f /srv/db1/busy
is "$rc" 0 "pgbench ran ${LOAD_SECONDS}s without an error"
grep -E "^tps|number of failed" "$OUT_DIR/load.pgbench" | sed 's/^/# /'
check "db1 still online on node1" online_on node1
pgha_on node2 events --json --group db1 >"$OUT_DIR/load.events"
moves=$(jq --argjson t "$t0" '[.events[] | select(.ms > $t and
    (.object | startswith("group")))] | length' "$OUT_DIR/load.events")
fails=$(jq --argjson t "$t0" '[.events[] | select(.ms > $t and
    (.new == "failed" or .new == "stop-failed"))] | length' "$OUT_DIR/load.events")
is "$moves" 0 "no placement change under load"
is "$fails" 0 "no resource failed under load"
members=$(pgha_on node1 events --json | jq --argjson t "$t0" '[.events[] |
    select(.ms > $t and (.object | startswith("node")))] | length')
is "$members" 0 "no membership change under load"
assert_client_and_invariants load
done_testing
