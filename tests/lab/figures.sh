#!/bin/bash
# figures.sh - failover figures in the lab, as a client sees them.
#
#	tests/lab/figures.sh [--runs N] [--keep]
#
# Brings the lab up, starts a client that commits every 10 ms through the
# access point, and for each run: the active node loses power (then is
# restored), the active server is killed, and the group is moved by
# `pgha group move`.  For each event it prints the downtime the client saw
# (the gap between the last commit acknowledged before the fault and the
# first after it), the SQLSTATEs it got, and the failover timeline from
# `pgha events`.  At the end: commits lost (acknowledged, then absent) and
# the median of each kind of event.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
# shellcheck source=bench_lib.sh
. "$LAB_TESTS_DIR/bench_lib.sh"	# gap_json, other

RUNS=1 KEEP=0
while (( $# )); do
	case $1 in
	--runs) RUNS=${2:?}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: figures.sh [--runs N] [--keep]" >&2; exit 2 ;;
	esac
done

declare -A DOWN=()

owner() { group_field "$1" owner; }

timeline() {	# timeline NODE T: events since T, relative
	pgha_on "$1" events --json --group db1 2>/dev/null | jq -r --argjson t "$2" '
	    .events[] | select(.ms >= $t - 5) |
	    "    +\(.ms - $t | tostring | (" " * (5 - length)) + .) ms  \(.node)  \(.object): \(.old) -> \(.new)  (\(.cause))"' |
	    head -20
	pgha_on "$1" events --json 2>/dev/null | jq -r --argjson t "$2" '
	    .events[] | select(.ms >= $t - 5 and (.object | startswith("node"))) |
	    "    +\(.ms - $t | tostring | (" " * (5 - length)) + .) ms  \(.node)  \(.object): \(.old) -> \(.new)  (\(.cause))"' |
	    head -5
}

report() {	# report KIND T SURVIVOR
	local g e
	e=$(lab_ms)
	read -r g codes <<<"$(gap_json "$2" "$e" | jq -r '"\(.downtime_ms // "?") \(
	    .errors // {} | to_entries | map("\(.key)x\(.value)") | join(" ") |
	    if . == "" then "-" else . end)"')"
	DOWN[$1]+="$g "
	printf '%-14s client-seen downtime %6s ms   errors: %s\n' "$1" "$g" "$codes"
	timeline "$3" "$2" | sort -t+ -k2 -n
}

wait_settled() {	# db1 online on NODE, client committing
	wait_online_on "$1" "$1" 90 && writer_wait_more 50 60
}

median() {
	tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '
	    { v[NR] = $1 } END {
		if (NR == 0) { print "?"; exit }
		if (NR % 2) print v[(NR + 1) / 2]
		else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

echo "== bringing up the lab (2 nodes, corosync token ${PGHA_LAB_TOKEN:-300} ms)"
lab_fresh
wait_online_on node1 node1 60 || { echo "db1 did not come online"; exit 1; }
writer_start figures
writer_wait_more 100

for (( run = 1; run <= RUNS; run++ )); do
	echo "== run $run of $RUNS"
	a=$(owner node1); b=$(other "$a")
	t=$(lab_ms)
	"$LAB" crash "$a" --hard >/dev/null 2>&1
	wait_settled "$b" || { echo "failover after power loss did not complete"; exit 1; }
	report "power-loss" "$t" "$b"
	"$LAB" restore "$a" >/dev/null 2>&1
	wait_until 60 node_is "$b" "$a" online
	writer_wait_more 50

	# Back to the node that lost power, by the operator.
	a=$(owner "$b"); b=$(other "$a")
	t=$(lab_ms)
	pgha_on "$a" group move db1 --to "$b" --wait=60 >/dev/null
	wait_settled "$b" || { echo "planned move did not complete"; exit 1; }
	report "planned-move" "$t" "$b"

	a=$(owner "$b"); b=$(other "$a")
	t=$(lab_ms)
	"$LAB" kill-postmaster "$a" >/dev/null 2>&1
	wait_settled "$b" || { echo "failover after server crash did not complete"; exit 1; }
	report "server-crash" "$t" "$b"
	# The crashed node is banned for db1 until an operator clears it:
	# the next run moves the group back by name, which clears the ban.
	pgha_on "$b" group move db1 --to "$a" --wait=60 >/dev/null
	wait_settled "$a"
done

writer_stop
writer_verify figures >/dev/null
echo "== summary over $RUNS run(s)"
printf '  acknowledged commits: %s   lost: %s   (verified against the database)\n' \
    "$(kv "$OUT_DIR/figures.verify" acked)" "$(kv "$OUT_DIR/figures.verify" lost)"
printf '  SQLSTATEs seen by the client: %s\n' "$(kv "$OUT_DIR/figures.verify" sqlstates)"
for k in power-loss planned-move server-crash; do
	printf '  %-14s median client-seen downtime %s ms   (runs: %s)\n' "$k" \
	    "$(echo "${DOWN[$k]:-}" | median)" "${DOWN[$k]:-}"
done
(( KEEP )) || "$LAB" down >/dev/null 2>&1
exit 0
