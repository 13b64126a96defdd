#!/bin/bash
# Node administration: pause/resume (with and without --drain), stop/start
# (refused when a group could go nowhere else, --force), the stopped state
# across a pghad restart and a power loss, and unknown nodes.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

node_drain() {	# node_drain ASKER NODE
	status_q "$1" ".nodes[] | select(.name == \"$2\") | .drain"
}
group_state_is() { [[ $(group_field node1 state) == "$1" ]]; }
# A node that has joined again, whatever the operator made of it.
node_back() {	# node_back ASKER NODE
	local s
	s=$(node_state "$1" "$2")
	[[ $s == online || $s == stopped || $s == paused ]]
}
node_not() { [[ $(node_state "$1" "$2") != "$3" ]]; }	# ASKER NODE STATE

lab_fresh
check "db1 online on node1" online_on node1
sampler_start

# ---------------------------------------------------------------- pause
echo "# -- pause node2, then the server crashes on node1"
check "pgha node pause node2" pgha_on node1 node pause node2
is "$(node_state node1 node2)" paused "node2 is paused (as node1 sees it)"
is "$(node_state node2 node2)" paused "node2 is paused (as node2 sees it)"
is "$(node_drain node1 node2)" false "not drained"
check "db1 stays online on node1" online_on node1
"$LAB" kill-postmaster node1 >/dev/null
check "db1 fails: the only other node is paused" \
    wait_until 30 group_state_is failed
reason=$(group_field node1 reason)
check "its reason names node2 paused" grep -q "node2: paused" <<<"$reason"
echo "# reason: $reason"
is "$(group_field node1 owner)" null "no owner"
check "no node holds db1" wait_until 30 holds_none node1 node2
check "pgha node resume node2" pgha_on node1 node resume node2
is "$(node_state node1 node2)" online "node2 online again"
check "db1 starts on node2 by itself once node2 may take it" \
    wait_online_on node2 node1 30

# ---------------------------------------------------------------- drain
echo "# -- pause --drain"
# node1 is banned for db1 after its failure: draining node2 has nowhere
# to send db1.
out=$(pgha_on node1 node pause node2 --drain 2>&1); rc=$?
is "$rc" 1 "pause --drain node2 while node1 is banned: exit 1"
check "and the message says db1 could go nowhere else" \
    grep -q "db1 could go nowhere else" <<<"$out"
echo "# $out"
is "$(node_state node1 node2)" online "node2 not paused"
check "db1 still online on node2" online_on node2 node1
check "pgha group move db1 --to node1 (clears node1's ban)" \
    pgha_on node1 group move db1 --to node1
check "db1 online on node1" online_on node1
fo=$(group_field node1 failovers)
check "pgha node pause node1 --drain" pgha_on node2 node pause node1 --drain
# The command waits until node1 runs no group; db1 may still be starting.
check "db1 moved to node2" wait_online_on node2 node1 30
is "$(node_state node2 node1)" paused "node1 is paused"
is "$(node_drain node2 node1)" true "with drain true"
check "node1 holds nothing" holds_none node1
is "$(group_field node1 failovers)" "$fo" "a drain is no failover ($fo before)"
check "pgha node resume node1" pgha_on node2 node resume node1
is "$(node_state node2 node1)" online "node1 online again"
is "$(node_drain node2 node1)" false "drain false again"
check "db1 stays on node2 (failback = no)" online_on node2 node1

# ---------------------------------------------------------------- stop
echo "# -- node stop with nowhere to go"
check "pgha node pause node1" pgha_on node2 node pause node1
out=$(pgha_on node1 node stop node2 2>&1); rc=$?
is "$rc" 1 "node stop node2 while node1 is paused: exit 1"
check "the message names db1 and --force" \
    bash -c 'grep -q "db1" <<<"$1" && grep -q -- "--force" <<<"$1"' _ "$out"
echo "# $out"
is "$(node_state node1 node2)" online "node2 not stopped"
check "db1 still online on node2" online_on node2 node1
check "pgha node stop node2 --force" pgha_on node1 node stop node2 --force
is "$(node_state node1 node2)" stopped "node2 is stopped"
is "$(group_field node1 state)" offline "db1 was taken offline"
is "$(group_field node1 intent)" offline "its intent is offline"
check "no node holds db1" holds_none node1 node2
check "pgha node start node2" pgha_on node1 node start node2
is "$(node_state node1 node2)" online "node2 online again"
is "$(group_field node1 state)" offline "db1 stays offline (the operator took it offline)"
check "pgha node resume node1" pgha_on node2 node resume node1
check "pgha group online db1" pgha_on node2 group online db1
check "db1 online on node1 (preferred owner)" online_on node1 node2

# ------------------------------------------------- stopped is remembered
echo "# -- the stopped state survives a pghad restart and a power loss"
check "pgha node stop node2 (it runs nothing)" pgha_on node1 node stop node2
is "$(node_state node1 node2)" stopped "node2 is stopped"
"$LAB" kill-pghad node2 >/dev/null
check "node1 sees node2's pghad gone" \
    wait_until 30 node_not node1 node2 stopped
"$LAB" start-pghad node2 >/dev/null
check "node2's pghad joins again" wait_until 30 node_back node1 node2
is "$(node_state node1 node2)" stopped "after the pghad restart node2 is still stopped"
check "node2 says so too" wait_until 30 node_is node2 node2 stopped
"$LAB" crash node2 >/dev/null
check "node1 sees node2 gone" wait_until 30 node_not node1 node2 stopped
check "db1 stays online on node1" online_on node1
"$LAB" restore node2 >/dev/null
check "node2 joins again after the power loss" wait_until 30 node_back node1 node2
is "$(node_state node1 node2)" stopped "after the reboot node2 is still stopped"
out=$(pgha_on node1 group move db1 2>&1); rc=$?
is "$rc" 1 "pgha group move db1 (best other node): exit 1, node2 takes nothing"
check "the message says node2's cluster service is stopped" \
    grep -q "node2: cluster service stopped" <<<"$out"
echo "# $out"
out=$(pgha_on node1 group move db1 --to node2 2>&1); rc=$?
check "pgha group move db1 --to node2 is refused (exit $rc)" test "$rc" -ne 0
check "the message says node2 is stopped (it is a member)" \
    grep -q "node2.*stopped" <<<"$out"
echo "# $out"
check "db1 still online on node1" online_on node1
check "node2 holds nothing" holds_none node2
check "pgha node start node2" pgha_on node1 node start node2
is "$(node_state node1 node2)" online "node2 online"
check "db1 stays on node1" online_on node1

out=$(pgha_on node1 node stop node9 2>&1); rc=$?
is "$rc" 4 "node stop of an unknown node: exit 4"
check "and the message names it" grep -q node9 <<<"$out"
out=$(pgha_on node1 node pause node9 2>&1); rc=$?
is "$rc" 4 "node pause of an unknown node: exit 4"
is "$(sampler_stop)" 0 "never two nodes with the disk, address or server"
done_testing
