#!/bin/bash
# Startup fencing: node1's pghad dies while node1 runs db1, then node2's
# pghad restarts.  The new cluster never heard from node1's pghad: node1
# is a Corosync member that may run anything.  After the join wait node2
# fences it, and only then starts db1; never two nodes run db1.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start startupfence
writer_wait_more 50

"$LAB" kill-pghad node1 >/dev/null
check "node2 sees node1's pghad down" wait_until 30 \
    node_is node2 node1 daemon-down
"$LAB" kill-pghad node2 >/dev/null
"$LAB" start-pghad node2 >/dev/null
fenced() {
	pgha_on node2 events >"$OUT_DIR/startupfence.events" 2>&1 &&
	    grep -Eq "node node1 +unknown -> offline +fenced" \
	    "$OUT_DIR/startupfence.events"
}
check "node2 fences node1, a member whose pghad never joined" \
    wait_until 90 fenced
check "db1 online on node2 once node1 is off" wait_online_on node2 node2 60
check "node2's log says why it fenced node1" grep -q "fencing node1" \
    "$LAB_DIR/node2/pghad.log"
assert_client_and_invariants startupfence
done_testing
