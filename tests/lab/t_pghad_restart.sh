#!/bin/bash
# pghad killed and restarted: on the active node the server neither moves
# nor stops; on the standby nothing happens at all.  Before that: SIGHUP
# says that a reload is not supported and changes nothing; a second pghad
# on the node exits with the state directory's own exit code.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
pid0=$(postmaster_pid node1)

pghad1=$(cat "$LAB_DIR/node1/pghad.pid")
kill -HUP "$pghad1"
check "SIGHUP: pghad logs that a reload is not supported" wait_until 10 \
    grep -q "SIGHUP: reload is not supported; restart pghad on every node" \
    "$LAB_DIR/node1/pghad.log"
check "after SIGHUP the same pghad runs on node1" kill -0 "$pghad1"
check "after SIGHUP node2 still sees node1 online" node_is node2 node1 online
"$LAB" exec node1 "$PGHA_BUILD/pghad" -d -f "$LAB_DIR/pgha.conf" \
    >"$OUT_DIR/pghad-second.out" 2>&1
is "$?" 7 "a second pghad on node1 exits 7 (state directory locked)"
grep -q "pghad.lock: another pghad runs on this node" \
    "$OUT_DIR/pghad-second.out" && ok "it says why" || not_ok "it says why"
check "the first pghad still runs" kill -0 "$pghad1"

sampler_start
writer_start pghad
writer_wait_more 50
"$LAB" kill-pghad node1 >/dev/null
check "node2 sees node1's pghad down" wait_until 30 \
    node_is node2 node1 daemon-down
check "the client keeps committing while node1's pghad is down" \
    writer_wait_more 100 30
check "db1 was not started on node2" holds_none node2
"$LAB" start-pghad node1 >/dev/null
check "node1 probes, rejoins and reports db1 online" \
    wait_online_on node1 node2 60
is "$(postmaster_pid node1)" "$pid0" "the same postmaster still runs"
grep -q "found running when pghad started" "$LAB_DIR/node1/pghad.log" &&
    ok "the probe reported what it found" || not_ok "the probe reported what it found"

"$LAB" kill-pghad node2 >/dev/null
"$LAB" start-pghad node2 >/dev/null
check "standby's pghad restarted: node2 online again" wait_until 60 \
    node_is node1 node2 online
check "db1 untouched on node1" online_on node1
is "$(postmaster_pid node1)" "$pid0" "still the same postmaster"
errs=$(grep -c ' err ' "$WRITER_LOG")
is "$errs" 0 "the client saw no error at all"
assert_client_and_invariants pghad
done_testing
