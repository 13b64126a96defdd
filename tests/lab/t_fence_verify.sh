#!/bin/bash
# A fence counts only when the agent's off succeeds and a status that
# follows says off.  node1 (of three) is cut off while it runs db1:
#  - an agent whose off exits 0 but leaves node1 on (fence_pghalab_faulty,
#    mode lie) is no fence: db1 does not start elsewhere, the events say
#    that status still said on;
#  - an agent without a status action (mode nostatus) powers node1 off and
#    is trusted on its exit code: db1 starts on node2, the event says so.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

powered_off() { ! lab_init_pid "$1" >/dev/null 2>&1; }
events_of() { pgha_on "$1" events 2>&1; }

export PGHA_LAB_FENCE_AGENT=$LAB_TESTS_DIR/fence_pghalab_faulty
lab_fresh --nodes 3
echo lie >"$LAB_DIR/fence-mode"
check "db1 online on node1" online_on node1
sampler_start
writer_start fenceverify
writer_wait_more 50

"$LAB" isolate node1 >/dev/null
check "node2 sees node1 unclean" wait_until 30 node_is node2 node1 unclean
check "the events say the fence did not take: status still says on" \
    wait_until 30 sh -c "$LAB exec node2 $PGHA_BUILD/pgha events |
    grep 'fencing failed' | grep -q 'status says it is still on'"
events_of node2 | grep 'fencing failed' | tail -n 1 | sed 's/^/#   /'
check "node1 is still powered on" not powered_off node1
is "$(node_state node2 node1)" unclean "node1 stays unclean"
is "$(group_field node2 state)" unknown "db1 is not started elsewhere (unknown)"
check "nothing of db1 on node2 or node3" holds_none node2 node3

echo nostatus >"$LAB_DIR/fence-mode"
check "the next attempt powers node1 off: db1 online on node2" \
    wait_online_on node2 node2 90
check "node1 is powered off" powered_off node1
check "the event says the fence was trusted on the exit code" sh -c \
    "$LAB exec node2 $PGHA_BUILD/pgha events | grep 'unclean -> offline' |
    grep -q 'trusted on its exit code'"
events_of node2 | grep 'unclean -> offline' | tail -n 1 | sed 's/^/#   /'
check "the client commits again" writer_wait_more 50 60
assert_client_and_invariants fenceverify
done_testing
