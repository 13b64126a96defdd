#!/bin/bash
# The client contract (guide 5.3, docs/clients.md): what libpq, ECPG,
# ODBC (psqlODBC), JDBC (pgjdbc) and node-postgres return when the server
# goes down or is switched, checked with the real drivers through the
# access point; and each driver's retry example run through a real switch,
# committing every transaction exactly once.
#
# Situations (each with all five drivers at once):
#   switch-during-access	pgha group move while a statement runs in an
#				open transaction (node1 -> node2)
#   access-while-switching	connect + query in a tight loop during a move
#				(node2 -> node1)
#   crash-during-access		the postmaster SIGKILLed while a statement
#				runs (failover node1 -> node2)
#   access-while-down		connect with db1 offline: at once (the old
#				owner's reset guard refuses) and once the guard's
#				window is over (nobody answers: connect timeout)
#   retry examples		through pgha group move (node1 -> node2)
#   power-loss-during-access	node1 loses its power (lab crash --hard)
#				while a statement runs (failover node1 ->
#				node2; node2 tickles node1's client
#				connections); then node1 is restored
# Every observed JSON line is kept in $OUT_DIR/clients-observed.jsonl.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

CLIENTS_SRC=$(cd "$LAB_TESTS_DIR/../clients" && pwd)
SCRATCH=$OUT_DIR/clients
JDBC_JAR=/usr/share/java/postgresql.jar
DRIVERS=(libpq ecpg odbc jdbc node)
OBSERVED=$OUT_DIR/clients-observed.jsonl
declare -A PID

cleanup() {
	local p
	for p in "${PID[@]}"; do
		kill "$p" 2>/dev/null
	done
	on_fail_dump
}
trap cleanup EXIT


client() {	# client DRIVER probe|retry ARGS...: in the client namespace
	local d=$1 prog=$2
	shift 2
	case $d in
	jdbc)	ip netns exec "$CLIENT_NS" java -cp "$SCRATCH/jdbc:$JDBC_JAR" \
		    "${prog^}" "$@" ;;
	node)	ip netns exec "$CLIENT_NS" node "$SCRATCH/node/$prog.js" "$@" ;;
	*)	ip netns exec "$CLIENT_NS" "$SCRATCH/$d/$prog" "$@" ;;
	esac
}

start_probes() {	# start_probes MODE SITUATION [STOPFILE]
	local d
	for d in "${DRIVERS[@]}"; do
		rm -f "$OUT_DIR/clients.$2.$d.json"
		client "$d" probe "$1" "$2" "$LAB_ACCESS_IP" ${3:+"$3"} \
		    >"$OUT_DIR/clients.$2.$d.json" \
		    2>"$OUT_DIR/clients.$2.$d.err" &
		PID[$d]=$!
	done
}

# Every probe of SITUATION printed its JSON line (or is killed at TIMEOUT).
wait_probes() {	# wait_probes SITUATION TIMEOUT
	local d
	for d in "${DRIVERS[@]}"; do
		if ! wait_until "$2" test -s "$OUT_DIR/clients.$1.$d.json"; then
			kill "${PID[$d]}" 2>/dev/null
			sed 's/^/# '"$d"': /' "$OUT_DIR/clients.$1.$d.err" | tail -5
		fi
		wait "${PID[$d]}" 2>/dev/null
		unset "PID[$d]"
		cat "$OUT_DIR/clients.$1.$d.json" >>"$OBSERVED"
		echo "# $(cat "$OUT_DIR/clients.$1.$d.json")"
	done
}

# Every probe's pg_sleep(60) runs on the server (ECPG sends
# "select 1 from pg_sleep ( 60 )", psqlODBC a SAVEPOINT before it).
IN_FLIGHT_SQL="SELECT count(*) FROM pg_stat_activity WHERE
    application_name LIKE 'probe-%' AND state = 'active' AND
    query ~* 'pg_sleep *\\( *60 *\\)'"
