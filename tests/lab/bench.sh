#!/bin/bash
# bench.sh - the failover benchmark: how long a client is without its
# database, and where the time goes (issue 6).
#
#	tests/lab/bench.sh [--runs N] [--only LIST] [--json FILE] [--keep]
#	    [--token MS] [--quick] [--window S] [--wal LIST] [--scale S]
#
# Brings a fresh 2-node lab up (fencing on; --token sets corosync's token
# through PGHA_LAB_TOKEN), starts pgha-writer (one commit every 10 ms
# through the access point, every outcome logged) and runs the sections
# named by --only (default: all), in this order:
#
#   power-loss  `lab crash OWNER --hard` (links down, then the node's
#               processes killed), then the node restored and back as a
#               member; the next run fails the other node.
#   crash       `lab kill-postmaster OWNER` (SIGKILL of the postmaster).
#   hung        `lab freeze-postmaster OWNER` (SIGSTOP of the server; pgha
#               finds it by the monitor's timeout and kills it when it
#               stops it).
#   move        `pgha group move db1 --to OTHER` (planned).
#   load        power-loss, crash and move again, with pgbench (4 clients)
#               writing through the access point at the moment of the
#               fault; pgbench's acknowledged transactions are checked
#               against pgbench_history.
#   recovery    power loss after X MiB of WAL written since the last
#               checkpoint (--wal, default "0 16 64 256", each capped by
#               the room on the shared disk): downtime and db1-pg's start
#               (crash recovery) as a function of X.
#   cost        pghad's CPU time (own, and with the agents it ran) and
#               memory per node over --window seconds (default 60), group
#               offline (idle) and online (monitoring).
#
# Every failover run is measured the same way: T = lab_ms just before the
# fault command; the run is complete once db1 is online (all resources)
# on the survivor and the writer has committed again (deadline 60 s);
# client-seen downtime = the longest gap between two acknowledged commits
# around the fault; the breakdown (detect, fence, decide, stop, start,
# reconnect) is read back from `pgha events --json` (defined in
# bench_lib.sh, BENCH_PHASES_JQ).  After all runs the writer's commits are
# verified against the table: 0 acknowledged commits may be lost.
#
# --quick: one run each of power-loss, crash, hung and move (a lab test
# step).  TAP lines ("ok N - ...") for every run completed, nothing lost
# and the JSON valid, then done_testing.  The table is printed at the end
# and the JSON (every run's raw figures, the summaries, the machine, the
# corosync timing in force and the pgha commit) written to --json FILE
# (default $OUT_DIR/bench.json).  Speed is measured and reported, never
# asserted.  Exit 1 if a run did not complete, anything was lost or the
# JSON is invalid.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
# shellcheck source=bench_lib.sh
. "$LAB_TESTS_DIR/bench_lib.sh"

ALL_SECTIONS="power-loss,crash,hung,move,load,recovery,cost"
RUNS=5 ONLY=$ALL_SECTIONS JSON_OUT=$OUT_DIR/bench.json KEEP=0 QUICK=0
WINDOW=60 WAL_LIST="0 16 64 256" BENCH_SCALE=10
SETTLE_DEADLINE=60	# s: a run not settled by then did not complete
LOAD_SCENARIOS="power-loss crash move"

usage() {
	echo "usage: bench.sh [--runs N] [--only $ALL_SECTIONS] [--json FILE]" \
	    "[--keep] [--token MS] [--quick] [--window S] [--wal 'MB...']" \
	    "[--scale S]" >&2
	exit 2
}

while (( $# )); do
	case $1 in
	--runs) RUNS=${2:?}; shift 2 ;;
	--only) ONLY=${2:?}; shift 2 ;;
	--json) JSON_OUT=${2:?}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--token) export PGHA_LAB_TOKEN=${2:?}; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--window) WINDOW=${2:?}; shift 2 ;;
	--wal) WAL_LIST=${2:?}; shift 2 ;;
	--scale) BENCH_SCALE=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
