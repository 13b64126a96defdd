#!/bin/bash
# A node with a different cluster file is refused; a non-root user may
# read the status but not change anything.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start refuse
writer_wait_more 50
"$LAB" kill-pghad node2 >/dev/null
sed 's/^preferred_owners = .*/preferred_owners = node2 node1/' \
    "$LAB_DIR/pgha.conf" >"$LAB_DIR/pgha-other.conf"
"$LAB" exec node2 "$PGHA_BUILD/pghad" -d -f "$LAB_DIR/pgha-other.conf" \
    >"$OUT_DIR/refuse.out" 2>&1
is "$?" 4 "pghad with a different cluster file exits 4"
check "and says why" grep -q "differs from the running cluster" \
    "$OUT_DIR/refuse.out"
check "db1 still online on node1" online_on node1
is "$(node_state node1 node2)" \
    offline "node2 is not counted as a member"

out=$("$LAB" exec node1 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$PGHA_BUILD/pgha" group move db1 2>&1); rc=$?
is "$rc" 3 "non-root move: exit 3"
check "non-root move: permission denied" grep -qi "permission denied" <<<"$out"
"$LAB" exec node1 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$PGHA_BUILD/pgha" status >/dev/null 2>&1
is "$?" 0 "non-root may read the status"
check "db1 did not move" online_on node1
check "the client kept committing" writer_wait_more 50 30
errs=$(grep -c ' err ' "$WRITER_LOG")
is "$errs" 0 "the client saw no error"
assert_client_and_invariants refuse
done_testing