_in_flight() {
	(( $(client_sql "$IN_FLIGHT_SQL") == ${#DRIVERS[@]} ))
}
# The same, asked of NODE's server through its local socket.
_in_flight_on() {	# _in_flight_on NODE
	(( $("$LAB" exec "$1" runuser -u postgres -- psql -X -At \
	    -c "$IN_FLIGHT_SQL" 2>/dev/null) == ${#DRIVERS[@]} ))
}

# NODE's status counts at least every probe's connection among db1-ip's
# clients (pghad scans every 500 ms: a younger one is not known yet).
_clients_known() {	# _clients_known NODE
	(( $(status_q "$1" '.groups[] | select(.name == "db1") |
	    .resources[] | select(.name == "db1-ip") | .clients // 0') >=
	    ${#DRIVERS[@]} ))
}

# Every probe of SITUATION printed its JSON line.
_all_printed() {	# _all_printed SITUATION
	local d
	for d in "${DRIVERS[@]}"; do
		test -s "$OUT_DIR/clients.$1.$d.json" || return 1
	done
}

# expect SITUATION DRIVER 'jq-path=value[|value...]'...: the probe's JSON
# has them (one of the values, where the outcome depends on timing).
expect() {
	local sit=$1 d=$2 f kv got
	shift 2
	f=$OUT_DIR/clients.$sit.$d.json
	for kv in "$@"; do
		got=$(jq -r "${kv%%=*}" "$f" 2>/dev/null)
		if [[ "|${kv#*=}|" == *"|$got|"* ]]; then
			ok "$sit: $d returns ${kv%%=*} = $got"
		else
			is "$got" "${kv#*=}" "$sit: $d returns ${kv%%=*} = ${kv#*=}"
		fi
	done
}

# Every code the loop saw is one the contract names; the loop worked again.
expect_codes() {	# expect_codes DRIVER ALLOWED...
	local d=$1 f c bad=""
	shift
	f=$OUT_DIR/clients.access-while-switching.$d.json
	for c in $(jq -r '.codes | keys[]' "$f" 2>/dev/null); do
		[[ " $* " == *" $c "* ]] || bad+="$c "
	done
	is "$bad" "" "access-while-switching: $d saw only documented codes ($*)"
	check "access-while-switching: $d succeeds again after the move" \
	    test "$(jq -r '.ok_after_last_failure' "$f")" -gt 0
}

_oks() { grep -c '^ok' "$OUT_DIR/clients.access-while-switching.$1.err"; }
_all_oks_at_least() {	# _all_oks_at_least N (or the count of each + N, -a)
	local d
	for d in "${DRIVERS[@]}"; do
		(( $(_oks "$d") >= ${OKS_WANT[$d]} )) || return 1
	done
}

_rows() { client_sql "SELECT count(*) FROM clients_retry WHERE driver = '$1'"; }
_all_rows_at_least() {
	local d
	for d in "${DRIVERS[@]}"; do
		(( $(_rows "$d") >= ${ROWS_WANT[$d]} )) || return 1
	done
}

# The refusal window of the old owner's reset guard is over: a connect
# now finds nobody (ARP unanswered) instead of being refused.
_not_refused() {
	client libpq probe connect guard-check "$LAB_ACCESS_IP" |
	    grep -Eq 'timeout expired|No route to host'
}

lab_logged() {	# lab_logged NAME ARGS...: lab ARGS, output in a file
	local f=$OUT_DIR/clients.$1
	shift
	"$LAB" "$@" >"$f" 2>&1
	local rc=$?
	sed 's/^/# /' "$f"
	return "$rc"
}

# ------------------------------------------------------------------ build
rm -f "$OBSERVED"
if ! "$CLIENTS_SRC/build.sh" "$SCRATCH"; then
	not_ok "tests/clients/build.sh builds every probe and example"
	sed 's/^/# /' "$SCRATCH/build.log" | tail -30
	done_testing
	exit 1
fi
ok "tests/clients/build.sh builds every probe and example"
echo "# node-postgres used: $(cat "$SCRATCH/node/pg-source")"

lab_fresh
check "db1 online on node1" online_on node1
client_sql "CREATE TABLE clients_probe (driver text, situation text,
    at timestamptz DEFAULT now());
    CREATE TABLE clients_retry (driver text, n int,
    at timestamptz DEFAULT now())" >/dev/null
check "the client reaches the server through the access point" \
    test "$(client_sql 'SELECT 1')" = 1

# ---------------------------------------- (c) switched during access
S=switch-during-access
start_probes inflight $S
check "$S: a statement of every driver runs in an open transaction" \
    wait_until 60 _in_flight
check "$S: pgha group move db1 --to node2" \
    pgha_on node1 group move db1 --to node2 --wait=60
wait_probes $S 30
# libpq: PQexec() keeps the last result: the lost connection, without a
# SQLSTATE; the server's 57P01 was the result before it (PQgetResult).
expect $S libpq .result_status=PGRES_FATAL_ERROR .sqlstate=null \
    .conn_status=CONNECTION_BAD .first_sqlstate=57P01 \
    '.first_message=FATAL:  terminating connection due to administrator command'
# ecpglib reports a lost connection as 57P02, whatever the server said.
expect $S ecpg .sqlstate=57P02 .sqlcode=-400
expect $S odbc .sqlstate=57P01
expect $S jdbc .sqlstate=57P01 .next_sqlstate=08006
expect $S node .code=57P01 .severity=FATAL
check "db1 online on node2" wait_online_on node2 node1 30
is "$(client_sql "SELECT count(*) FROM clients_probe WHERE situation = '$S'")" 0 \
    "$S: every interrupted transaction was rolled back (no row)"

# ---------------------------------------- (d) accessed while switching
S=access-while-switching
stop=$OUT_DIR/clients.$S.stop
rm -f "$stop"
start_probes loop $S "$stop"
declare -A OKS_WANT
for d in "${DRIVERS[@]}"; do OKS_WANT[$d]=3; done
check "$S: every driver's loop works before the move" \
    wait_until 60 _all_oks_at_least
check "$S: pgha group move db1 --to node1" \
    pgha_on node2 group move db1 --to node1 --wait=60
for d in "${DRIVERS[@]}"; do OKS_WANT[$d]=$(( $(_oks "$d") + 3 )); done
check "$S: every driver's loop works after the move" \
    wait_until 60 _all_oks_at_least
touch "$stop"
wait_probes $S 30
expect_codes libpq CONNECTION_BAD PGRES_FATAL_ERROR/NULL PGRES_FATAL_ERROR/57P01
expect_codes ecpg 08001 57P01 57P02 57P03
expect_codes odbc 08001 08S01 57P01 57P03
expect_codes jdbc 08001 08006 57P01 57P03
expect_codes node ECONNREFUSED ECONNRESET 57P01 57P03 undefined
seen=""
for d in "${DRIVERS[@]}"; do
	seen+="$d=$(jq -c .codes "$OUT_DIR/clients.$S.$d.json") "
done
echo "# $S: failures per driver: $seen"

# ---------------------------------------- (a) server down during access
S=crash-during-access
start_probes inflight $S
check "$S: a statement of every driver runs in an open transaction" \
    wait_until 60 _in_flight
check "$S: lab kill-postmaster node1" "$LAB" kill-postmaster node1
wait_probes $S 30
# A SIGKILLed postmaster: its backends exit without a word to the client.
expect $S libpq .result_status=PGRES_FATAL_ERROR .sqlstate=null \
    .conn_status=CONNECTION_BAD .first_sqlstate=null
expect $S ecpg .sqlstate=57P02 .sqlcode=-400
expect $S odbc .sqlstate=08S01
expect $S jdbc .sqlstate=08006
expect $S node .code=null '.message=Connection terminated unexpectedly'
check "db1 failed over to node2" wait_online_on node2 node2 30
is "$(client_sql "SELECT count(*) FROM clients_probe WHERE situation = '$S'")" 0 \
    "$S: every interrupted transaction was rolled back (no row)"

# ---------------------------------------- (b) accessed while down
check "pgha group offline db1" pgha_on node2 group offline db1 --wait=60
S=access-while-down
start_probes connect $S
wait_probes $S 30
# Within the old owner's reset window: refused at once.
expect $S libpq .result_status=null .conn_status=CONNECTION_BAD
check "$S: libpq says the connection was refused" \
    grep -q 'Connection refused' "$OUT_DIR/clients.$S.libpq.json"
expect $S ecpg .sqlstate=08001 .sqlcode=-402
expect $S odbc .sqlstate=08001
expect $S jdbc .sqlstate=08001
expect $S node .code=ECONNREFUSED
check "access while down: the refusal window ends" wait_until 40 _not_refused
S=access-while-down-no-answer
start_probes connect $S
wait_probes $S 30
# Nobody answers ARP for the address: the connect times out (2 s), or
# fails at once while the client's neighbour entry is marked failed.
nobody='connection to server at "198.18.0.100", port 5432 failed: timeout expired'
nobody+='|connection to server at "198.18.0.100", port 5432 failed: No route to host  Is the server running on that host and accepting TCP/IP connections?'
expect $S libpq .result_status=null .conn_status=CONNECTION_BAD ".message=$nobody"
expect $S ecpg .sqlstate=08001 .sqlcode=-402
expect $S odbc .sqlstate=08001
expect $S jdbc .sqlstate=08001 '.message=The connection attempt failed.'
expect $S node '.code=null|EHOSTUNREACH' \
    '.message=timeout expired|connect EHOSTUNREACH 198.18.0.100:5432'
check "pgha group online db1" pgha_on node2 group online db1 --wait=60
check "db1 online on node1" wait_online_on node1 node1 30

# ---------------------------------------- the retry examples, real switch
stop=$OUT_DIR/clients.retry.stop
rm -f "$stop"
for d in "${DRIVERS[@]}"; do
	client "$d" retry "$LAB_ACCESS_IP" "$d" "$stop" 30 \
	    >"$OUT_DIR/clients.retry.$d.json" 2>"$OUT_DIR/clients.retry.$d.err" &
	PID[$d]=$!
done
declare -A ROWS_WANT
for d in "${DRIVERS[@]}"; do ROWS_WANT[$d]=20; done
check "retry: every example commits before the move" \
    wait_until 60 _all_rows_at_least
check "retry: pgha group move db1 --to node2" \
    pgha_on node1 group move db1 --to node2 --wait=60
for d in "${DRIVERS[@]}"; do ROWS_WANT[$d]=$(( $(_rows "$d") + 20 )); done
check "retry: every example commits after the move" \
    wait_until 60 _all_rows_at_least
touch "$stop"
for d in "${DRIVERS[@]}"; do
	f=$OUT_DIR/clients.retry.$d.json
	if ! wait_until 30 test -s "$f"; then
		kill "${PID[$d]}" 2>/dev/null
	fi
	wait "${PID[$d]}"
	is "$?" 0 "retry: the $d example ends with exit 0 (no transaction given up)"
	unset "PID[$d]"
	sed 's/^/# /' "$OUT_DIR/clients.retry.$d.err" | tail -3
	cat "$f" >>"$OBSERVED"
	echo "# $(cat "$f")"
	n=$(jq -r .transactions "$f")
	is "$(client_sql "SELECT count(*) || ' ' || count(DISTINCT n) || ' ' ||
	    coalesce(min(n), 0) || ' ' || coalesce(max(n), 0)
	    FROM clients_retry WHERE driver = '$d'")" "$n $n 1 $n" \
	    "retry: $d committed each of its $n transactions exactly once"
	check "retry: the switch interrupted the $d example (it retried)" \
	    test "$(jq -r .retries "$f")" -gt 0
done

# ------------------------------ (a') node power loss during access
# Links down first, then every process killed: node1's kernel never resets
# anything, the clients hear nothing and have nothing to retransmit. The
# address's next owner (node2) tickles the connections node1 had listed,
# so each statement fails right after the takeover instead of hanging.
S=power-loss-during-access
check "$S: pgha group move db1 --to node1" \
    pgha_on node2 group move db1 --to node1 --wait=60
check "db1 online on node1" wait_online_on node1 node1 30
start_probes inflight $S
check "$S: a statement of every driver runs on node1" \
    wait_until 60 _in_flight_on node1
check "$S: node2 knows every probe's connection (status: db1-ip clients)" \
    wait_until 20 _clients_known node2
echo "# $S: db1-ip clients as node2 sees them: $(status_q node2 \
    '.groups[] | select(.name == "db1") | .resources[] |
    select(.name == "db1-ip") | .clients')"
crash_ms=$(lab_ms)
check "$S: lab crash node1 --hard" lab_logged "$S.crash" crash node1 --hard
check "$S: db1 failed over to node2" wait_online_on node2 node2 60
# A bound, not a timing requirement: without the reset they would block
# for hours (their server is gone; nothing would ever answer them).
check "$S: every driver's statement ended (none hangs)" \
    wait_until 60 _all_printed $S
wait_probes $S 1
# The client's kernel answers the tickle, node2's kernel resets that: the
# driver sees ECONNRESET on its read.
expect $S libpq .result_status=PGRES_FATAL_ERROR .sqlstate=null \
    .conn_status=CONNECTION_BAD .first_sqlstate=null
check "$S: libpq says the connection was lost (closed or reset)" \
    grep -Eq '"message":"(server closed the connection unexpectedly|[^"]*Connection reset by peer)' \
    "$OUT_DIR/clients.$S.libpq.json"
expect $S ecpg .failed=statement .sqlstate=57P02 .sqlcode=-400
expect $S odbc .failed=statement .sqlstate=08S01
expect $S jdbc .failed=statement .sqlstate=08006 \
    '.message=An I/O error occurred while sending to the backend.'
expect $S node .failed=statement .code=ECONNRESET '.message=read ECONNRESET'
is "$(client_sql "SELECT count(*) FROM clients_probe WHERE situation = '$S'")" 0 \
    "$S: every interrupted transaction was rolled back (no row)"
# From the takeover (db1-ip online on node2) to each driver's error: the
# probe's JSON line is written when the statement fails (file mtime). The
# tickles go out while the address starts, before its "online" event: an
# error can come a few ms before it (a negative figure).
ip_ms=$(pgha_on node2 events --json --group db1 2>/dev/null | jq -r \
    --argjson t "$crash_ms" '[.events[] | select(.object == "resource db1-ip"
    and .node == "node2" and .new == "online" and .ms >= $t)] | first | .ms')
after="" js="{}"
for d in "${DRIVERS[@]}"; do
	f=$OUT_DIR/clients.$S.$d.json
	at=$(stat -c %.3Y "$f" 2>/dev/null | tr -d .)
	if [[ -s $f && $at =~ ^[0-9]+$ && $ip_ms =~ ^[0-9]+$ ]]; then
		after+="$d=$(( at - ip_ms )) "
		js=$(jq -c --arg d "$d" --argjson v $(( at - ip_ms )) \
		    '.[$d] = $v' <<<"$js")
	else
		after+="$d=? "
	fi
done
[[ $ip_ms =~ ^[0-9]+$ ]] &&
    echo "# $S: db1-ip online on node2 $(( ip_ms - crash_ms )) ms after the power loss"
echo "# $S: error after db1-ip online on node2 (ms): $after"
echo "{\"situation\":\"$S\",\"error_after_takeover_ms\":$js}" >>"$OBSERVED"
check "$S: lab restore node1" lab_logged "$S.restore" restore node1
check "node1 rejoins (online)" wait_until 60 node_is node2 node1 online
check "db1 stays online on node2" online_on node2 node2
done_testing