if (( QUICK )); then
	RUNS=1 ONLY=power-loss,crash,hung,move
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $WINDOW =~ ^[1-9][0-9]*$ ]] || usage
for s in ${ONLY//,/ }; do
	[[ ,$ALL_SECTIONS, == *,$s,* ]] || { echo "bench.sh: unknown section $s" >&2; usage; }
done
want() { [[ ,$ONLY, == *,$1,* ]]; }

BENCH_WORK=$OUT_DIR/bench.d
rm -rf "$BENCH_WORK"
mkdir -p "$BENCH_WORK"
BENCH_RUNS=$BENCH_WORK/runs.jsonl	# one object per failover run
BENCH_PGB=$BENCH_WORK/pgbench.jsonl	# one per pgbench run (load, recovery)
BENCH_COST=$BENCH_WORK/cost.jsonl	# one per node and state
: >"$BENCH_RUNS"; : >"$BENCH_PGB"; : >"$BENCH_COST"
BENCH_LOST_BEFORE=0
PGB_PID=

cleanup() {
	[[ -n ${PGB_PID:-} ]] && kill -INT "$PGB_PID" 2>/dev/null
	[[ -n ${WRITER_PID:-} ]] && writer_stop
	(( KEEP )) || "$LAB" down >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- runs

# Inject SCENARIO's fault on node A (B is the other): T on stdout's first
# line, the lab command's output after it.
inject() {	# inject SCENARIO A B
	local t out
	t=$(lab_ms)
	case $1 in
	power-loss) out=$("$LAB" crash "$2" --hard 2>&1) ;;
	crash) out=$("$LAB" kill-postmaster "$2" 2>&1) ;;
	hung) out=$("$LAB" freeze-postmaster "$2" 2>&1) ;;
	move) out=$(pgha_on "$2" group move db1 --to "$3" --no-wait 2>&1) ;;
	esac
	printf '%s\n%s\n' "$t" "$out"
}

# After a run on A (the group now on B): the cluster settled again, with
# both nodes online members and A allowed to run db1.
recover() {	# recover SCENARIO A B
	local sc=$1 a=$2 b=$3
	case $sc in
	hung)
		# pgha's stop of the frozen server ends in SIGKILL; thaw what
		# may be left (nothing, normally).
		if node_has_pg "$a"; then
			echo "# hung: a server of $a outlived the failover; thawing it"
			"$LAB" thaw-postmaster "$a" >/dev/null 2>&1
		fi
		;;
	esac
	# Fenced (power loss, or a stop that failed): power it back on.
	if ! lab_init_pid "$a" >/dev/null; then
		"$LAB" restore "$a" >>"$BENCH_WORK/restore.log" 2>&1 ||
		    echo "# restore $a failed (see $BENCH_WORK/restore.log)"
	fi
	wait_until 60 node_is "$b" "$a" online ||
	    echo "# $a is not an online member again"
	case $sc in
	crash|hung)
		# A failure bans A for db1 until an operator moves the group
		# there by name: do that, so that the next run starts alike.
		pgha_on "$b" group move db1 --to "$a" --wait=60 >/dev/null 2>&1
		wait_settled "$a" "$SETTLE_DEADLINE" ||
		    echo "# db1 did not come back to $a"
		;;
	esac
	writer_wait_more 20 30
}

# One measured run: fault on the owner, wait for the failover, read it
# back, put the cluster back.  The run's JSON goes to $BENCH_WORK/run.json
# (not through a pipe: the run updates this shell's state).
run_once() {	# run_once SECTION SCENARIO RUN [EXTRA_JSON]
	local section=$1 sc=$2 run=$3 extra=${4:-'{}'} a b t tlab out e fin=true
	rm -f "$BENCH_WORK/run.json"
	a=$(owner) || { echo "# no owner of db1"; return 1; }
	b=$(other "$a")
	out=$(inject "$sc" "$a" "$b")
	t=$(head -1 <<<"$out")
	tlab=$(lab_said_at "$(tail -n +2 <<<"$out")")
	wait_settled "$b" "$SETTLE_DEADLINE" || fin=false
	e=$(lab_ms)
	bench_measure "$section" "$sc" "$run" "$a" "$b" "$t" "$tlab" "$e" \
	    "$fin" "$extra" >"$BENCH_WORK/run.json"
	recover "$sc" "$a" "$b"
}

