#!/bin/bash
# group unmanage / manage: while unmanaged, the server may be stopped,
# started or even crash without any failover; manage adopts a server that
# runs (same postmaster) and starts one that does not.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

pg_ctl_on() {	# pg_ctl_on NODE ARGS...: pgctl, its output kept aside
	pgctl "$@" >>"$OUT_DIR/unmanage.pgctl" 2>&1
}
unmanaged_on_node1() {	# what status shows while db1 is unmanaged
	pgha_on node1 status --json 2>/dev/null | jq -e '.groups[] |
	    select(.name == "db1") | .state == "unmanaged" and
	    .managed == false and .owner == "node1"' >/dev/null
}
no_failover() {	# nothing of db1 on node2, db1 still unmanaged on node1
	unmanaged_on_node1 && holds_none node2
}
online_new_pid() {	# online_new_pid OLD: online on node1, another postmaster
	local p
	online_on node1 && p=$(postmaster_pid node1) && [[ -n $p && $p != "$1" ]]
}
pg_gone() { ! node_has_pg "$1"; }
# (retried: lib.sh's node_has_ip can miss under pipefail, see t_placement)
disk_and_ip() { node_has_mount "$1" && node_has_ip "$1"; }

lab_fresh
check "db1 online on node1" online_on node1
sampler_start

# --------------------------------------------- stop and start by hand
echo "# -- unmanaged: the operator restarts the server by hand"
out=$(pgha_on node1 group unmanage db1 2>&1); rc=$?
is "$rc" 0 "pgha group unmanage db1"
echo "# $out"
check "status: db1 unmanaged (state unmanaged, managed false)" unmanaged_on_node1
out=$(pgha_on node2 node stop node1 --force 2>&1); rc=$?
is "$rc" 1 "node stop of the node running an unmanaged group: refused, even --force"
check "and the message says to manage it first" \
    grep -q "unmanaged: pgha group manage db1 first" <<<"$out"
is "$(node_state node2 node1)" online "node1 not stopped"
check "pg_ctl stop -m fast by hand" pg_ctl_on node1 -m fast -w stop
check "the server is stopped" wait_until 30 pg_gone node1
# The monitor runs every 500 ms when managed: 3 s is 6 of its intervals.
check "no failover (status polled for 3 s: unmanaged, node2 holds nothing)" \
    holds_for 3 no_failover
check "node1 still has the disk and the address" \
    wait_until 5 disk_and_ip node1
check "pg_ctl start by hand" pg_ctl_on node1 -l /tmp/pg-by-hand.log -w start
pid0=$(postmaster_pid node1)
check "the server runs (postmaster $pid0)" test -n "$pid0"
check "pgha group manage db1" pgha_on node1 group manage db1
check "db1 online on node1" wait_online_on node1 node1 30
is "$(group_field node1 managed)" true "managed again"
is "$(postmaster_pid node1)" "$pid0" "the server was adopted, not restarted (same postmaster)"
is "$(status_q node1 '.groups[0].resources[] | select(.name == "db1-pg") | .by_hand')" \
    false "db1-pg not shown as started by hand once managed"
check "node2 holds nothing" holds_none node2
writer_start unmanage
check "a client writes through the access point" writer_wait_more 20 30

# --------------------------------------- stopped by hand, manage starts
echo "# -- unmanaged, stopped by hand: manage starts the server"
check "pgha group unmanage db1" pgha_on node1 group unmanage db1
check "pg_ctl stop -m fast by hand" pg_ctl_on node1 -m fast -w stop
check "no failover (3 s)" holds_for 3 no_failover
check "pgha group manage db1" pgha_on node1 group manage db1
check "db1 online on node1, with a server pgha started (not $pid0)" \
    wait_until 30 online_new_pid "$pid0"
pid1=$(postmaster_pid node1)
echo "# postmaster $pid0 -> $pid1"
is "$(group_field node1 failovers)" 0 "no failover counted"
check "the client commits again" writer_wait_more 20 30

# ---------------------------------------------- a crash while unmanaged
echo "# -- unmanaged, the server crashes"
check "pgha group unmanage db1" pgha_on node1 group unmanage db1
"$LAB" kill-postmaster node1 >/dev/null
check "no failover (3 s)" holds_for 3 no_failover
is "$(status_q node1 '.groups[0].resources[] | select(.name == "db1-pg") | .failcount.node1')" \
    0 "no failure counted for db1-pg"
check "node1 still has the disk and the address" \
    wait_until 5 disk_and_ip node1
check "pgha group manage db1" pgha_on node1 group manage db1
check "db1 online on node1, with a server pgha started (not $pid1)" \
    wait_until 30 online_new_pid "$pid1"
pid2=$(postmaster_pid node1)
echo "# postmaster $pid1 -> $pid2"
check "the client commits again" writer_wait_more 20 30
assert_client_and_invariants unmanage
done_testing
