#!/bin/bash
# The operation guide, chapter 6 "Procedures Required after a Failover
# Error" (reference/cluster-operation-guide.txt), followed step by step.
#
# The error: with db1 online on node1, an invalid setting lands in
# postgresql.auto.conf on the shared disk, then the server crashes.  The
# cluster fails db1 over to node2, where the server cannot start either
# (same data directory): no node can run db1, it is "failed".
#
#   guide                                          pgha
#   6.1 identify the cause in the event log        pgha events --group db1
#   6.2 stop for maintenance (as 5.4.1.1):         pgha node stop node2
#                                                  pgha group offline db1
#                                                  pgha resource online db1-disk
#   6.3 start the database cluster by hand         pg_ctl start (fails), fix
#                                                  postgresql.auto.conf, pg_ctl start
#   6.4 recovery tasks                             check the data: every commit
#                                                  the client saw acknowledged
#   6.5 stop the database cluster                  pg_ctl stop
#   6.6 disable stoppage (as 5.4.1.3):             pgha group online db1 (also
#                                                  clears the failed state)
#                                                  pgha node start node2
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

AUTO_CONF=$LAB_DATA/postgresql.auto.conf
BAD_LINE="shared_buffers = 'nonsense'"

group_is() { [[ $(group_field "$1" state) == "$2" ]]; }	# ASKER STATE

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start guide6
check "the client commits through the access point" writer_wait_more 100 30

# --- The failover error.
"$LAB" exec node1 sh -c "echo \"$BAD_LINE\" >>$AUTO_CONF"
is "$?" 0 "the error: an invalid setting in postgresql.auto.conf on node1"
"$LAB" kill-postmaster node1 >"$OUT_DIR/guide6.lab" 2>&1
check "the error: db1 ends failed" wait_until 60 group_is node2 failed
reason=$(group_field node2 reason)
echo "# reason: $reason"
check "the error: the reason says no node can run it" \
    grep -q "no node can run it" <<<"$reason"
check "the error: nothing of db1 runs anywhere" holds_none node1 node2
check "the error: status (text) shows db1 failed" \
    grep -Eq '^ *db1 +failed ' <<<"$(pgha_on node1 status)"

# --- 6.1 Identifying the cause of the error: one command.
pgha_on node1 events --group db1 >"$OUT_DIR/guide6.events" 2>&1
sed 's/^/#   /' "$OUT_DIR/guide6.events" | grep -E 'failed|none'
check "6.1: events show db1-pg failing on node1 (the crash, by its monitor)" \
    grep -Eq "node1 +resource db1-pg +online -> failed +monitor failed" \
    "$OUT_DIR/guide6.events"
check "6.1: events show the failover from node1 to node2" \
    grep -Eq "group db1 +node1 -> node2 +failover from node1 to node2" \
    "$OUT_DIR/guide6.events"
check "6.1: events show the failed start on node2 with its exit status" \
    grep -Eq "node2 +resource db1-pg +starting -> failed +start failed: exit 1: " \
    "$OUT_DIR/guide6.events"
check "6.1: ... and the server's own words naming the bad parameter" \
    grep -Eq "node2 +resource db1-pg .*start failed.*invalid value for parameter \"shared_buffers\": \"nonsense\"" \
    "$OUT_DIR/guide6.events"
check "6.1: ... and the file it is in" \
    grep -q "configuration file \"$AUTO_CONF\" contains errors" \
    "$OUT_DIR/guide6.events"
check "6.1: events show the group giving up: no node can run it" \
    grep -Eq "group db1 +node2 -> none +no node can run it" \
    "$OUT_DIR/guide6.events"
check "6.1: node2 tells the same story" \
    grep -q 'invalid value for parameter "shared_buffers"' \
    <<<"$(pgha_on node2 events --group db1 2>&1)"

# --- 6.2 Stopping for maintenance (5.4.1.1 steps 1 to 3).
# Step 1: stop the cluster service on the standby node.
check "6.2 (5.4.1.1 step 1): pgha node stop node2" pgha node1 node stop node2
is "$(node_state node1 node2)" stopped "6.2 (5.4.1.1 step 1): node2 stopped"
# Step 2: take the group offline.
check "6.2 (5.4.1.1 step 2): pgha group offline db1" pgha node1 group offline db1
is "$(group_field node1 state)" offline "6.2 (5.4.1.1 step 2): db1 is offline"
# Step 3: bring only the disk online, for the recovery.
check "6.2 (5.4.1.1 step 3): pgha resource online db1-disk" \
    pgha node1 resource online db1-disk --wait=30