tap_run() {	# tap_run LABEL: TAP line for the run in $BENCH_WORK/run.json
	local j
	j=$(cat "$BENCH_WORK/run.json" 2>/dev/null)
	[[ -n $j ]] || { not_ok "$1: not run"; return; }
	bench_say_run <<<"$j"
	if [[ $(jq -r .completed <<<"$j") == true ]]; then
		ok "$1: db1 back online on $(jq -r .to <<<"$j") within ${SETTLE_DEADLINE}s"
	else
		not_ok "$1: db1 not back online on $(jq -r .to <<<"$j") within ${SETTLE_DEADLINE}s"
	fi
}

section_failover() {	# section_failover SCENARIO
	local run
	echo "== $1: $RUNS run(s)"
	for (( run = 1; run <= RUNS; run++ )); do
		run_once failover "$1" "$run"
		tap_run "$1 run $run"
	done
}

# ---------------------------------------------------------------- load

# The same faults with pgbench writing: pgbench is started before each
# run (its clients abort when their connections die, it does not
# reconnect) and checked after it.
section_load() {
	local sc run tag rc chk
	echo "== load: $LOAD_SCENARIOS with pgbench -c 4 -j 2 (scale $BENCH_SCALE), $RUNS run(s) each"
	pgbench_ready "$BENCH_SCALE" || { not_ok "load: pgbench -i"; return; }
	for sc in $LOAD_SCENARIOS; do
		for (( run = 1; run <= RUNS; run++ )); do
			tag=l${sc:0:1}$run
			if ! pgbench_start "$tag"; then
				not_ok "load $sc run $run: pgbench did not commit"
				pgbench_finish 1 >/dev/null
				continue
			fi
			run_once load "$sc" "$run" "{\"pgbench_tag\":\"$tag\"}"
			rc=$(pgbench_finish 30)
			chk=$(pgbench_check "$tag" "$rc")
			jq -c --arg sc "$sc" --argjson run "$run" \
			    '{section: "load", scenario: $sc, run: $run} + .' \
			    <<<"$chk" >>"$BENCH_PGB"
			tap_run "load $sc run $run"
			tap_pgbench "load $sc run $run" "$chk"
		done
	done
}

tap_pgbench() {	# tap_pgbench LABEL CHECK_JSON
	local lost
	jq -r '"#   pgbench: \(.acked) acknowledged (pgbench says \(.processed)), " +
	    "\(.rows) rows, \(.in_doubt) in doubt committed, lost \(.lost), " +
	    "\(.aborted_clients) clients aborted, exit \(.rc)"' <<<"$2"
	lost=$(jq -r '.lost' <<<"$2")
	if [[ $(jq -r .unsound <<<"$2") == true ]]; then
		not_ok "$1: pgbench check unsound (failed transactions or unexpected rows)"
	fi
	is "$lost" 0 "$1: no acknowledged pgbench transaction lost"
}

# ---------------------------------------------------------------- recovery

