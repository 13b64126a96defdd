#!/bin/bash
# The operation guide, 5.4.1 "Simultaneous Stopped Node Maintenance"
# (reference/cluster-operation-guide.txt), followed step by step:
#
#   guide                                          pgha
#   5.4.1.1 1. standby: [Stop Cluster Service]     pgha node stop node2
#           2. [Stop Role] / [Take Offline]        pgha group offline db1
#           3. the disk: [Bring Online]            pgha resource online db1-disk
#   5.4.1.2 maintenance (database recovery)        pg_ctl start by hand on node1,
#                                                  SQL on the local socket,
#                                                  pg_ctl stop
#   5.4.1.3 1. [Start Role] / [Bring Online]       pgha group online db1
#           2. standby: [Start Cluster Service]    pgha node start node2
#
# A client writes through the access point before and after (and fails
# during) the maintenance; what it saw acknowledged must all be there.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start guide541
check "the client commits through the access point" writer_wait_more 50 30

# --- 5.4.1.1 Stopping both nodes for maintenance.
# Step 1: stop the cluster service on the standby node.
check "5.4.1.1 step 1: pgha node stop node2" pgha node1 node stop node2
is "$(node_state node1 node2)" stopped "5.4.1.1 step 1: node1 shows node2 stopped"
is "$(node_state node2 node2)" stopped "5.4.1.1 step 1: node2 shows itself stopped"
check "5.4.1.1 step 1: status (text) shows node2 stopped" \
    grep -Eq '^[ *]+node2 +2 +stopped' <<<"$(pgha_on node1 status)"
check "5.4.1.1 step 1: db1 stays online on node1" online_on node1 node2
check "5.4.1.1 step 1: the client still commits" writer_wait_more 50 30

# Step 2: take the group offline (the database service stops too).
check "5.4.1.1 step 2: pgha group offline db1" pgha node1 group offline db1
is "$(group_field node1 state)" offline "5.4.1.1 step 2: db1 is offline"
check "5.4.1.1 step 2: no node holds the disk, address or server" \
    holds_none node1 node2

# Step 3: bring only the disk online, for the maintenance.
check "5.4.1.1 step 3: pgha resource online db1-disk" \
    pgha node1 resource online db1-disk
check "5.4.1.1 step 3: the disk is mounted on node1" node_has_mount node1
check "5.4.1.1 step 3: no address on node1" not node_has_ip node1
check "5.4.1.1 step 3: no server on node1" not node_has_pg node1
check "5.4.1.1 step 3: node2 holds nothing" holds_none node2
is "$(group_field node1 state)/$(group_field node1 intent)" partial/partial \
    "5.4.1.1 step 3: db1 is partial (state and intent)"
is "$(res_json node2 db1-disk)" '{"state":"online","node":"node1","by_hand":false}' \
    "5.4.1.1 step 3: db1-disk online on node1"
is "$(res_json node2 db1-ip)" '{"state":"offline","node":null,"by_hand":false}' \
    "5.4.1.1 step 3: db1-ip offline"
is "$(res_json node2 db1-pg)" '{"state":"offline","node":null,"by_hand":false}' \
    "5.4.1.1 step 3: db1-pg offline"

# --- 5.4.1.2 Maintenance tasks: a database recovery by hand on node1.
pgctl node1 -l /tmp/guide541-pg.log -w start >"$OUT_DIR/guide541.pgctl" 2>&1
is "$?" 0 "5.4.1.2: pg_ctl start by hand on node1"
pm=$(postmaster_pid node1)
local_sql node1 "CREATE TABLE guide_by_hand (id int PRIMARY KEY, note text);
    INSERT INTO guide_by_hand VALUES (1, 'made during 5.4.1.2');
    CHECKPOINT" >"$OUT_DIR/guide541.sql" 2>&1
is "$?" 0 "5.4.1.2: SQL through the local socket (CREATE TABLE, INSERT, CHECKPOINT)"
check "5.4.1.2: status shows db1-pg online, by hand, on node1" \
    wait_until 10 by_hand_on node1 node2
