#!/bin/bash
# Startup fencing of a node never seen: db1 runs on node1; both pghads
# die (db1 keeps running), then node1 is cut off from everything
# (links down, its processes alive: it still runs db1).  node2's pghad
# starts again: a new cluster, quorate with the witness's vote, that has
# never seen node1 in Corosync's membership.  It must fence node1 before
# it starts db1: never two nodes with db1's disk, address or server.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh --witness
check "db1 online on node1" online_on node1
sampler_start
writer_start unseen
writer_wait_more 50

"$LAB" kill-pghad node1 >/dev/null
check "node2 sees node1's pghad down" wait_until 30 \
    node_is node2 node1 daemon-down
"$LAB" kill-pghad node2 >/dev/null
check "lab isolate node1 (db1 still runs there)" "$LAB" isolate node1
check "node1 still runs its server" node_has_pg node1
# node2's pghad must start only once node1 has left node2's membership:
# started earlier it would see node1 as a member (startup fencing of a
# member whose pghad never joined: t_startup_fence).
node1_gone_from_node2() {
	! "$LAB" exec node2 corosync-quorumtool -l 2>/dev/null |
	    awk '$1 == 1 { found = 1 } END { exit !found }'
}
check "node2's corosync no longer counts node1 a member" \
    wait_until 60 node1_gone_from_node2
"$LAB" start-pghad node2 >/dev/null
fenced() {
	pgha_on node2 events >"$OUT_DIR/unseen.events" 2>&1 &&
	    grep -Eq "node node1 +unknown -> offline +fenced" \
	    "$OUT_DIR/unseen.events"
}
check "node2 fences node1, a node it never saw" wait_until 120 fenced
check "db1 online on node2 once node1 is off" wait_online_on node2 node2 60
check "node2's log says why it fenced node1" grep -q "fencing node1" \
    "$LAB_DIR/node2/pghad.log"
assert_client_and_invariants unseen
done_testing