# Crash recovery cost: with checkpoints held off (checkpoint_timeout 1d,
# max_wal_size 4GB), a CHECKPOINT, then pgbench until X MiB of WAL lie
# between the checkpoint's redo point and the current LSN, then the owner
# loses power while pgbench writes.  The survivor replays that WAL when
# db1-pg starts.  X is capped by the room on the shared disk.
section_recovery() {
	local x run a room want_mb bytes tag rc chk mb extra
	echo "== recovery: power loss after X MiB of WAL since the checkpoint (X in $WAL_LIST), $RUNS run(s) each"
	pgbench_ready "$BENCH_SCALE" || { not_ok "recovery: pgbench -i"; return; }
	client_sql "ALTER SYSTEM SET checkpoint_timeout = '1d'" &&
	    client_sql "ALTER SYSTEM SET max_wal_size = '4GB'" &&
	    client_sql "SELECT pg_reload_conf()" >/dev/null ||
	    { not_ok "recovery: cannot hold checkpoints off"; return; }
	for x in $WAL_LIST; do
		for (( run = 1; run <= RUNS; run++ )); do
			a=$(owner)
			client_sql "CHECKPOINT" || echo "# CHECKPOINT failed"
			# The WAL must fit on the shared disk with 64 MiB to
			# spare; a target that does not is lowered (by 16s).
			room=$(wal_room_mb "$a")
			want_mb=$x
			if (( want_mb + 64 > room )); then
				want_mb=$(( (room - 64) / 16 * 16 ))
				(( want_mb > 0 )) || want_mb=0
				echo "# recovery: ${x} MiB of WAL does not fit ($room MiB of room, 64 kept free): ${want_mb} MiB instead"
			fi
			tag=r$x-$run
			PGB_PID=
			if (( want_mb > 0 )); then
				pgbench_start "$tag" || echo "# pgbench did not commit"
				wait_until 300 _wal_reached $(( want_mb * 1048576 )) ||
				    echo "# ${want_mb} MiB of WAL not reached in 300 s"
			fi
			bytes=$(wal_since_checkpoint)
			mb=$(( ${bytes:-0} / 1048576 ))
			extra="{\"wal_target_mb\":$x,\"wal_capped_mb\":$want_mb,\"wal_bytes\":${bytes:-null},\"room_mb\":$room}"
			run_once recovery power-loss "$run" "$extra"
			tap_run "recovery ${mb} MiB of WAL run $run"
			if [[ -n $PGB_PID ]]; then
				rc=$(pgbench_finish 30)
				chk=$(pgbench_check "$tag" "$rc")
				jq -c --argjson x "$x" --argjson run "$run" \
				    '{section: "recovery", wal_target_mb: $x, run: $run} + .' \
				    <<<"$chk" >>"$BENCH_PGB"
				tap_pgbench "recovery ${x} MiB run $run" "$chk"
			fi
		done
	done
	# Back to the cluster's settings; a checkpoint lets the WAL go.
	client_sql "ALTER SYSTEM RESET checkpoint_timeout" &&
	    client_sql "ALTER SYSTEM RESET max_wal_size" &&
	    client_sql "SELECT pg_reload_conf()" >/dev/null &&
	    client_sql "CHECKPOINT"
	check "recovery: settings restored" \
	    test "$(client_sql "SHOW checkpoint_timeout")" != 1d
}

# ---------------------------------------------------------------- cost

# CPU and memory of every node's pghad over one window.  CPU from
# /proc/PID/stat: utime+stime (pghad itself) and cutime+cstime (the
# agents and fence runs it reaped); memory from /proc/PID/status at the
# end of the window.  STATE names the window (idle, monitoring).
cost_window() {	# cost_window STATE
	local n pid tck ticks1 ok=1 own
	declare -A p0=() t0=()
	tck=$(getconf CLK_TCK)
	own=$(owner)
	for n in $(lab_nodes); do
		pid=$(cat "$LAB_DIR/$n/pghad.pid" 2>/dev/null) || continue
		p0[$n]=$pid
		t0[$n]=$(proc_ticks "$pid") || unset "p0[$n]"
	done
	# A measuring window, not a wait for anything: it must be this long.
	sleep "$WINDOW"
	for n in "${!p0[@]}"; do
		pid=${p0[$n]}
		ticks1=$(proc_ticks "$pid") || { ok=0; echo "# pghad of $n died"; continue; }
		read -r -a a0 <<<"${t0[$n]}"
		read -r -a a1 <<<"$ticks1"
		jq -n -c --arg node "$n" --arg state "$1" --argjson w "$WINDOW" \
		    --argjson owner "$([[ $1 != idle && $n == "$own" ]] && echo true || echo false)" \
		    --argjson tck "$tck" --argjson pid "$pid" \
		    --argjson own $(( a1[0] + a1[1] - a0[0] - a0[1] )) \
		    --argjson kids $(( a1[2] + a1[3] - a0[2] - a0[3] )) \
		    --argjson rss "$(proc_kb "$pid" VmRSS || echo null)" \
		    --argjson hwm "$(proc_kb "$pid" VmHWM || echo null)" '
		    ($own * 1000 / $tck) as $own_ms | ($kids * 1000 / $tck) as $kids_ms |
		    {node: $node, state: $state, owner: $owner, pid: $pid, window_s: $w,
		     cpu_ms: $own_ms, agents_cpu_ms: $kids_ms,
		     cpu_ms_per_min: ($own_ms * 60 / $w | floor),
		     with_agents_ms_per_min: (($own_ms + $kids_ms) * 60 / $w | floor),
		     rss_kb: $rss, hwm_kb: $hwm}' >>"$BENCH_COST"
	done
	(( ok ))
}

