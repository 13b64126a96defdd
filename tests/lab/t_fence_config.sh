#!/bin/bash
# Fencing in the cluster file, as pghad -n and pgha validate see it: a
# lab up --no-fencing (fencing = no) runs, and validate warns what it
# risks; the file edited to fencing on without fence agents is an error
# in validate and in pghad -n, naming the node and the fix.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap 'cp "$LAB_DIR/pgha.conf.orig" "$LAB_DIR/pgha.conf" 2>/dev/null; on_fail_dump' EXIT

v=$OUT_DIR/fenceconf.json
# findings NODE LEVEL: node's messages of that level in $v, one a line.
findings() {
	jq -r --arg n "$1" --arg l "$2" '.nodes[] | select(.node == $n) |
	    .findings[] | select(.level == $l) | .message' "$v"
}

lab_fresh --no-fencing
check "fencing = no in the lab's cluster file" \
    grep -qx "fencing = no" "$LAB_DIR/pgha.conf"
check "db1 online on node1 (fencing = no runs)" online_on node1
pgha_on node1 validate --json >"$v" 2>/dev/null; rc=$?
findings node1 warning | sed 's/^/#   /'
is "$rc" 0 "validate: exit 0 (warnings only)"
check "node1 warns that fencing = no risks two writers" sh -c \
    "$(declare -f findings); v=$v; findings node1 warning |
    grep -q 'fencing = no: .*two writers'"
check "so does node2" sh -c "$(declare -f findings); v=$v;
    findings node2 warning | grep -q 'fencing = no: .*two writers'"

# The operator turns fencing on but forgets the agents.
cp "$LAB_DIR/pgha.conf" "$LAB_DIR/pgha.conf.orig"
sed -i '/^fencing = no$/d' "$LAB_DIR/pgha.conf"
pgha_on node1 validate --json >"$v" 2>/dev/null; rc=$?
findings node1 error | sed 's/^/#   /'
is "$rc" 1 "validate of the edited file: exit 1"
is "$(jq -r .errors "$v")" 4 "an error per node, on each of the two nodes"
check "it names node1, that it has no fence_agent, and the fix" sh -c \
    "$(declare -f findings); v=$v; findings node1 error |
    grep '\[node node1\] has no fence_agent' | grep -q 'Set fence_agent'"
out=$("$LAB" exec node1 "$PGHA_BUILD/pghad" -n -f "$LAB_DIR/pgha.conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "pghad -n rejects it"
check "pghad -n names the file, line and node" \
    grep -q "pgha.conf:[0-9]*: \[node node2\] has no fence_agent" <<<"$out"
check "the running cluster is untouched" online_on node1
cp "$LAB_DIR/pgha.conf.orig" "$LAB_DIR/pgha.conf"
done_testing
