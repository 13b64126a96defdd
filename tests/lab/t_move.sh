#!/bin/bash
# Planned moves both ways: with --to, then to the best other node.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start move
writer_wait_more 50
"$LAB" exec node2 "$PGHA_BUILD/pgha" events --follow --group db1 \
    >"$OUT_DIR/move.follow" 2>&1 &
follow_pid=$!
check "pgha group move db1 --to node2 succeeds" \
    pgha_on node1 group move db1 --to node2 --wait=60
check "db1 online on node2" online_on node2 node1
check "the client commits on node2" writer_wait_more 50 30
check "events --follow on node2 showed the move as it happened" wait_until 10 \
    grep -q "db1-pg: *starting -> online\|resource db1-pg *starting -> online" \
    "$OUT_DIR/move.follow"
kill "$follow_pid" 2>/dev/null; wait "$follow_pid" 2>/dev/null
check "pgha group move db1 (best other node) succeeds" \
    pgha_on node2 group move db1 --wait=60
check "db1 back on node1" online_on node1 node2
check "the client commits on node1" writer_wait_more 50 30
grep -q ' err 57P01 ' "$WRITER_LOG" && ok "a planned switch ends sessions with 57P01" ||
    echo "# no session was cut with 57P01 (the client may have been idle)"
assert_client_and_invariants move
out=$(pgha_on node1 group move db1 --to node9 2>&1); rc=$?
is "$rc" 4 "move to an unknown node: exit 4"
check "and the message names it" grep -q node9 <<<"$out"
out=$(pgha_on node1 group move nosuch 2>&1); rc=$?
is "$rc" 4 "move of an unknown group: exit 4"
done_testing