section_cost() {
	local a
	echo "== cost: pghad CPU and memory over ${WINDOW}s windows"
	a=$(owner)
	wait_settled "$a" "$SETTLE_DEADLINE"
	check "cost: monitoring window measured" cost_window monitoring
	pgha_on "$a" group offline db1 --wait=60 >/dev/null 2>&1
	check "cost: db1 offline for the idle window" \
	    test "$(group_field "$a" state)" = offline
	check "cost: idle window measured" cost_window idle
	pgha_on "$a" group online db1 --wait=60 >/dev/null 2>&1
	# It goes to its first preferred owner, not necessarily back to a.
	check "cost: db1 online again" wait_until "$SETTLE_DEADLINE" _online_somewhere
	writer_wait_more 20 30
}

_online_somewhere() { local o; o=$(owner) && online_on "$o"; }

# ---------------------------------------------------------------- report

corosync_ms() {	# corosync_ms KEY: runtime.config.totem.KEY in force
	"$LAB" exec "$(owner)" corosync-cmapctl -g "runtime.config.totem.$1" 2>/dev/null |
	    sed -n 's/.* = \([0-9]*\)$/\1/p'
}

write_json() {	# write_json FILE (after the writer's verify)
	local v=$OUT_DIR/bench.verify
	jq -n \
	    --slurpfile runs "$BENCH_RUNS" \
	    --slurpfile pgb "$BENCH_PGB" \
	    --slurpfile cost "$BENCH_COST" \
	    --arg date "$(date -u +%FT%TZ)" \
	    --arg kernel "$(uname -r)" --argjson nproc "$(nproc)" \
	    --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	    --argjson mem_kb "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
	    --argjson token "${COROSYNC_TOKEN:-null}" \
	    --argjson consensus "${COROSYNC_CONSENSUS:-null}" \
	    --arg commit "$BENCH_COMMIT" --arg dirty "$BENCH_DIRTY" \
	    --argjson runs_per "$RUNS" --arg only "$ONLY" --argjson quick "$QUICK" \
	    --argjson window "$WINDOW" --arg wal "$WAL_LIST" --argjson scale "$BENCH_SCALE" \
	    --arg acked "$(kv "$v" acked)" --arg lost "$(kv "$v" lost)" \
	    --arg wrows "$(kv "$v" rows)" --arg werr "$(kv "$v" errors)" \
	    --arg sqlstates "$(kv "$v" sqlstates)" \
	    "$BENCH_STATS_JQ"'
	    def num: tonumber? // null;
	    def by_scenario(f): map(select(f)) | group_by(.scenario)
		| map({key: .[0].scenario, value: summary}) | from_entries;
	    {
	      bench: "pgha failover benchmark (tests/lab/bench.sh)",
	      date: $date,
	      machine: {kernel: $kernel, nproc: $nproc, cpu: $cpu, mem_kb: $mem_kb},
	      corosync: {token_ms: $token, consensus_ms: $consensus},
	      pgha_commit: $commit, pgha_src_modified_files: ($dirty | num),
	      options: {runs: $runs_per, only: ($only | split(",")), quick: ($quick == 1),
		window_s: $window, wal_mb: ($wal | split(" ") | map(num)), pgbench_scale: $scale},
	      writer: {acked: ($acked | num), lost: ($lost | num), rows: ($wrows | num),
		errors: ($werr | num), sqlstates: $sqlstates},
	      sections: {
		failover: {runs: [$runs[] | select(.section == "failover")],
		  summary: ($runs | by_scenario(.section == "failover"))},
		load: {runs: [$runs[] | select(.section == "load")],
		  pgbench: [$pgb[] | select(.section == "load")],
		  summary: ($runs | by_scenario(.section == "load")
		    | with_entries(.key as $k | .value += {pgbench: {
			acked: ([$pgb[] | select(.section == "load" and .scenario == $k) | .acked] | add),
			lost: ([$pgb[] | select(.section == "load" and .scenario == $k) | .lost] | add),
			in_doubt: ([$pgb[] | select(.section == "load" and .scenario == $k) | .in_doubt] | add)}}))},
		recovery: {runs: [$runs[] | select(.section == "recovery")],
		  pgbench: [$pgb[] | select(.section == "recovery")],
		  summary: ([$runs[] | select(.section == "recovery")]
		    | group_by(.wal_target_mb) | map({
			wal_target_mb: .[0].wal_target_mb,
			wal_mb: (map(.wal_bytes / 1048576 | floor) | median),
			downtime_ms: (map(.downtime_ms) | stats),
			db1_pg_start_ms: (map(.resources["db1-pg"].start_ms) | stats),
			server_start_median: server_median,
			lost: (if any(.lost == null) then null else map(.lost) | add end)}))},
		cost: {windows: $cost}
	      }
	    }
	    | if (.sections.load.runs | length) == 0 then del(.sections.load) else . end
	    | if (.sections.recovery.runs | length) == 0 then del(.sections.recovery) else . end
	    | if (.sections.cost.windows | length) == 0 then del(.sections.cost) else . end
	    | if (.sections.failover.runs | length) == 0 then del(.sections.failover) else . end
	    ' >"$1"
}

