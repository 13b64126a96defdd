#!/bin/bash
# pgha node confirm-down of a node whose pghad is down but whose corosync
# still runs (a member, its server still up): refused, naming the node,
# that it is still a Corosync member and the fix; nothing changes, and
# db1 never starts on node2 while node1's server runs.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

# members ASKER: the node count of corosync's membership as ASKER sees it.
members() {
	"$LAB" exec "$1" corosync-quorumtool -s 2>/dev/null |
	    sed -n 's/^Nodes: *\([0-9]*\)$/\1/p'
}

lab_fresh
check "db1 online on node1" online_on node1
pid0=$(postmaster_pid node1)
sampler_start
writer_start confirmmember
writer_wait_more 50

"$LAB" kill-pghad node1 >/dev/null
check "node2 sees node1's pghad down" wait_until 30 \
    node_is node2 node1 daemon-down
is "$(members node2)" 2 "node1's corosync is still a member"
nev=$(pgha_on node2 events --json | jq ".events | length")
out=$(pgha_on node2 node confirm-down node1 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "confirm-down of node1 is refused"
check "the message names node1" grep -q "node1" <<<"$out"
check "it says node1 is still a Corosync member" \
    grep -q "still a Corosync member" <<<"$out"
check "it names the fix" grep -q "start pghad on node1" <<<"$out"
is "$(node_state node2 node1)" daemon-down "node1 is still daemon-down"
is "$(group_field node2 state)" unknown "db1 is still unknown"
is "$(group_field node2 owner)" node1 "db1's owner is still node1"
is "$(pgha_on node2 events --json | jq ".events | length")" "$nev" "no event was added"
# An observation window (not a readiness wait): before the fix db1 started
# on node2 within a second or two of the confirmation.
check "db1 is not started on node2" holds_for 10 holds_none node2
echo "# db1 on node2: $(group_field node2 state) owner" \
    "$(group_field node2 owner); node1 server running:" \
    "$(node_has_pg node1 && echo yes || echo no)"
is "$(postmaster_pid node1)" "$pid0" "node1's server runs on, untouched"

"$LAB" start-pghad node1 >/dev/null
check "node1's pghad rejoins and reports db1 online" \
    wait_online_on node1 node2 60
is "$(postmaster_pid node1)" "$pid0" "still the same postmaster"
assert_client_and_invariants confirmmember
done_testing
