#!/bin/bash
# The operation guide, 5.1 "Operations under Normal Circumstances"
# (reference/cluster-operation-guide.txt), followed step by step with a
# client writing through the access point the whole time.
#
#   guide                                          pgha
#   "Starting and stopping": from the failover     pgha group offline db1
#     cluster management tool only                 pgha group online db1
#   "Switching": [Move] >> [Select Node]           pgha group move db1 --to node2
#   "Switching": [Move] >> [Best Possible Node]    pgha group move db1
#   warning: pg_ctl during failover operation      pg_ctl stop = a failure:
#     makes the tool "misjudge that services         the group fails over
#     have gone down"
#   (the way to do it by hand without that)        pgha group unmanage db1,
#                                                  pg_ctl stop / start,
#                                                  pgha group manage db1
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

writer_errs_at_least() { (( $(grep -c ' err ' "$WRITER_LOG") >= $1 )); }

db1_text_line() {	# the db1 line of `pgha status` (text) on NODE
	pgha_on "$1" status 2>/dev/null | awk '$1 == "db1"'
}

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start guide51
check "the client commits through the access point" writer_wait_more 50 30

# --- 5.1 Starting and stopping: through the cluster only.
# Stopping: take the group offline.
check "5.1 stop: pgha group offline db1" \
    pgha node1 group offline db1
is "$(group_field node1 state)" offline "5.1 stop: db1 is offline"
check "5.1 stop: status (text) shows db1 offline" \
    grep -Eq '^ *db1 +offline ' <<<"$(db1_text_line node2)"
check "5.1 stop: no node holds the disk, address or server" \
    holds_none node1 node2
# Starting: bring the group online.
check "5.1 start: pgha group online db1" \
    pgha node1 group online db1
check "5.1 start: db1 online on node1 (preferred owner)" online_on node1 node2
check "5.1 start: the client commits again" writer_wait_more 50 60

# --- 5.1 Switching, [Move] >> [Select Node]: the operator names node2.
check "5.1 switch (Select Node): pgha group move db1 --to node2" \
    pgha node1 group move db1 --to node2
check "5.1 switch (Select Node): db1 online on node2" online_on node2 node1
check "5.1 switch (Select Node): node1 holds nothing of db1" holds_none node1
check "5.1 switch (Select Node): the client commits on node2" \
    writer_wait_more 50 30

# --- 5.1 Switching, [Move] >> [Best Possible Node]: no node named.
check "5.1 switch (Best Possible Node): pgha group move db1" \
    pgha node2 group move db1
check "5.1 switch (Best Possible Node): db1 online on node1" \
    online_on node1 node2
check "5.1 switch (Best Possible Node): node2 holds nothing of db1" \
    holds_none node2
check "5.1 switch (Best Possible Node): the client commits on node1" \
    writer_wait_more 50 30
is "$(group_field node1 failovers)" 0 "5.1: planned switches are no failovers"

# --- 5.1 warning: pg_ctl during failover operation is taken for a
# failure of the service: the group fails over to node2.
pm1=$(postmaster_pid node1)
pgctl node1 -m fast -w stop >"$OUT_DIR/guide51.pgctl" 2>&1
sed 's/^/#   pg_ctl: /' "$OUT_DIR/guide51.pgctl"
# pghad sees the postmaster exit at once and fails the group over: pg_ctl,
# polling every 100 ms, may find the data directory already unmounted.
check "5.1 warning: pg_ctl stop on node1 (managed) stops the server" \
    grep -qE 'server stopped|directory "/srv/db1/data" does not exist' \
    "$OUT_DIR/guide51.pgctl"
check "5.1 warning: the cluster takes it as a failure: db1 fails over to node2" \
    wait_online_on node2 node1 60
reason=$(group_field node1 reason)
echo "# reason: $reason"
check "5.1 warning: the reason says failover from node1 after db1-pg failed" \
    grep -q "failover from node1 to node2: db1-pg failed on node1" <<<"$reason"
is "$(group_field node1 failovers)" 1 "5.1 warning: counted as one failover"
pgha_on node2 events --group db1 >"$OUT_DIR/guide51.events" 2>&1
check "5.1 warning: events show db1-pg failed on node1 (monitor)" \
    grep -Eq "node1 +resource db1-pg +online -> failed +monitor failed" \
    "$OUT_DIR/guide51.events"
check "5.1 warning: node1 holds nothing of db1 afterwards" holds_none node1
check "5.1 warning: the client commits on node2" writer_wait_more 50 30

# Back to node1 (by name: that also lifts node1's ban after the failure).
check "back to node1: pgha group move db1 --to node1" \
    pgha node2 group move db1 --to node1
check "db1 online on node1 again" online_on node1 node2
check "the client commits on node1" writer_wait_more 50 30

# --- The contrast: unmanaged, pg_ctl stop is no failure and nothing moves.
check "unmanaged: pgha group unmanage db1" pgha node1 group unmanage db1
is "$(group_field node2 state)" unmanaged "unmanaged: status state unmanaged"
is "$(group_field node2 managed)" false "unmanaged: status managed false"
check "unmanaged: status (text) shows db1 unmanaged on node1" \
    grep -Eq '^ *db1 +unmanaged +node1 ' <<<"$(db1_text_line node2)"
fo=$(group_field node1 failovers)
pgctl node1 -m fast -w stop >>"$OUT_DIR/guide51.pgctl" 2>&1
is "$?" 0 "unmanaged: pg_ctl stop on node1 succeeds"
check "unmanaged: the server is gone from node1" \
    wait_until 10 not node_has_pg node1
# Nothing watches the group now.  Give a failover far more than its
# chance: the client must fail 200 times in a row (2 s at 10 ms, four
# monitor intervals; the managed failover above came within one).
errs0=$(grep -c ' err ' "$WRITER_LOG")
check "unmanaged: the client sees the server down (200 failed attempts)" \
    wait_until 60 writer_errs_at_least $(( errs0 + 200 ))
is "$(group_field node2 state)" unmanaged "unmanaged: db1 still unmanaged"
is "$(group_field node2 owner)" node1 "unmanaged: db1 still owned by node1"
is "$(group_field node2 failovers)" "$fo" "unmanaged: no failover counted"
check "unmanaged: nothing moved: node2 holds nothing" holds_none node2
check "unmanaged: node1 keeps the disk" node_has_mount node1
check "unmanaged: node1 keeps the address" node_has_ip node1
check "unmanaged: pgha did not start the server again" not node_has_pg node1
pgctl node1 -l /tmp/guide51-pg.log -w start >>"$OUT_DIR/guide51.pgctl" 2>&1
is "$?" 0 "unmanaged: pg_ctl start on node1 succeeds"
pm2=$(postmaster_pid node1)
check "unmanaged: a new postmaster runs ($pm1 -> $pm2)" \
    test -n "$pm2" -a "$pm2" != "$pm1"
check "manage again: pgha group manage db1" pgha node1 group manage db1
check "manage again: db1 online on node1 (adopted where it runs)" \
    wait_online_on node1 node2 30
is "$(group_field node2 managed)" true "manage again: status managed true"
is "$(postmaster_pid node1)" "$pm2" \
    "manage again: the server started by hand is adopted, not restarted"
is "$(group_field node2 failovers)" "$fo" "manage again: no failover counted"
check "manage again: node2 holds nothing" holds_none node2
check "manage again: the client commits on node1" writer_wait_more 50 30

assert_client_and_invariants guide51
done_testing