# A summary object's entries in the order the scenarios are run.
ORDER_JQ='def in_order: to_entries | sort_by(.key as $k |
	["power-loss", "crash", "hung", "move"] | index($k) // 99);'

print_tables() {	# print_tables JSON
	echo
	echo "== failover (ms; downtime = longest gap between acknowledged commits; phases: medians)"
	printf '%-16s %4s %6s %6s %6s %6s %5s | %6s %5s %6s %5s %6s %6s %6s\n' \
	    scenario runs min median p90 max lost detect fence decide stop start reconn total
	jq -r "$ORDER_JQ"'.sections | to_entries[] | select(.key == "failover" or .key == "load")
	    | .key as $s | .value.summary | in_order[]
	    | [(if $s == "load" then "load:" else "" end) + .key, .value.runs,
	       .value.downtime_ms.min, .value.downtime_ms.median, .value.downtime_ms.p90,
	       .value.downtime_ms.max, .value.lost,
	       .value.phases_median.detect, .value.phases_median.fence,
	       .value.phases_median.decide, .value.phases_median.stop,
	       .value.phases_median.start, .value.phases_median.reconnect,
	       .value.phases_median.total]
	    | map(. // "-" | tostring) | @tsv' "$1" |
	while IFS=$'\t' read -r -a c; do
		printf '%-16s %4s %6s %6s %6s %6s %5s | %6s %5s %6s %5s %6s %6s %6s\n' "${c[@]}"
	done
	echo "   per resource, median agent time (ms; stop on the old owner / start on the survivor):"
	jq -r "$ORDER_JQ"'.sections | to_entries[] | select(.key == "failover" or .key == "load")
	    | .key as $s | .value.summary | in_order[]
	    | "     \((if $s == "load" then "load:" else "" end) + .key | . + " " * (16 - length))" +
	      (.value.resources_median | to_entries | map("\(.key) \(.value.stop_ms // "-")/\(.value.start_ms // "-")") | join("   ")) +
	      (.value.server_start_median // {} | if .sync or .redo then
		"   (server: sync \(.sync // "-") redo \(.redo // "-") checkpoint \(.checkpoint // "-"))" else "" end)' "$1"
	jq -r "$ORDER_JQ"'select(.sections.load) | .sections.load.summary | in_order[]
	    | "   load:\(.key): pgbench \(.value.pgbench.acked) acknowledged, \(.value.pgbench.in_doubt) in doubt committed, lost \(.value.pgbench.lost)"' "$1"
	if jq -e '.sections.recovery' "$1" >/dev/null; then
		echo
		echo "== crash recovery: power loss after X MiB of WAL since the checkpoint (ms, medians)"
		echo "   db1-pg = its start (pgha); then the server's own log: sync of the data directory, WAL redo, end-of-recovery checkpoint"
		printf '%10s %8s %4s %9s %9s %9s | %6s %6s %6s\n' target_MiB WAL_MiB runs downtime max db1-pg sync redo ckpt
		jq -r '.sections.recovery.summary[] | [.wal_target_mb, .wal_mb, .downtime_ms.n,
		    .downtime_ms.median, .downtime_ms.max, .db1_pg_start_ms.median,
		    .server_start_median.sync, .server_start_median.redo,
		    .server_start_median.checkpoint]
		    | map(. // "-" | tostring) | @tsv' "$1" |
		while IFS=$'\t' read -r -a c; do
			printf '%10s %8s %4s %9s %9s %9s | %6s %6s %6s\n' "${c[@]}"
		done
	fi
	if jq -e '.sections.cost' "$1" >/dev/null; then
		echo
		echo "== pghad cost (per node; CPU ms per minute of wall time; memory in kB)"
		printf '%-6s %-18s %10s %12s %8s %8s\n' node state cpu_ms/min +agents/min VmRSS VmHWM
		jq -r '.sections.cost.windows | sort_by(.node, .state)[] | [.node,
		    .state + (if .owner then " (owner)" else "" end),
		    .cpu_ms_per_min, .with_agents_ms_per_min, .rss_kb, .hwm_kb]
		    | map(tostring) | @tsv' "$1" |
		while IFS=$'\t' read -r -a c; do
			printf '%-6s %-18s %10s %12s %8s %8s\n' "${c[@]}"
		done
	fi
	jq -r '"\n== writer: \(.writer.acked) acknowledged commits, \(.writer.lost) lost; SQLSTATEs \(.writer.sqlstates)" +
	    "\n== \(.date)  \(.machine.cpu), \(.machine.nproc) CPUs, \(.machine.mem_kb / 1024 | floor) MiB, Linux \(.machine.kernel)" +
	    "\n== corosync token \(.corosync.token_ms) ms, consensus \(.corosync.consensus_ms) ms; pgha \(.pgha_commit)" +
	    (if .pgha_src_modified_files > 0 then " (+\(.pgha_src_modified_files) modified files under src/)" else "" end)' "$1"
}

