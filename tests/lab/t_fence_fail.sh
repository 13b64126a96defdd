#!/bin/bash
# Fencing that fails: the group stays down (never started while the lost
# node might still run it), the events say why, and `pgha node
# confirm-down` lets an operator vouch for the node.  Then: a node whose
# corosync has another authentication key cannot join.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT


lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start fencefail
writer_wait_more 50

# The power switch breaks: fence_pghalab cannot reach it.
kill "$(cat "$LAB_DIR/power.pid")"
wait_until 5 sh -c "! kill -0 $(cat "$LAB_DIR/power.pid") 2>/dev/null"
"$LAB" crash node1 >/dev/null
check "node2 sees node1 unclean" wait_until 30 node_is node2 node1 unclean
check "the events say fencing failed" wait_until 30 sh -c \
    "$LAB exec node2 $PGHA_BUILD/pgha events | grep -q 'fencing failed'"
is "$(group_field node2 state)" unknown "db1 is not started elsewhere (state unknown)"
check "nothing of db1 on node2" holds_none node2
out=$(pgha_on node2 node confirm-down node2 2>&1); rc=$?
is "$rc" 1 "confirm-down of an active member is refused"
check "and says so" grep -q "is an active member" <<<"$out"
check "pgha node confirm-down node1" pgha_on node2 node confirm-down node1
check "db1 online on node2" wait_online_on node2 node2 60
check "the client commits again" writer_wait_more 50 30
assert_client_and_invariants fencefail

# A node with another key: its corosync never joins the cluster.
corosync-keygen -k "$LAB_DIR/otherkey" >/dev/null 2>&1
sed "s|keyfile: .*|keyfile: $LAB_DIR/otherkey|" "$LAB_DIR/node2/corosync.conf" \
    >"$LAB_DIR/node2/corosync-otherkey.conf"
"$LAB" restore node1 >/dev/null 2>&1
check "node1 back" wait_until 60 node_is node2 node1 online
cpid=$(cat "$LAB_DIR/node2/corosync.pid")
kill "$cpid"
check "node2's corosync stops" wait_until 30 sh -c "! kill -0 $cpid 2>/dev/null"
check "node1 sees node2 leave" wait_until 30 sh -c \
    "$LAB exec node1 corosync-quorumtool -s 2>/dev/null | grep -Eq '^Nodes: +1\$'"
"$LAB" exec node2 sh -c "corosync -f -c $LAB_DIR/node2/corosync-otherkey.conf \
    >$LAB_DIR/node2/corosync-otherkey.out 2>&1 &"
check "node2's corosync runs with the other key" wait_until 10 sh -c \
    "$LAB exec node2 corosync-quorumtool -s 2>/dev/null | grep -q 'Nodes:'"
sleep 5	# an observation window (not a readiness wait): time to join, were it able
check "node1's membership still has one node" sh -c \
    "$LAB exec node1 corosync-quorumtool -s 2>/dev/null | grep -Eq '^Nodes: +1\$'"
check "node2 is alone too" sh -c \
    "$LAB exec node2 corosync-quorumtool -s 2>/dev/null | grep -Eq '^Nodes: +1\$'"
done_testing
