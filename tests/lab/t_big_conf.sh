#!/bin/bash
# The largest cluster file pghad -n accepts for this lab (two nodes, db1
# and groups of address resources with the longest names, as many as
# fit) runs: the state is handed to a joining pghad in one message that
# the receiver accepts, and one resource more is refused by pghad -n.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

long() { printf '%s%s' "$1" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | cut -c1-63; }

# big_res I: one resource section, in groups of 64 (a group's most).
big_res() {
	local g=$(long "big$(( $1 / 64 ))-")
	(( $1 % 64 )) || printf '[group %s]\nautostart = no\n\n' "$g"
	printf '[resource %s]\ngroup = %s\ntype = address\naddress = 198.18.%d.%d/32\ninterface = eth0\n\n' \
	    "$(long "r$1-")" "$g" $(( 2 + $1 / 250 )) $(( 1 + $1 % 250 ))
}

nres() {	# nres NODE: resources of the big groups NODE's status shows
	status_q "$1" '[.groups[] | select(.name | startswith("big")) |
	    .resources[]] | length'
}

lab_fresh
check "db1 online on node1" wait_online_on node1 node2
base=$OUT_DIR/big-base.conf
cp "$LAB_DIR/pgha.conf" "$base"
# Add resources while pghad -n accepts the file.
n=0
cp "$base" "$OUT_DIR/big.conf"
while "$PGHA_BUILD/pghad" -n -f "$OUT_DIR/big.conf" >/dev/null 2>&1; do
	cp "$OUT_DIR/big.conf" "$OUT_DIR/big-ok.conf"
	big_res "$n" >>"$OUT_DIR/big.conf"
	n=$(( n + 1 ))
	(( n <= 2000 )) || break
done
accepted=$(( n - 1 ))
echo "# pghad -n accepts $accepted resources in the big groups, refuses $n:"
"$PGHA_BUILD/pghad" -n -f "$OUT_DIR/big.conf" 2>&1 | sed 's/^/#   /'
check "a limit exists and names the fix" \
    sh -c "'$PGHA_BUILD/pghad' -n -f '$OUT_DIR/big.conf' 2>&1 | grep -q 'use fewer'"

"$LAB" kill-pghad node2 >/dev/null
"$LAB" kill-pghad node1 >/dev/null
cp "$OUT_DIR/big-ok.conf" "$LAB_DIR/pgha.conf"
"$LAB" start-pghad node1 >/dev/null
check "node1's pghad runs the largest file, db1 found running" \
    wait_online_on node1 node1 120
"$LAB" start-pghad node2 >/dev/null
check "node2 joins: the state is handed over and accepted" \
    wait_until 120 node_is node1 node2 online
is "$(nres node2)" "$accepted" "node2 shows every resource of the big groups"
check "db1 still online on node1, seen from node2" online_on node1 node2
for k in 1 2; do
	check "node$k dropped no message as malformed" \
	    not grep -q "malformed message" "$LAB_DIR/node$k/pghad.log"
done
grep -h "sync complete" "$LAB_DIR"/node*/pghad.log | tail -2 | sed 's/^/#   /'
done_testing
