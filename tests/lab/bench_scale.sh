#!/bin/bash
# bench_scale.sh - how long until every group of a lost node is back, with
# many groups, and whether they came back side by side or one after another.
#
#	tests/lab/bench_scale.sh [--groups N] [--runs R] [--json FILE] [--keep]
#	    [--pg-set NAME=VALUE]...
#
# Brings up a lab of 3 nodes with fencing and N groups (default 8; lab up
# --groups: each its own database on its own loop disk, spread over the
# nodes by their preferred owners), waits until every group is online,
# then R times (default 3): the node that owns the most groups loses power
# (`lab crash NODE --hard`, at T), and once every group is online on a
# survivor the run is read back from `pgha events --json`:
#
#   per group of the lost node: when the failover was decided, when its
#   first resource began to start, when its server began to start, when the
#   server was online (all from T), and where;
#   for the run: detection (the node seen unclean), fencing done, all groups
#   back (the last group's server online), and how parallel the recovery
#   was: the spread of the groups' start begins, the sum of the groups'
#   start-to-online times against the wall time from the first start to the
#   last online (sum/wall near the number of groups: side by side; near 1:
#   one after another), and the most groups starting at the same moment.
#
# Then the node is restored and the next run waits until it is an online
# member and every group is online again (groups do not fail back).
# Prints a table per run and a summary (min/median/max); --json writes the
# same as JSON.  Exit 0 if every group came back in every run, 1 otherwise.
# --pg-set NAME=VALUE (repeatable) sets a server parameter in every
# database (ALTER SYSTEM through its address) before the first run, for
# trying settings: it applies from the next start, the failover's, e.g.
# --pg-set recovery_init_sync_method=syncfs.  --keep leaves the lab up.
# Times are measured, not judged: this script asserts nothing about speed.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

NGROUPS=8 RUNS=3 JSON_OUT='' KEEP=0 PG_SET=() PLACEMENT=''
NNODES=3
BACK_DEADLINE=120	# s: after that a group still offline is counted as left
while (( $# )); do
	case $1 in
	--groups) NGROUPS=${2:?}; shift 2 ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--json) JSON_OUT=${2:?}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--pg-set) [[ ${2:-} =~ ^[a-z_]+=[A-Za-z0-9_.]+$ ]] ||
		{ echo "--pg-set NAME=VALUE" >&2; exit 2; }
		PG_SET+=("$2"); shift 2 ;;
	*) echo "usage: bench_scale.sh [--groups N] [--runs R] [--json FILE] [--keep] [--pg-set NAME=VALUE]..." >&2
	   exit 2 ;;
	esac
done
[[ $NGROUPS =~ ^[0-9]+$ ]] && (( NGROUPS >= 2 )) || { echo "--groups: at least 2" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] && (( RUNS >= 1 )) || { echo "--runs: at least 1" >&2; exit 2; }

RUNS_JSON=$OUT_DIR/bench-scale.runs.jsonl
: >"$RUNS_JSON"

cleanup_lab() { (( KEEP )) || "$LAB" down >/dev/null 2>&1; }
trap cleanup_lab EXIT

# groups_of and all_back: scenario.sh.

# The node that owns the most groups (lowest id on ties), from groups_of.
busiest() {
	awk '$3 != "null" { c[$3]++ } END {
		for (n in c) print c[n], n }' | sort -k1,1nr -k2,2 | head -1 |
	    awk '{ print $2 }'
}

iso_ms() {	# iso_ms MS: UTC ISO 8601 with milliseconds, for --since
	printf '%s.%03dZ' "$(date -u -d "@$(( $1 / 1000 ))" +%FT%T)" $(( $1 % 1000 ))
}

