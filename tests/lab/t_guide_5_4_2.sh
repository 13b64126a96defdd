#!/bin/bash
# The operation guide, 5.4.2 "Mutual Switch Maintenance"
# (reference/cluster-operation-guide.txt), followed step by step with a
# client writing through the access point the whole time:
#
#   guide                                          pgha
#   5.4.2.1 standby: [Stop Cluster Service]        pgha node stop node2
#   5.4.2.2 standby maintenance (patches, ...)     node2's pghad restarted
#                                                  (lab kill-pghad/start-pghad):
#                                                  it stays stopped
#   5.4.2.3 standby: [Start Cluster Service]       pgha node start node2
#   5.4.2.4 switching (5.1: [Move])                pgha group move db1
#   5.4.2.5 5.4.2.1-5.4.2.3 for the new standby    pgha node stop node1,
#                                                  maintenance, pgha node start node1
#
# And: the active node cannot be stopped while the standby is stopped
# (db1 could go nowhere else) unless --force.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

node_gone() {	# node_gone ASKER NODE: NODE's pghad no longer seen by ASKER
	local s
	s=$(node_state "$1" "$2")
	[[ $s == offline || $s == daemon-down ]]
}

db1_events() {	# db1_events: lines of `pgha events --group db1` on node2
	pgha_on node2 events --group db1 2>/dev/null | grep -c .
}

# maintain NODE STEP: the standby's maintenance; its cluster service
# (pghad) is restarted, as a patch or a reboot would, and must come back
# still stopped, taking nothing.
maintain() {
	local node=$1 step=$2 other
	[[ $node == node1 ]] && other=node2 || other=node1
	"$LAB" kill-pghad "$node" >>"$OUT_DIR/guide542.lab" 2>&1
	check "$step: $node's pghad is gone (seen from $other)" \
	    wait_until 30 node_gone "$other" "$node"
	"$LAB" start-pghad "$node" >>"$OUT_DIR/guide542.lab" 2>&1
	check "$step: $node's pghad is back and $node is still stopped" \
	    wait_until 30 node_is "$other" "$node" stopped
	check "$step: $node sees itself stopped" \
	    wait_until 30 node_is "$node" "$node" stopped
	check "$step: db1 still online on $other" online_on "$other" "$node"
	check "$step: $node holds nothing" holds_none "$node"
	check "$step: the client still commits" writer_wait_more 50 30
}

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start guide542
check "the client commits through the access point" writer_wait_more 50 30

# --- 5.4.2.1 Stop the cluster service on the standby node (node2).
check "5.4.2.1: pgha node stop node2" pgha node1 node stop node2
is "$(node_state node1 node2)" stopped "5.4.2.1: node2 stopped"
check "5.4.2.1: status (text) shows node2 stopped" \
    grep -Eq '^[ *]+node2 +2 +stopped' <<<"$(pgha_on node2 status)"
check "5.4.2.1: db1 stays online on node1" online_on node1 node2
check "5.4.2.1: node2 holds nothing" holds_none node2
check "5.4.2.1: the client still commits" writer_wait_more 50 30

# While the standby is stopped, the active node cannot be stopped too:
# db1 could go nowhere else.
out=$(pgha_on node2 node stop node1 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "pgha node stop node1 with node2 stopped is refused (exit 1)"
check "the refusal says db1 could go nowhere else" \
    grep -q "db1 could go nowhere else" <<<"$out"
check "the refusal mentions --force" grep -q -- "--force" <<<"$out"
is "$(node_state node2 node1)" online "the refusal changed nothing: node1 online"
check "the refusal changed nothing: db1 online on node1" online_on node1 node2
check "the refusal changed nothing: the client commits" writer_wait_more 50 30

# --- 5.4.2.2 Maintenance on the standby node: its pghad restarts.
maintain node2 "5.4.2.2"

# --- 5.4.2.3 Start the cluster service on the standby node again.
check "5.4.2.3: pgha node start node2" pgha node1 node start node2
is "$(node_state node1 node2)" online "5.4.2.3: node2 online"
check "5.4.2.3: db1 stays on node1" online_on node1 node2

# --- 5.4.2.4 Switching: [Move] >> [Best Possible Node].
check "5.4.2.4: pgha group move db1" pgha node1 group move db1
check "5.4.2.4: db1 online on node2" online_on node2 node1
check "5.4.2.4: node1 holds nothing" holds_none node1
check "5.4.2.4: the client commits on node2" writer_wait_more 50 30

# --- 5.4.2.5 The same for node1, now the standby.
# 5.4.2.1 for node1:
check "5.4.2.5 (5.4.2.1): pgha node stop node1" pgha node2 node stop node1
is "$(node_state node2 node1)" stopped "5.4.2.5 (5.4.2.1): node1 stopped"
check "5.4.2.5 (5.4.2.1): db1 stays online on node2" online_on node2 node1
check "5.4.2.5 (5.4.2.1): node1 holds nothing" holds_none node1
check "5.4.2.5 (5.4.2.1): the client still commits" writer_wait_more 50 30
# 5.4.2.2 for node1 (node1 also decides placement while it runs: its
# restart hands that over and back):
maintain node1 "5.4.2.5 (5.4.2.2)"
# 5.4.2.3 for node1; failback is "no": db1 stays on node2.
nev=$(db1_events)
check "5.4.2.5 (5.4.2.3): pgha node start node1" pgha node2 node start node1
is "$(node_state node2 node1)" online "5.4.2.5 (5.4.2.3): node1 online"
check "5.4.2.5 (5.4.2.3): node1 sees itself online" node_is node1 node1 online
# Give a failback its chance: the client's next 50 commits must all be
# on node2 with no change of db1 in the event log.
check "5.4.2.5 (5.4.2.3): the client still commits" writer_wait_more 50 30
check "5.4.2.5 (5.4.2.3): db1 stays on node2 (failback = no)" \
    online_on node2 node1
is "$(db1_events)" "$nev" "5.4.2.5 (5.4.2.3): no event of db1 since node1 started"
check "5.4.2.5 (5.4.2.3): node1 holds nothing" holds_none node1
is "$(group_field node1 failovers)" 0 "no failover counted in all of it"

assert_client_and_invariants guide542
done_testing
