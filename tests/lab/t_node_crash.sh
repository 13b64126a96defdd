#!/bin/bash
# The active node loses power: db1 comes back on the other node, no
# acknowledged commit is lost, and the restored node takes nothing back.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1 after lab up" online_on node1
sampler_start
writer_start crash
writer_wait_more 50

"$LAB" crash node1 >"$OUT_DIR/crash.lab" 2>&1
check "db1 online on node2 after node1 lost power" \
    wait_online_on node2 node2 60
check "the client commits again through the access point" \
    writer_wait_more 50 30
is "$(node_state node2 node1)" offline "node2 shows node1 offline"
pgha_on node2 events --group db1 >"$OUT_DIR/crash.events" 2>&1
check "the event log tells the failover and its cause" \
    grep -q "failover from node1 to node2" "$OUT_DIR/crash.events"
assert_client_and_invariants crash

"$LAB" restore node1 >"$OUT_DIR/restore.lab" 2>&1
check "node1 rejoins" wait_until 60 node_is node1 node1 online
check "no failback: db1 stays on node2" online_on node2 node1
done_testing