# ---------------------------------------------------------------- main

# The tree the binaries were built from, as far as git can tell: HEAD and
# the number of files changed under src/ at the start.
BENCH_COMMIT=$(git -C "$LAB_TESTS_DIR" rev-parse --short HEAD 2>/dev/null)
BENCH_DIRTY=$(git -C "$LAB_TESTS_DIR/../.." status --porcelain -- src 2>/dev/null | wc -l)
echo "== bench: lab $LAB_NAME, 2 nodes, fencing; sections $ONLY; $RUNS run(s)"
lab_fresh
wait_online_on node1 node1 60 || { not_ok "db1 online after lab up"; done_testing; exit 1; }
COROSYNC_TOKEN=$(corosync_ms token)
COROSYNC_CONSENSUS=$(corosync_ms consensus)
echo "== corosync in force: token $COROSYNC_TOKEN ms, consensus $COROSYNC_CONSENSUS ms"
pgbench_script >"$BENCH_WORK/pgbench.sql"
writer_start bench || { not_ok "writer commits"; done_testing; exit 1; }
writer_wait_more 100

for s in power-loss crash hung move; do
	want "$s" && section_failover "$s"
done
want load && section_load
want recovery && section_recovery
want cost && section_cost

# Every acknowledged commit of the whole run must be in the table.
writer_stop
writer_verify bench >/dev/null
lost=$(kv "$OUT_DIR/bench.verify" lost)
is "$lost" 0 "writer: no acknowledged commit lost ($(kv "$OUT_DIR/bench.verify" acked) acknowledged)"

write_json "$JSON_OUT"
json_ok() { jq -e '.sections and .machine and .writer' "$1" >/dev/null; }
check "JSON valid ($JSON_OUT)" json_ok "$JSON_OUT"
print_tables "$JSON_OUT"
on_fail_dump
done_testing
