#!/bin/bash
# The postmaster is killed: restart_after_crash is off, so the group fails
# over instead of restarting in place, and the event log says why.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
is "$(pgha_on node1 status --json >/dev/null; "$LAB" exec node1 psql -h /run/postgresql -U postgres -Atc 'show restart_after_crash')" \
    off "restart_after_crash is off in the running server"
sampler_start
writer_start pgkill
writer_wait_more 50
"$LAB" kill-postmaster node1 >"$OUT_DIR/pgkill.lab" 2>&1
check "db1 fails over to node2" wait_online_on node2 node2 60
check "the client commits again" writer_wait_more 50 30
pgha_on node2 events --group db1 >"$OUT_DIR/pgkill.events" 2>&1
check "events: db1-pg failed on node1 with the monitor's words" \
    grep -Eq "node1 +resource db1-pg +online -> failed +monitor failed" \
    "$OUT_DIR/pgkill.events"
# The postmaster's exit is seen at once (pidfd), not at the next monitor.
pm=$(grep -oE 'pid [0-9]+ in the node' "$OUT_DIR/pgkill.lab" | grep -oE '[0-9]+')
check "pghad on node1 saw process $pm exit and monitored at once" \
    grep -q "db1-pg: process $pm exited: monitoring now" \
    "$LAB_DIR/node1/pghad.log"
is "$(status_q node2 '.groups[0].resources[] | select(.name == "db1-pg") | .failcount.node1')" \
    1 "failcount of db1-pg on node1 is 1"
assert_client_and_invariants pgkill
check "nothing of db1 left on node1" holds_none node1
check "move back to node1 by name works after the failure" \
    pgha_on node2 group move db1 --to node1
check "db1 online on node1 again" wait_online_on node1 node1 60
done_testing
