# scenario.sh - what the lab tests share on top of lib.sh: bringing the
# lab up, asking pgha, running the client writer.  Source it (bash).

LAB_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$LAB_TESTS_DIR/lib.sh"

PGHA_BUILD=${PGHA_BUILD:-$(cd "$LAB_TESTS_DIR/../.." && pwd)/build}
export PGHA_BUILD
ACCESS_CONNINFO='host=198.18.0.100 port=5432 dbname=postgres user=postgres connect_timeout=2'
CLIENT_NS=$LAB_NAME-client
OUT_DIR=${OUT_DIR:-/var/tmp/$LAB_NAME-lab-out}
mkdir -p "$OUT_DIR"

# Bring a fresh lab up (cleans what an earlier run left), or fail.
lab_fresh() {
	if ! "$LAB" up --fencing "$@" >"$OUT_DIR/lab-up.log" 2>&1; then
		echo "# lab up failed:" >&2
		sed 's/^/# /' "$OUT_DIR/lab-up.log" >&2
		not_ok "lab up"
		done_testing
		exit 1
	fi
}

PG_BIN=/usr/lib/postgresql/15/bin

pgha_on() {	# pgha_on NODE ARGS...: the CLI inside a node
	local node=$1
	shift
	"$LAB" exec "$node" "$PGHA_BUILD/pgha" "$@"
}

# jq over `pgha status --json` on a node.
# pgha NODE ARGS...: a pgha command as the operator types it; its output
# is shown as TAP comments.
pgha() {
	local node=$1 rc
	shift
	pgha_on "$node" "$@" 2>&1 | sed 's/^/#   /'
	rc=${PIPESTATUS[0]}
	return "$rc"
}

pgctl() {	# pgctl NODE ARGS...: pg_ctl on db1's data, as the operator would
	local node=$1
	shift
	"$LAB" exec "$node" runuser -u postgres -- \
	    "$PG_BIN/pg_ctl" -D "$LAB_DATA" "$@"
}

local_sql() {	# local_sql NODE SQL: psql on the node's local socket
	"$LAB" exec "$1" runuser -u postgres -- \
	    psql -h /run/postgresql -X -Atq -v ON_ERROR_STOP=1 -c "$2"
}

client_sql() {	# client_sql SQL: psql from the client, through the access point
	ip netns exec "$CLIENT_NS" psql "$ACCESS_CONNINFO" -X -Atq \
	    -v ON_ERROR_STOP=1 -c "$1"
}

status_q() {	# status_q NODE JQ-EXPR
	pgha_on "$1" status --json 2>/dev/null | jq -r "$2"
}

node_state() {	# node_state ASKER NODE: NODE's state as ASKER sees it
	status_q "$1" ".nodes[] | select(.name == \"$2\") | .state"
}
node_is() { [[ $(node_state "$1" "$2") == "$3" ]]; }	# ASKER NODE STATE

group_field() {	# group_field NODE FIELD
	status_q "$1" ".groups[] | select(.name == \"db1\") | .$2"
}