check "5.4.1.2: status (text) says \"online, by hand\"" \
    grep -Eq '^ *db1-pg +postgresql +online, by hand +node1' \
    <<<"$(pgha_on node2 status)"
is "$(local_sql node1 'SELECT count(*) FROM guide_by_hand' 2>&1)" 1 \
    "5.4.1.2: the server still answers after pgha saw it"
is "$(postmaster_pid node1)" "$pm" "5.4.1.2: pgha did not stop or restart it"
# While it runs, the cluster must not start the group on top of it.
out=$(pgha_on node2 group online db1 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "5.4.1.2: pgha group online db1 is refused (exit 1)"
check "5.4.1.2: the refusal names db1-pg, node1 and /srv/db1/data" \
    grep -q "db1-pg.*node1.*/srv/db1/data" <<<"$out"
out=$(pgha_on node1 resource online db1-pg 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "5.4.1.2: pgha resource online db1-pg is refused (exit 1)"
check "5.4.1.2: that refusal names db1-pg, node1 and /srv/db1/data" \
    grep -q "db1-pg.*node1.*/srv/db1/data" <<<"$out"
is "$(group_field node1 state)/$(group_field node1 intent)" partial/partial \
    "5.4.1.2: the refusals changed nothing: db1 still partial"
check "5.4.1.2: the refusals changed nothing: no address anywhere" \
    not node_has_ip node1
check "5.4.1.2: ... and no server on node2" holds_none node2
check "5.4.1.2: ... and db1-pg still shown by hand on node1" by_hand_on node1 node1
is "$(postmaster_pid node1)" "$pm" "5.4.1.2: ... and the server by hand still runs"
# Maintenance may restart pgha itself: the server by hand is found by the
# new pghad's probe and still left alone.
"$LAB" kill-pghad node1 >"$OUT_DIR/guide541.kill" 2>&1
"$LAB" start-pghad node1 >>"$OUT_DIR/guide541.kill" 2>&1
check "5.4.1.2: pghad restarted on node1, which is online again" \
    wait_until 30 node_is node2 node1 online
check "5.4.1.2: after the restart db1-pg is shown by hand on node1" \
    wait_until 10 by_hand_on node1 node2
is "$(postmaster_pid node1)" "$pm" \
    "5.4.1.2: ... and the restarted pghad did not stop the server by hand"
pgctl node1 -m fast -w stop >>"$OUT_DIR/guide541.pgctl" 2>&1
is "$?" 0 "5.4.1.2: pg_ctl stop by hand on node1"
check "5.4.1.2: no server on node1" not node_has_pg node1
# The operator looks at the status before starting the role again: the
# server by hand is seen gone within its monitor interval.
check "5.4.1.2: status shows db1-pg offline again" wait_until 10 pg_offline node2

# --- 5.4.1.3 Disabling stoppage of both nodes.
# Step 1: bring the group online.
check "5.4.1.3 step 1: pgha group online db1" pgha node1 group online db1
check "5.4.1.3 step 1: db1 online on node1" online_on node1 node2
# Step 2: start the cluster service on the standby node.
check "5.4.1.3 step 2: pgha node start node2" pgha node1 node start node2
is "$(node_state node1 node2)" online "5.4.1.3 step 2: node2 online"
check "5.4.1.3 step 2: node2 sees itself online" node_is node2 node2 online
check "5.4.1.3 step 2: db1 stays on node1" online_on node1 node2
check "5.4.1.3 step 2: node2 holds nothing" holds_none node2
check "5.4.1.3: the client commits through the access point again" \
    writer_wait_more 50 60
is "$(client_sql "SELECT note FROM guide_by_hand WHERE id = 1" 2>&1)" \
    "made during 5.4.1.2" "5.4.1.3: the table made by hand is there for the client"

assert_client_and_invariants guide541
done_testing