# The run's figures from the event log (stdin: pgha events --json).
analyse() {	# analyse RUN NODE T "GROUP..." LEFT_OFFLINE
	jq -c --argjson run "$1" --arg crashed "$2" --argjson t "$3" \
	    --arg lost "$4" --argjson left "$5" '
	def rel: if . == null then null else . - $t end;
	def med: sort | if length == 0 then null
	    elif length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 | floor end;
	[.events[] | select(.ms >= $t)] as $ev |
	($lost | split(" ") | map(select(. != ""))) as $gs |
	[$gs[] as $g | ($ev | map(select(.group == $g))) as $e |
	    ($e | map(select(.object == "group " + $g and .old == $crashed)) |
		first) as $d |
	    {group: $g, to: ($d.new // null), decided: ($d.ms // null),
	     start: ($e | map(select((.object | startswith("resource ")) and
		.old == "offline" and .new == "starting")) | first | .ms // null),
	     pg_start: ($e | map(select(.object == "resource " + $g + "-pg" and
		.old == "offline" and .new == "starting")) | first | .ms // null),
	     online: ($e | map(select(.object == "resource " + $g + "-pg" and
		.old == "starting" and .new == "online")) | first | .ms // null)}
	] as $rows |
	($rows | map(select(.start != null and .online != null))) as $done |
	($ev | map(select(.object == "node " + $crashed))) as $ne |
	{run: $run, crashed: $crashed, t_ms: $t, groups_lost: ($gs | length),
	 left_offline: $left,
	 detected_ms: ($ne | map(select(.new == "unclean" or .new == "offline")) |
	     first | .ms | rel),
	 fenced_ms: ($ne | map(select(.old == "unclean" and .new == "offline")) |
	     first | .ms | rel),
	 all_back_ms: (if ($done | length) == ($gs | length) and $left == 0
	     then ($done | map(.online) | max | rel) else null end),
	 groups: ($rows | map({group, to, decided_ms: (.decided | rel),
	     start_ms: (.start | rel), pg_start_ms: (.pg_start | rel),
	     online_ms: (.online | rel),
	     start_to_online_ms: (if .start != null and .online != null
		 then .online - .start else null end)})),
	 start_spread_ms: ($done | map(.start) |
	     if length > 0 then max - min else null end),
	 pg_start_spread_ms: ($rows | map(.pg_start | select(. != null)) |
	     if length > 0 then max - min else null end),
	 sum_start_to_online_ms: ($done | map(.online - .start) | add),
	 wall_start_to_online_ms: (if ($done | length) > 0 then
	     ($done | map(.online) | max) - ($done | map(.start) | min)
	     else null end),
	 max_starting_at_once: ([$done[] as $a | $done |
	     map(select(.start <= $a.start and .online > $a.start)) | length] |
	     max),
	 per_node: ($done | group_by(.to) | map({node: .[0].to,
	     groups: length, sum_ms: (map(.online - .start) | add),
	     wall_ms: ((map(.online) | max) - (map(.start) | min))}))}
	| .parallelism = (if (.wall_start_to_online_ms // 0) > 0 then
	     ((.sum_start_to_online_ms / .wall_start_to_online_ms) * 100 |
	      round) / 100 else null end)'
}

print_run() {	# print_run JSON
	jq -r '
	def f: if . == null then "-" else tostring end;
	"  group  to      decided  1st start  pg start  online  start->online (ms after T)",
	(.groups[] | "  \(.group | . + " " * (5 - length))  \(.to | f |
	    . + " " * (6 - length))  \(.decided_ms | f | " " * (7 - length) + .)  \(
	    .start_ms | f | " " * (9 - length) + .)  \(.pg_start_ms | f |
	    " " * (8 - length) + .)  \(.online_ms | f | " " * (6 - length) + .)  \(
	    .start_to_online_ms | f | " " * (13 - length) + .)"),
	"  node seen lost +\(.detected_ms | f) ms, fenced +\(.fenced_ms | f) ms;" +
	    " all \(.groups_lost) groups back +\(.all_back_ms | f) ms;" +
	    " left offline: \(.left_offline)",
	"  parallel: start begins spread \(.start_spread_ms | f) ms" +
	    " (pg starts \(.pg_start_spread_ms | f) ms); sum of start->online" +
	    " \(.sum_start_to_online_ms | f) ms over a wall time of" +
	    " \(.wall_start_to_online_ms | f) ms = x\(.parallelism | f);" +
	    " at most \(.max_starting_at_once | f) starting at once",
	(.per_node[] | "    on \(.node): \(.groups) groups, sum \(.sum_ms) ms," +
	    " wall \(.wall_ms) ms")' <<<"$1"
}

summary() {	# stdin: one run per line
	jq -s --argjson groups "$NGROUPS" --argjson nodes "$NNODES" \
	    --arg date "$(date -u +%FT%TZ)" --arg host "$(hostname)" \
	    --arg cpus "$(nproc)" --arg kernel "$(uname -r)" \
	    --argjson token "${TOKEN_MS:-null}" \
	    --argjson consensus "${CONSENSUS_MS:-null}" \
	    --argjson pgset "$(printf '%s\n' "${PG_SET[@]}" | jq -R 'select(. != "")' | jq -s .)" '
	def med: sort | if length == 0 then null
	    elif length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def mmm: map(select(. != null)) |
	    {min: min, median: med, max: max, n: length};
	{benchmark: "scale", date: $date,
	 machine: {host: $host, cpus: ($cpus | tonumber), kernel: $kernel},
	 nodes: $nodes, groups: $groups,
	 corosync_token_ms: $token, corosync_consensus_ms: $consensus,
	 pg_settings: $pgset,
	 runs: .,
	 summary: {
	     all_back_ms: (map(.all_back_ms) | mmm),
	     group_online_ms: ([.[].groups[].online_ms] | mmm),
	     detected_ms: (map(.detected_ms) | mmm),
	     start_to_online_ms: ([.[].groups[].start_to_online_ms] | mmm),
	     start_spread_ms: (map(.start_spread_ms) | mmm),
	     pg_start_spread_ms: (map(.pg_start_spread_ms) | mmm),
	     parallelism: (map(.parallelism) | mmm),
	     max_starting_at_once: (map(.max_starting_at_once) | mmm),
	     groups_lost: (map(.groups_lost) | add),
	     left_offline: (map(.left_offline) | add)}}'
}

echo "== lab up: $NNODES nodes, $NGROUPS groups, fencing"
if ! "$LAB" up --fencing --nodes "$NNODES" --groups "$NGROUPS" \
    >"$OUT_DIR/bench-scale-up.log" 2>&1; then
	echo "lab up failed:" >&2
	tail -n 20 "$OUT_DIR/bench-scale-up.log" >&2
	exit 1
fi
grep '^lab: ' "$OUT_DIR/bench-scale-up.log" | sed 's/^/  /'
# The timeouts in force: with more than 2 nodes corosync adds
# token_coefficient per node to the configured token.
cmap() { "$LAB" exec node1 corosync-cmapctl -g "$1" 2>/dev/null | sed -n 's/.* = //p'; }
TOKEN_MS=$(cmap runtime.config.totem.token)
CONSENSUS_MS=$(cmap runtime.config.totem.consensus)
echo "  corosync in force: token ${TOKEN_MS:-?} ms, consensus ${CONSENSUS_MS:-?} ms"
wait_until 60 all_back node1 || { echo "not every group came online" >&2; exit 1; }
for kv in "${PG_SET[@]}"; do
	for (( k = 1; k <= NGROUPS; k++ )); do
		ip netns exec "$CLIENT_NS" psql -X -Atq -v ON_ERROR_STOP=1 \
		    "host=198.18.0.$(( 99 + k )) port=$(( 5431 + k )) user=postgres dbname=postgres connect_timeout=5" \
		    -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" -c "SELECT pg_reload_conf()" \
		    >/dev/null || { echo "db$k: cannot set $kv" >&2; exit 1; }
	done
	echo "  every database: $kv (from its next start)"
done

failed=0
for (( run = 1; run <= RUNS; run++ )); do
	# Ask a node that will survive: node1 unless it is the victim.
	asker=node1
	wait_until 60 all_back "$asker" || { echo "not every group online" >&2; exit 1; }
	placement=$PLACEMENT
	victim=$(busiest <<<"$placement")
	[[ -n $victim ]] || { echo "no placement from pgha status" >&2; exit 1; }
	[[ $victim == node1 ]] && asker=node2
	lost=$(awk -v n="$victim" '$3 == n { printf "%s ", $1 }' <<<"$placement")
	echo "== run $run of $RUNS: $victim loses power; its groups: $lost"
	out=$("$LAB" crash "$victim" --hard 2>&1)
	t=$(sed -n 's/^crashed [a-z0-9]* at \([0-9]*\) .*/\1/p' <<<"$out")
	[[ -n $t ]] || { echo "lab crash failed: $out" >&2; exit 1; }
	left=0
	if ! wait_until "$BACK_DEADLINE" all_back "$asker" "$victim"; then
		left=$(groups_of "$asker" | awk -v a="$victim" \
		    '!($2 == "online" && $3 != "null" && $3 != a)' | wc -l)
		echo "  $left group(s) not back within ${BACK_DEADLINE} s:"
		groups_of "$asker" | sed 's/^/    /'
		failed=1
	fi
	pgha_on "$asker" events --json --since "$(iso_ms $(( t - 1000 )))" \
	    >"$OUT_DIR/bench-scale-run$run.events.json" 2>&1
	r=$(analyse "$run" "$victim" "$t" "$lost" "$left" \
	    <"$OUT_DIR/bench-scale-run$run.events.json")
	if [[ -z $r ]]; then
		echo "  cannot read the events (see" \
		    "$OUT_DIR/bench-scale-run$run.events.json)" >&2
		exit 1
	fi
	echo "$r" >>"$RUNS_JSON"
	print_run "$r"

	"$LAB" restore "$victim" >"$OUT_DIR/bench-scale-restore$run.log" 2>&1 ||
	    { echo "lab restore $victim failed" >&2; exit 1; }
	wait_until 60 node_is "$asker" "$victim" online &&
	    wait_until 60 all_back "$asker" ||
	    { echo "after restore: $victim not online or a group not online" >&2; exit 1; }
done

S=$(summary <"$RUNS_JSON")
[[ -n $JSON_OUT ]] && echo "$S" >"$JSON_OUT"
echo "== summary: $RUNS run(s), $NNODES nodes, $NGROUPS groups, token" \
    "${TOKEN_MS:-?} ms ($(hostname), $(nproc) CPUs, $(date -u +%F))"
jq -r '
def f: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
def row(n): "  \(n + " " * (34 - (n | length)))\(.min | f | " " * (7 - length) + .)" +
    "\(.median | f | " " * (9 - length) + .)\(.max | f | " " * (8 - length) + .)";
"                                        min   median     max",
(.summary.all_back_ms | row("all groups of the node back (ms)")),
(.summary.group_online_ms | row("one group back (ms)")),
(.summary.detected_ms | row("node seen lost (ms)")),
(.summary.start_to_online_ms | row("a group start->online (ms)")),
(.summary.start_spread_ms | row("spread of start begins (ms)")),
(.summary.pg_start_spread_ms | row("spread of pg start begins (ms)")),
(.summary.parallelism | row("sum/wall of starts (x)")),
(.summary.max_starting_at_once | row("groups starting at once")),
"  groups lost in all runs: \(.summary.groups_lost), left offline: \(.summary.left_offline)"
' <<<"$S"
[[ -n $JSON_OUT ]] && echo "  JSON: $JSON_OUT"
exit "$failed"