# db1 online, every resource online, on NODE (asked of ASKER).
res_json() {	# res_json ASKER RESOURCE: the resource's status object, compact
	status_q "$1" ".groups[] | select(.name == \"db1\") | .resources[] |
	    select(.name == \"$2\") | {state, node, by_hand} | tojson"
}

by_hand_on() {	# db1-pg shown "online, by hand" on NODE (asked of ASKER)
	[[ $(res_json "$2" db1-pg) == "{\"state\":\"online\",\"node\":\"$1\",\"by_hand\":true}" ]]
}

pg_offline() {	# db1-pg shown offline and not by hand (asked of ASKER)
	[[ $(res_json "$1" db1-pg) == '{"state":"offline","node":null,"by_hand":false}' ]]
}

online_on() {	# online_on NODE [ASKER]
	local asker=${2:-$1}
	pgha_on "$asker" status --json 2>/dev/null | jq -e --arg n "$1" \
	    '.groups[] | select(.name == "db1") | .state == "online" and
	     .owner == $n and all(.resources[]; .state == "online")' >/dev/null
}

wait_online_on() {	# wait_online_on NODE [ASKER] [TIMEOUT]
	wait_until "${3:-60}" online_on "$1" "${2:-$1}"
}

postmaster_pid() {	# host-visible content of postmaster.pid line 1
	local init
	init=$(lab_init_pid "$1") || return 1
	head -1 "/proc/$init/root/srv/db1/data/postmaster.pid" 2>/dev/null
}

# The client: writes through the access point every 10 ms.
writer_start() {	# writer_start NAME
	WRITER_LOG=$OUT_DIR/$1.writer.log
	rm -f "$WRITER_LOG"
	ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" \
	    -c "$ACCESS_CONNINFO" -i 10 -o "$WRITER_LOG" \
	    >"$OUT_DIR/$1.writer.out" 2>&1 &
	WRITER_PID=$!
	wait_until 30 grep -q ' ok ' "$WRITER_LOG"
}

# Acknowledged commits since the log started.
writer_acked() {
	grep -c ' ok ' "$WRITER_LOG" 2>/dev/null || echo 0
}

# Wait until the writer has N more acknowledged commits.
writer_wait_more() {	# writer_wait_more N [TIMEOUT]
	local want=$(( $(writer_acked) + $1 ))
	wait_until "${2:-60}" _writer_has "$want"
}
_writer_has() { (( $(writer_acked) >= $1 )); }

writer_stop() {
	kill -TERM "$WRITER_PID" 2>/dev/null
	wait "$WRITER_PID" 2>/dev/null
	WRITER_PID=
}

# key=value report of the writer's run, checked against the database.
writer_verify() {	# writer_verify NAME
	ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" --verify \
	    -c "$ACCESS_CONNINFO" -o "$WRITER_LOG" >"$OUT_DIR/$1.verify" 2>&1
	cat "$OUT_DIR/$1.verify"
}

kv() {	# kv FILE KEY
	sed -n "s/^$2=//p" "$1" | head -1
}

# Common closing checks of a scenario: nothing lost, no violation.
assert_client_and_invariants() {	# NAME
	local v lost acked gap
	v=$(sampler_stop)
	writer_stop
	writer_verify "$1" >/dev/null
	lost=$(kv "$OUT_DIR/$1.verify" lost)
	acked=$(kv "$OUT_DIR/$1.verify" acked)
	gap=$(kv "$OUT_DIR/$1.verify" longest_gap_ms)
	echo "# $1: acked=$acked lost=$lost longest_gap_ms=$gap" \
	    "sqlstates=$(kv "$OUT_DIR/$1.verify" sqlstates)"
	is "$lost" 0 "$1: no acknowledged commit lost ($acked acknowledged)"
	check "$1: client wrote through the access point" test "${acked:-0}" -gt 0
	is "$v" 0 "$1: never two nodes with the disk, address or server"
}

# holds_none NODE...: none of the nodes has the disk, address or a server.
holds_none() {
	local n
	for n in "$@"; do
		if node_has_mount "$n" || node_has_ip "$n" || node_has_pg "$n"; then
			echo "# $n still holds: mount=$(node_has_mount "$n" && echo y)" \
			    "ip=$(node_has_ip "$n" && echo y) pg=$(node_has_pg "$n" && echo y)" >&2
			return 1
		fi
	done
}

on_fail_dump() {
	if (( _tap_failed > 0 )); then
		lab_dump_logs
	fi
}

# Several groups (lab up --groups N; NGROUPS set by the caller).
# "group state owner" per group db1..dbN, as ASKER sees it; state
# "online" only with every resource online.
groups_of() {	# groups_of ASKER
	status_q "$1" '.groups[] | select(.name | test("^db[0-9]+$")) |
	    "\(.name) \(if .state == "online" and
		all(.resources[]; .state == "online") then "online"
		else .state end) \(.owner)"'
}

# Every group online on a node other than AVOID; sets PLACEMENT (the
# groups_of lines) when it holds.
all_back() {	# all_back ASKER [AVOID]
	local out
	out=$(groups_of "$1") || return 1
	(( $(awk -v a="${2:-}" '$2 == "online" && $3 != "null" && $3 != a' \
	    <<<"$out" | wc -l) == NGROUPS )) || return 1
	PLACEMENT=$out	# what the last successful call saw
}
