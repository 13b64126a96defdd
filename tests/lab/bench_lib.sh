# bench_lib.sh - what bench.sh measures with: reading one failover back
# from the writer's log and pgha's event log, pgbench's own bookkeeping,
# pghad's CPU and memory, and the statistics (jq).  Source it after
# scenario.sh (bash).
#
# Times are wall-clock milliseconds (lab_ms, the writer log's first field,
# the events' .ms): every node of the lab runs on this machine's clock.

# ---------------------------------------------------------------- cluster

other() { [[ $1 == node1 ]] && echo node2 || echo node1; }

# The node that owns db1, asked of the first node that answers.
owner() {
	local n o
	for n in $(lab_nodes); do
		lab_init_pid "$n" >/dev/null || continue
		o=$(group_field "$n" owner 2>/dev/null)
		[[ -n $o && $o != null ]] && { echo "$o"; return 0; }
	done
	return 1
}

# db1 online on NODE with every resource, and the writer committing again.
wait_settled() {	# wait_settled NODE DEADLINE_S
	wait_online_on "$1" "$1" "$2" && writer_wait_more 20 30
}

iso_utc() {	# iso_utc MS: the --since form of pgha events
	date -u -d "@$(( $1 / 1000 ))" +%Y-%m-%dT%H:%M:%SZ
}

# Every event (all nodes, merged) from a second before T, as ASKER sees it.
events_since() {	# events_since ASKER T >FILE
	pgha_on "$1" events --json --since "$(iso_utc $(( $2 - 1000 )))" 2>/dev/null
}

# The moment a lab fault command says it acted ("... at <ms>"), or empty.
lab_said_at() {
	sed -n 's/.* at \([0-9]\{13\}\).*/\1/p' <<<"$1" | head -1
}

# ---------------------------------------------------------------- writer

# Client-seen downtime of one fault: the longest gap between two consecutive
# acknowledged commits among those that end after the fault (T) and no
# later than once the group had settled (E), on the writer's monotonic
# clock, with the errors the writer got inside that gap.  JSON.
gap_json() {	# gap_json T E
	awk -v t="$1" -v e="$2" '
	    $2 == "ok" {
		if (prev && $1 >= t && $1 <= e && $4 - prevm > best) {
			best = $4 - prevm; bs = prev; be = $1
		}
		prev = $1; prevm = $4
	    }
	    $2 == "err" && $1 >= t - 60000 { ew[++ne] = $1; ec[ne] = $3 }
	    END {
		if (!best) { print "{\"downtime_ms\":null}"; exit }
		for (i = 1; i <= ne; i++)
			if (ew[i] >= bs && ew[i] <= be) s[ec[i]]++
		printf "{\"downtime_ms\":%d,\"gap_start\":%s,\"gap_end\":%s,\"errors\":{", best, bs, be
		sep = ""
		for (c in s) { printf "%s\"%s\":%d", sep, c, s[c]; sep = "," }
		print "}}"
	    }' "$WRITER_LOG"
}

# Wall ms of the acknowledged commits between T and E + 10 s, as a JSON
# array (the client's reconnect is read from it).
acks_json() {	# acks_json T E
	awk -v t="$1" -v e="$(( $2 + 10000 ))" \
	    '$2 == "ok" && $1 >= t && $1 <= e { print $1 }' "$WRITER_LOG" |
	    jq -s -c .
}

# Acknowledged commits absent from the table so far: `pgha-writer --verify`
# on a copy of the log without its last line (the writer may be writing
# it), checked against the table through the access point.  Prints the
# count, or "unknown".
writer_lost_so_far() {
	local snap=$BENCH_WORK/writer.snap
	sed '$d' "$WRITER_LOG" >"$snap"
	ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" --verify \
	    -c "$ACCESS_CONNINFO" -o "$snap" >"$snap.verify" 2>&1
	kv "$snap.verify" lost | grep -E '^[0-9]+$' || echo unknown
}