check "6.2 (5.4.1.1 step 3): the disk is mounted on node1" node_has_mount node1
is "$(group_field node1 state)/$(group_field node1 intent)" \
    partial/partial "6.2 (5.4.1.1 step 3): db1 is partial"
check "6.2 (5.4.1.1 step 3): no address, no server on node1" \
    not node_has_ip node1
check "6.2: node2 holds nothing" holds_none node2

# --- 6.3 Starting the database cluster by hand.
pgctl node1 -l /tmp/guide6-pg.log -w start >"$OUT_DIR/guide6.pgctl" 2>&1
rc=$?
check "6.3: pg_ctl start fails while the setting is wrong (exit $rc)" \
    test "$rc" -ne 0
check "6.3: its log names the bad parameter" \
    grep -q 'invalid value for parameter "shared_buffers"' \
    <<<"$("$LAB" exec node1 cat /tmp/guide6-pg.log)"
check "6.3: no server runs on node1" not node_has_pg node1
"$LAB" exec node1 sed -i "/^$BAD_LINE\$/d" "$AUTO_CONF"
is "$("$LAB" exec node1 grep -c nonsense "$AUTO_CONF")" 0 \
    "6.3: the bad line is removed from postgresql.auto.conf"
pgctl node1 -l /tmp/guide6-pg.log -w start >>"$OUT_DIR/guide6.pgctl" 2>&1
is "$?" 0 "6.3: pg_ctl start succeeds after the fix"
check "6.3: status shows db1-pg online, by hand, on node1" \
    wait_until 10 by_hand_on node1 node1

# --- 6.4 Recovery tasks: check the data.  Every commit the client saw
# acknowledged before the error is in the table (read on node1's socket).
ip=$("$LAB" exec node1 "$PGHA_BUILD/pgha-writer" --verify \
    -c "host=/run/postgresql dbname=postgres user=postgres" \
    -o "$WRITER_LOG" 2>&1)
echo "$ip" | sed 's/^/#   /'
acked=$(sed -n 's/^acked=//p' <<<"$ip")
is "$(sed -n 's/^lost=//p' <<<"$ip")" 0 \
    "6.4: no acknowledged commit lost (${acked:-?} acknowledged before the error)"
check "6.4: the client had commits acknowledged" test "${acked:-0}" -ge 100
rows=$(local_sql node1 "SELECT count(*) FROM pgha_writer" 2>&1)
check "6.4: the table holds at least as many rows ($rows >= ${acked:-?})" \
    test "${rows:-0}" -ge "${acked:-1}"

# --- 6.5 Stopping the database cluster.
pgctl node1 -m fast -w stop >>"$OUT_DIR/guide6.pgctl" 2>&1
is "$?" 0 "6.5: pg_ctl stop succeeds"
check "6.5: no server runs on node1" not node_has_pg node1
check "6.5: status shows db1-pg offline again" \
    wait_until 10 pg_offline node1

# --- 6.6 Disabling stoppage for maintenance (5.4.1.3 steps 1 and 2).
# Step 1: bring the group online (this also clears the failed state).
check "6.6 (5.4.1.3 step 1): pgha group online db1" pgha node1 group online db1
check "6.6 (5.4.1.3 step 1): db1 online on node1" online_on node1 node2
is "$(group_field node1 state)" online "6.6 (5.4.1.3 step 1): db1 no longer failed"
# Step 2: start the cluster service on the standby node.
check "6.6 (5.4.1.3 step 2): pgha node start node2" pgha node1 node start node2
is "$(node_state node1 node2)" online "6.6 (5.4.1.3 step 2): node2 online"
check "6.6 (5.4.1.3 step 2): db1 stays on node1" online_on node1 node2
check "6.6: node2 holds nothing" holds_none node2
check "6.6: the client commits again" writer_wait_more 50 60

assert_client_and_invariants guide6
done_testing
