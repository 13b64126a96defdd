#!/bin/bash
# Split-brain safety with a witness, two heartbeat links and fencing:
#  - losing either heartbeat link of the active node moves nothing;
#  - the active node cut off from everything: only the side with the
#    witness's vote keeps quorum; it fences the cut-off node, then runs
#    the group;
#  - the active node frozen past the token: fenced, then the group moves;
#  - the active node's pghad frozen: nothing moves, nothing breaks;
# and at no sampled moment do two nodes hold the disk, the address or a
# server; no acknowledged commit is lost.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

powered_off() { ! lab_init_pid "$1" >/dev/null 2>&1; }
back_online() {	# back_online NODE ASKER: powered on again, a member
	"$LAB" restore "$1" >/dev/null 2>&1
	wait_until 60 node_is "$2" "$1" online
}

lab_fresh --witness --links 2
check "db1 online on node1" online_on node1
sampler_start
writer_start split
writer_wait_more 50

t0=$(lab_ms)
# Link 1 is heartbeat only: the client must not notice.
"$LAB" link node1 1 down >/dev/null
check "link 1 of node1 down: the client keeps committing" writer_wait_more 200 30
"$LAB" link node1 1 up >/dev/null
# Link 0 also carries the clients in the lab: they lose node1 while it is
# down, but the cluster must not move anything (the heartbeat goes on over
# link 1), and the client carries on once it is back.
"$LAB" link node1 0 down >/dev/null
check "link 0 of node1 down: both nodes still members" wait_until 10 sh -c \
    "! $LAB exec node2 corosync-quorumtool -s 2>/dev/null | grep -q 'Nodes: *1\$'"
t_down=$(lab_ms)
sleep 6	# an observation window (not a readiness wait): past token + consensus
check "link 0 of node1 down for $(( ($(lab_ms) - t_down) / 1000 )) s: db1 still on node1" \
    online_on node1 node2
"$LAB" link node1 0 up >/dev/null
check "link 0 back: the client commits again" writer_wait_more 100 30
check "db1 still on node1" online_on node1 node2
moves=$(pgha_on node2 events --json | jq --argjson t "$t0" '[.events[] |
    select(.ms > $t and (.object | startswith("node") or startswith("group")))] | length')
is "$moves" 0 "one link lost at a time: no membership or placement change"

"$LAB" isolate node1 >/dev/null
check "node1 cut off: db1 online on node2" wait_online_on node2 node2 90
check "node1 was fenced (powered off) before that" powered_off node1
pgha_on node2 events >"$OUT_DIR/split.events" 2>&1
check "events: node1 unclean, then fenced" grep -q "unclean -> offline *fenced" \
    "$OUT_DIR/split.events"
"$LAB" heal node1 >/dev/null
check "node1 powered on again rejoins" back_online node1 node2
check "the client commits on node2" writer_wait_more 50 30

"$LAB" freeze node2 >/dev/null
check "node2 frozen: db1 online on node1" wait_online_on node1 node1 90
check "frozen node2 was fenced" powered_off node2
"$LAB" thaw node2 >/dev/null 2>&1
check "node2 powered on again rejoins" back_online node2 node1
check "the client commits on node1" writer_wait_more 50 30

pid0=$(postmaster_pid node1)
"$LAB" freeze-pghad node1 >/dev/null
check "node1's pghad frozen: the client keeps committing" writer_wait_more 300 30
check "db1 was not started on node2" holds_none node2
"$LAB" thaw-pghad node1 >/dev/null
check "node1's pghad resumes: db1 online on node1" wait_online_on node1 node2 60
is "$(postmaster_pid node1)" "$pid0" "the same postmaster"
assert_client_and_invariants split
done_testing