# ---------------------------------------------------------------- phases

# One failover read back from pgha's events.  Input: the events JSON of
# `pgha events --json`; arguments: fault time $t, settled time $e, the
# failed (or moved-from) node $a, the survivor $b, the writer's ack times
# $acks.  The phases follow each other, so they add up to $t -> the first
# acknowledged commit after the server is online:
#
#   detect     T -> the first event that shows pgha noticed: node A
#              "online -> unclean" (power loss), a resource of A
#              "online -> failed" (crash, hung: the monitor failed or the
#              server's exit was seen), or, for a planned move, the group's
#              "A -> B" event (the operator's request accepted).
#   fence      noticed -> node A "unclean -> offline" (A was fenced; its
#              cause says how long the fence agent took: fence_agent_ms).
#              Null when nothing was fenced.
#   decide     noticed (or fenced) -> the group's "A -> B" event: the
#              decider chose the survivor.  0 for a planned move.
#   stop       "A -> B" -> the last resource of A "stopping -> offline"
#              (stops run in dependency order: server, address, disk).
#              Null when A was not there to stop anything (power loss).
#   start      "A -> B" or the last stop -> db1-pg "starting -> online" on
#              B (disk, address, server in order, and the small gaps
#              between them).
#   reconnect  db1-pg online -> the writer's first acknowledged commit
#              after it (the client noticing the dead connection, its
#              new connection and first commit).
#   total      T -> that first commit (pgha's view of the outage; the
#              client-seen downtime also counts the time from the last
#              commit before T).
#   inject     T -> the moment the lab command says it struck (the lab
#              script's own start-up; already inside detect).
#
# Per resource: stop_ms / start_ms as pgha reports them ("in N ms", the
# agent's run time) and stop_ts_ms / start_ts_ms from the event
# timestamps ("-> stopping" -> "stopping -> offline", "offline ->
# starting" -> "starting -> online"), which add pgha's own overhead.
BENCH_PHASES_JQ='
def ms_of: ((capture("in (?<n>[0-9]+) ms") | .n | tonumber)? // null);
def nn: map(select(. != null));
def first_of(f): (map(select(f)) | .[0]);
(.events // [] | map(select(.ms >= $t - 5 and .ms <= $e + 1000)) | sort_by(.ms)) as $x
| ($x | first_of(
	(.object == "node \($a)" and .old == "online"
	    and (.new == "unclean" or .new == "offline"))
	or (.node == $a and (.object | startswith("resource "))
	    and .new == "failed")
	or (.object == "group db1" and .old == $a and .new == $b))) as $notice
| ($x | first_of(.object == "node \($a)" and .old == "unclean"
	and .new == "offline")) as $fence
| ($x | first_of(.object == "group db1" and .old == $a and .new == $b
	and .ms >= ($notice.ms // 0))) as $group
| ([[ "db1-disk", "db1-ip", "db1-pg" ][] as $r
    | ($x | first_of(.node == $a and .object == "resource \($r)"
	and .new == "stopping")) as $s0
    | ($x | first_of(.node == $a and .object == "resource \($r)"
	and .old == "stopping" and .new == "offline"
	and .ms >= ($s0.ms // 0))) as $s1
    | ($x | first_of(.node == $b and .object == "resource \($r)"
	and .old == "offline" and .new == "starting"
	and .ms >= ($group.ms // 0))) as $u0
    | ($x | first_of(.node == $b and .object == "resource \($r)"
	and .old == "starting" and .new == "online"
	and .ms >= ($u0.ms // 0))) as $u1
    | {key: $r, value: {
	stop_ms: (if $s1 then $s1.cause | ms_of else null end),
	stop_ts_ms: (if $s0 and $s1 then $s1.ms - $s0.ms else null end),
	start_ms: (if $u1 then $u1.cause | ms_of else null end),
	start_ts_ms: (if $u0 and $u1 then $u1.ms - $u0.ms else null end),
	stopped_at: $s1.ms, started_at: $u1.ms}}] | from_entries) as $res
| ([$res[] | .stopped_at] | nn | max) as $stop_end
| ($res["db1-pg"].started_at) as $online
| (if $online then [$acks[] | select(. >= $online)] | .[0] else null end) as $ack
| {
	notice_event: (if $notice then "\($notice.object): \($notice.old) -> \($notice.new)" else null end),
	phases: {
		inject: (if $tlab then $tlab - $t else null end),
		detect: (if $notice then $notice.ms - $t else null end),
		fence: (if $fence and $notice then $fence.ms - $notice.ms else null end),
		fence_agent_ms: (if $fence then $fence.cause | ms_of else null end),
		decide: (if $group and $notice then
			$group.ms - ([$notice.ms, $fence.ms] | nn | max) else null end),
		stop: (if $stop_end and $group then $stop_end - $group.ms else null end),
		start: (if $online and $group then
			$online - ([$group.ms, $stop_end] | nn | max) else null end),
		reconnect: (if $ack then $ack - $online else null end),
		total: (if $ack then $ack - $t else null end)
	},
	resources: ($res | map_values(del(.stopped_at, .started_at))),
	events: [$x[] | select(.group == "db1" or (.object | startswith("node ")))
		| {ms, dt: (.ms - $t), node, object, old, new, cause}]
}'

# Read one run back and append its object (one line) to $BENCH_RUNS; the
# object is printed too.  COMPLETED: true/false; EXTRA_JSON is merged in.
# bench_measure SECTION SCENARIO RUN A B T TLAB E COMPLETED [EXTRA_JSON]
bench_measure() {
	local section=$1 sc=$2 run=$3 a=$4 b=$5 t=$6 tlab=$7 e=$8 fin=$9
	local extra=${10:-'{}'} ev gap acks lost delta server
	ev=$BENCH_WORK/$section-$sc-$run.events.json
	events_since "$b" "$t" >"$ev" || echo '{}' >"$ev"
	jq -e . "$ev" >/dev/null 2>&1 || echo '{}' >"$ev"
	gap=$(gap_json "$t" "$e")
	acks=$(acks_json "$t" "$e")
	lost=$(writer_lost_so_far)
	if [[ $lost == unknown || $BENCH_LOST_BEFORE == unknown ]]; then
		delta=null
	else
		delta=$(( lost - BENCH_LOST_BEFORE ))
	fi
	[[ $lost == unknown ]] || BENCH_LOST_BEFORE=$lost
	server=$(server_start_json "$b" "$t")
	jq -e . >/dev/null 2>&1 <<<"$server" || server=null
	jq -c --argjson t "$t" --argjson e "$e" --arg a "$a" --arg b "$b" \
	    --argjson tlab "${tlab:-null}" --argjson acks "$acks" \
	    "$BENCH_PHASES_JQ" "$ev" |
	jq -c --arg section "$section" --arg sc "$sc" --argjson run "$run" \
	    --arg a "$a" --arg b "$b" --argjson t "$t" --argjson e "$e" \
	    --argjson fin "$fin" --argjson gap "$gap" \
	    --argjson lost "$delta" --argjson extra "$extra" \
	    --argjson server "$server" '
	    {section: $section, scenario: $sc, run: $run, from: $a, to: $b,
	     t_fault: $t, settled_after_ms: ($e - $t), completed: $fin}
	    + $gap + {lost: $lost} + . + {server_start: $server} + $extra' >>"$BENCH_RUNS"
	tail -1 "$BENCH_RUNS"
}

# One line about the run just recorded (stdin: its JSON).
bench_say_run() {
	jq -r '"#   \(.scenario) run \(.run) \(.from) -> \(.to): downtime \(.downtime_ms // "?") ms" +
	    "  lost \(.lost // "?")  detect \(.phases.detect // "-") fence \(.phases.fence // "-")" +
	    " decide \(.phases.decide // "-") stop \(.phases.stop // "-") start \(.phases.start // "-")" +
	    " reconnect \(.phases.reconnect // "-")  errors \(.errors // {} | to_entries |
		map("\(.key)x\(.value)") | join(","))"'
}

# ---------------------------------------------------------------- server

# Where db1-pg's start went, from the server's own log on the shared disk
# (read through the survivor's mount namespace), for the first start after
# T.  Each phase from the server's timestamps:
#   boot      "starting PostgreSQL" -> "database system was interrupted"
#             (or "was shut down at": no recovery needed)
#   sync      "was interrupted" -> "automatic recovery in progress": the
#             data directory is synced before the WAL is replayed
#             (recovery_init_sync_method)
#   redo      "redo starts" -> "redo done": WAL replay
#   checkpoint the end-of-recovery checkpoint, start -> complete
#   ready     "starting PostgreSQL" -> "ready to accept connections"
# Null phases did not happen.  JSON on stdout.
server_start_json() {	# server_start_json NODE T
	local init log=$BENCH_WORK/server.lines
	init=$(lab_init_pid "$1") || { echo null; return; }
	tail -n 5000 "/proc/$init/root$LAB_DATA/pgha-server.log" 2>/dev/null |
	    grep -E 'starting PostgreSQL|database system was (interrupted|shut down at)|automatic recovery in progress|redo (starts|done) at|checkpoint (starting: end-of-recovery|complete)|ready to accept connections' \
	    >"$log"
	[[ -s $log ]] || { echo null; return; }
	# "2026-11-25 18:39:29.480 UTC [49] LOG: ..." -> "<ms> ..."
	paste -d' ' <(cut -d' ' -f1,2 "$log" | date -u -f - +%s%3N) \
	    <(cut -d' ' -f4- "$log") |
	awk -v t="$2" '
	    $1 < t { next }
	    /starting PostgreSQL/ { if (st) exit; st = $1; next }
	    !st { next }
	    /was interrupted|was shut down at/ && !intr { intr = $1; next }
	    /automatic recovery in progress/ { rec = $1; next }
	    /redo starts at/ { rs = $1; next }
	    /redo done at/ { rd = $1; next }
	    /checkpoint starting: end-of-recovery/ { cs = $1; next }
	    /checkpoint complete/ && cs && !cd { cd = $1; next }
	    /ready to accept connections/ { rdy = $1; exit }
	    function d(a, b) { return (a && b) ? b - a : "null" }
	    END {
		if (!st) { print "null"; exit }
		printf "{\"boot\":%s,\"sync\":%s,\"redo\":%s,", d(st, intr), d(intr, rec), d(rs, rd)
		printf "\"checkpoint\":%s,\"ready\":%s}\n", d(cs, cd), d(st, rdy)
	    }'
}

# ---------------------------------------------------------------- pgbench

PGB_CONN="host=$LAB_ACCESS_IP port=5432 dbname=postgres user=postgres connect_timeout=2"

# pgbench's tpcb-like transaction, with each transaction's history row
# labelled "TAG/CLIENT/N": N counts the client's transactions (pgbench
# keeps a client's variables from one transaction to the next; -D n=0
# starts it).  See pgbench_check for why.
pgbench_script() {	# >FILE
	cat <<'EOF'
\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
\set n :n + 1
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime, filler) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP, ':tag/:client_id/:n');
END;
EOF
}

# pgbench's tables, unless they are there at this scale.
pgbench_ready() {	# pgbench_ready SCALE
	local have
	have=$(client_sql "SELECT count(*) FROM pgbench_branches" 2>/dev/null)
	[[ $have == "$1" ]] && return 0
	echo "# pgbench -i -s $1 (through the access point)"
	ip netns exec "$CLIENT_NS" pgbench -i -q -s "$1" "$PGB_CONN" \
	    >"$BENCH_WORK/pgbench-init.log" 2>&1
}

# Start pgbench in the client namespace (4 clients, 2 threads, progress
# every second) and wait until it commits.  Sets PGB_PID, PGB_TAG.
pgbench_start() {	# pgbench_start TAG
	PGB_TAG=$1
	rm -f "$BENCH_WORK/pgb.$PGB_TAG".*
	ip netns exec "$CLIENT_NS" pgbench -n -c 4 -j 2 -T 600 -P 1 \
	    -s "$BENCH_SCALE" -f "$BENCH_WORK/pgbench.sql" \
	    -D tag="$PGB_TAG" -D n=0 -l --log-prefix="$BENCH_WORK/pgb.$PGB_TAG.log" \
	    "$PGB_CONN" >"$BENCH_WORK/pgb.$PGB_TAG.out" \
	    2>"$BENCH_WORK/pgb.$PGB_TAG.err" &
	PGB_PID=$!
	wait_until 30 _pgbench_committing 2
}

# pgbench has reported N progress lines with transactions in them.
_pgbench_committing() {
	(( $(grep -cE '^progress: .* [1-9][0-9.]* tps' \
	    "$BENCH_WORK/pgb.$PGB_TAG.err" 2>/dev/null) >= $1 ))
}

# Wait for pgbench to end (its clients abort when their connections die);
# one that still runs after the deadline is interrupted.  Prints its exit
# status (2: some client aborted, as expected here).
pgbench_finish() {	# pgbench_finish DEADLINE_S
	local rc
	[[ -n ${PGB_PID:-} ]] || { echo -1; return; }
	if ! wait_until "$1" not kill -0 "$PGB_PID"; then
		echo "# pgbench still running after ${1}s: interrupted" >&2
		kill -INT "$PGB_PID" 2>/dev/null
	fi
	wait "$PGB_PID" 2>/dev/null
	rc=$?
	PGB_PID=
	echo "$rc"
}

# Are pgbench's acknowledged transactions all in pgbench_history?
#
# pgbench's own count ("number of transactions actually processed") only
# says how many COMMITs were acknowledged, and comparing it with a count of
# rows is not sound: a transaction whose COMMIT was sent but whose answer
# was lost with the connection (in doubt: up to one per client at the
# fault) may have committed, and would hide a lost acknowledged one.  So
# each transaction labels its history row with its client and its number
# N within that client, and pgbench's per-transaction log (-l) says which
# were acknowledged: client C's acknowledged transactions are N = 1..k(C),
# k(C) = its log lines (a client stops at its first failure: a connection
# error aborts it, and the tpcb-like script takes its row locks in one
# order, so no deadlock or serialization failure lets it go on).  Then:
#   lost      = N in 1..k(C) with no row (must be 0),
#   in_doubt  = rows with N = k(C)+1 (committed, answer never came: fine),
#   unsound   = rows with N > k(C)+1, failed lines in the log, or a log
#               that disagrees with pgbench's own count: the numbering
#               assumption broke and `lost` cannot be trusted.
# JSON on stdout.
pgbench_check() {	# pgbench_check TAG RC
	local tag=$1 rc=$2 out=$BENCH_WORK/pgb.$1.out processed aborted
	processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
	aborted=$(grep -cE 'client [0-9]+ (script [0-9]+ )?aborted' "$BENCH_WORK/pgb.$tag.err" 2>/dev/null)
	client_sql "SELECT rtrim(filler) FROM pgbench_history WHERE filler LIKE '$tag/%'" \
	    >"$BENCH_WORK/pgb.$tag.rows" 2>"$BENCH_WORK/pgb.$tag.rows.err" ||
	    { echo "{\"tag\":\"$tag\",\"rc\":$rc,\"lost\":null,\"error\":\"cannot read pgbench_history\"}"; return; }
	cat "$BENCH_WORK/pgb.$tag.log".* 2>/dev/null |
	awk -v tag="$tag" -v rc="$rc" -v processed="${processed:-null}" \
	    -v aborted="${aborted:-0}" -v rows="$BENCH_WORK/pgb.$tag.rows" '
	    $3 ~ /^[0-9]+$/ { k[$1]++; acked++; next }
	    { failed++ }
	    END {
		while ((getline line < rows) > 0) {
			split(line, f, "/"); c = f[2]; n = f[3] + 0
			have[c "/" n] = 1; nrows++
			if (n == k[c] + 1) indoubt++
			else if (n > k[c] + 1) extra++
		}
		for (c in k) for (n = 1; n <= k[c]; n++) if (!((c "/" n) in have)) lost++
		printf "{\"tag\":\"%s\",\"rc\":%d,\"processed\":%s,\"acked\":%d,", tag, rc, processed, acked
		printf "\"rows\":%d,\"lost\":%d,\"in_doubt\":%d,\"aborted_clients\":%d,", nrows, lost, indoubt, aborted
		bad = extra + failed > 0 || (processed != "null" && processed + 0 != acked)
		printf "\"unsound\":%s}\n", bad ? "true" : "false"
	    }'
}

# ---------------------------------------------------------------- WAL

# WAL written since the last checkpoint's redo point, in bytes.
wal_since_checkpoint() {
	client_sql "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::bigint
	    FROM pg_control_checkpoint()"
}
_wal_reached() { (( $(wal_since_checkpoint 2>/dev/null || echo 0) >= $1 )); }

# Free MiB on the shared disk, plus pg_wal's size (WAL segments recycled
# by the last checkpoint are reused by new WAL, not added to the disk).
wal_room_mb() {	# wal_room_mb OWNER
	local free wal
	free=$("$LAB" exec "$1" df -B1M --output=avail "$LAB_MOUNT" | tail -1)
	wal=$("$LAB" exec "$1" du -s -B1M "$LAB_DATA/pg_wal" | cut -f1)
	echo $(( free + wal ))
}

# ---------------------------------------------------------------- cost

# utime stime cutime cstime (clock ticks) of a host pid.
proc_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	awk '{ print $12, $13, $14, $15 }' <<<"$s"
}

proc_kb() {	# proc_kb PID FIELD: VmRSS / VmHWM in kB
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# ---------------------------------------------------------------- stats

# jq definitions: median (mean of the two middle values for an even
# count), p90 by nearest rank (the ceil(0.9 n)-th smallest).
BENCH_STATS_JQ='
def nn: map(select(. != null));
def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[(length - 1) / 2]
	else ((.[length / 2 - 1] + .[length / 2]) / 2 | floor) end;
def p90: sort | if length == 0 then null
	else .[((length * 9 + 9) / 10 | floor) - 1] end;
def stats: nn | {n: length, min: min, median: median, p90: p90, max: max};
def server_median: [.[] | .server_start | objects] as $s
	| if ($s | length) == 0 then null else
	  [$s[0] | keys_unsorted[] as $k | {key: $k,
	    value: ([$s[] | .[$k]] | nn | median)}] | from_entries end;
def summary: {
	runs: length,
	completed: (map(select(.completed)) | length),
	downtime_ms: (map(.downtime_ms) | stats),
	lost: (if any(.lost == null) then null else map(.lost) | add end),
	phases_median: ([.[0].phases // {} | keys_unsorted[]] as $k
		| [ $k[] as $p | {key: $p, value: ([.[] | .phases[$p]] | nn | median)} ]
		| from_entries),
	server_start_median: server_median,
	resources_median: ([.[0].resources // {} | keys_unsorted[]] as $r
		| [ $r[] as $n | {key: $n, value: {
			stop_ms: ([.[] | .resources[$n].stop_ms] | nn | median),
			start_ms: ([.[] | .resources[$n].start_ms] | nn | median)}} ]
		| from_entries)
};
'
