#!/bin/bash
# Resources besides the database follow it: OCF agents shipped by Debian
# (resource-agents: ocf:heartbeat:Dummy, and ocf:heartbeat:anything
# running a real daemon) and PgBouncer as a service resource in front of
# the server, listening on the group's address.  Online, planned move, a node's loss, a killed pgbouncer; and
# an OCF agent that no node has.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

PGB_DIR=/var/tmp/$LAB_NAME-pgbouncer
PGB_CONNINFO='host=198.18.0.100 port=6432 dbname=postgres user=postgres connect_timeout=2'
DUMMY_STATE=/run/resource-agents/Dummy-db1-dummy.state
GHOST=/usr/lib/ocf/resource.d/heartbeat/NoSuchAgent

cleanup() {
	on_fail_dump
	rm -rf "$PGB_DIR"
}
trap cleanup EXIT

for need in /usr/sbin/pgbouncer /usr/bin/socat \
    /usr/lib/ocf/resource.d/heartbeat/Dummy; do
	if [[ ! -x $need ]]; then
		echo "1..0 # SKIP no $need (scripts/setup-deps.sh)"
		exit 0
	fi
done

# One configuration for every node, as /etc/pgbouncer would be.
mkdir -p "$PGB_DIR"
cat >"$PGB_DIR/pgbouncer.ini" <<EOF
[databases]
postgres = host=/run/postgresql port=5432 dbname=postgres user=postgres
[pgbouncer]
listen_addr = 198.18.0.100
listen_port = 6432
unix_socket_dir =
auth_type = any
pool_mode = session
pidfile = /run/postgresql/pgbouncer.pid
logfile = /run/postgresql/pgbouncer.log
EOF
chmod 755 "$PGB_DIR"
chmod 644 "$PGB_DIR/pgbouncer.ini"
cat >"$PGB_DIR/extra.conf" <<EOF
[resource db1-dummy]
group = db1
type = ocf:heartbeat:Dummy
requires = db1-disk
monitor_interval = 1s
param.fake = yes
# Misspelt: Dummy has no such parameter (pgha validate warns).
param.fak = yes

# A real daemon run by an OCF agent: an echo server on the group's address.
[resource db1-echo]
group = db1
type = ocf:heartbeat:anything
param.binfile = /usr/bin/socat
param.cmdline_options = TCP-LISTEN:7000,bind=198.18.0.100,fork,reuseaddr EXEC:/bin/cat
requires = db1-ip
monitor_interval = 1s

[resource db1-bouncer]
group = db1
type = service
start = /usr/sbin/pgbouncer -d $PGB_DIR/pgbouncer.ini
user = postgres
pidfile = /run/postgresql/pgbouncer.pid
requires = db1-pg db1-ip
monitor_interval = 1s
restarts = 1

[group ghost]
preferred_owners = node1 node2
failover_threshold = 1

[resource ghost-res]
group = ghost
type = ocf:heartbeat:NoSuchAgent
param.state = /run/ghost.state
EOF
export PGHA_LAB_EXTRA_CONF=$PGB_DIR/extra.conf
# The failure of pgbouncer below bans node2 from db1 for ban_timeout;
# short, so that node2 may take db1 when node1 is lost afterwards.
export PGHA_LAB_BAN_TIMEOUT=2s

lab_fresh

# Files and processes as a node sees them (its /run is its own).
node_file() {	# node_file NODE PATH: PATH exists in NODE's mounts
	local init
	init=$(lab_init_pid "$1") || return 1
	[[ -e /proc/$init/root$2 ]]
}
bouncer_pid() {	# bouncer_pid NODE: host pid of its pgbouncer, if one runs
	local p
	for p in $(ip netns pids "$LAB_NAME-$1" 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == pgbouncer ]] &&
		    { echo "$p"; return 0; }
	done
	return 1
}
pgb_sql() {	# pgb_sql SQL: psql from the client through pgbouncer
	ip netns exec "$CLIENT_NS" psql "$PGB_CONNINFO" -X -Atq \
	    -v ON_ERROR_STOP=1 -c "$1"
}
pgb_answers() { [[ $(pgb_sql 'SELECT 1' 2>/dev/null) == 1 ]]; }
# Which server answers through pgbouncer: its node's hostname is not
# visible to SQL, so ask for the server's start time, new after a switch.
pgb_server_start() { pgb_sql 'SELECT pg_postmaster_start_time()'; }
res_field() {	# res_field ASKER RESOURCE FIELD
	status_q "$1" ".groups[] | .resources[] | select(.name == \"$2\") |
	    .$3"
}
only_on() {	# only_on NODE CHECK...: CHECK holds on NODE and not on the other
	local node=$1 other
	shift
	other=$([[ $node == node1 ]] && echo node2 || echo node1)
	"$@" "$node" && ! "$@" "$other"
}
dummy_on() { node_file "$1" "$DUMMY_STATE"; }
bouncer_on() { bouncer_pid "$1" >/dev/null; }
echo_on() {	# echo_on NODE: ocf:heartbeat:anything's socat runs in NODE
	local p
	for p in $(ip netns pids "$LAB_NAME-$1" 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == socat ]] && return 0
	done
	return 1
}
echo_answers() {	# the echo server on the group's address answers
	[[ $(echo ping | ip netns exec "$CLIENT_NS" socat -t2 - \
	    TCP:198.18.0.100:7000 2>/dev/null) == ping ]]
}

check "db1 online on node1 with its dummy and pgbouncer" wait_online_on node1
check "Dummy's state file exists on node1 only" only_on node1 dummy_on
check "pgbouncer runs on node1 only" only_on node1 bouncer_on
check "a client through pgbouncer on the group's address gets SELECT 1" \
    wait_until 10 pgb_answers
check "ocf:heartbeat:anything's daemon (socat) runs on node1 only" \
    only_on node1 echo_on
check "and answers on the group's address" wait_until 10 echo_answers
is "$(res_field node2 db1-dummy type)" "ocf:heartbeat:Dummy" \
    "status shows the OCF type whole"

# The OCF agent that no node has: its group fails, saying which file.
ghost_failed() {
	[[ $(status_q node1 '.groups[] | select(.name == "ghost") |
	    .state') == failed ]]
}
check "group ghost ends failed (no node has its agent)" wait_until 60 \
    ghost_failed
err=$(status_q node1 '.groups[] | select(.name == "ghost") | .resources[0] |
    .last_error // ""')
check "its error is the start's, naming the agent's path" grep -qF \
    "start failed: exit 5: OCF agent ocf:heartbeat:NoSuchAgent is not installed on this node: $GHOST does not exist" \
    <<<"$err"
echo "#   $err"
is "$(status_q node1 '[.groups[] | select(.name == "ghost") | .resources[] |
    select(.state == "stop-failed")] | length')" 0 \
    "no stop failed after it (nothing runs from a missing agent)"
out=$(pgha_on node1 validate ghost 2>&1); rc=$?
is "$rc" 1 "pgha validate ghost: exit 1"
check "and every node names the missing agent" test "$(grep -cF "$GHOST" <<<"$out")" -ge 2
echo "$out" | grep -F "$GHOST" | head -2 | sed 's/^/#   /'
out=$(pgha_on node1 validate db1 2>&1)
check "pgha validate db1: Dummy's meta-data lacks param.fak, on each node" \
    test "$(grep -c "param.fak: ocf:heartbeat:Dummy has no parameter fak" <<<"$out")" -ge 2
check "and has param.fake (no finding about it)" not grep -q "param.fake:" <<<"$out"
check "and no error about db1-dummy" not grep -q "error.*db1-dummy" <<<"$out"
echo "$out" | grep "db1-dummy" | head -2 | sed 's/^/#   /'

# Planned move: pgbouncer and Dummy follow the database.  A client
# writes through pgbouncer all along (the lab's writer, every 10 ms).
before=$(pgb_server_start)
PGB_LOG=$OUT_DIR/ocf-pgbouncer.writer.log
rm -f "$PGB_LOG"
ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" -c "$PGB_CONNINFO" \
    -i 10 -o "$PGB_LOG" >"$OUT_DIR/ocf-pgbouncer.writer.out" 2>&1 &
PGB_WRITER=$!
pgb_acked() { grep -c ' ok ' "$PGB_LOG" 2>/dev/null || echo 0; }
pgb_acked_more() { (( $(pgb_acked) >= $1 )); }
check "a client commits through pgbouncer" wait_until 30 pgb_acked_more 50
check "pgha group move db1 --to node2" pgha_on node1 group move db1 --to node2 --wait=60
check "db1 online on node2" wait_online_on node2 node1
n=$(pgb_acked)
check "the client through pgbouncer commits again after the move" \
    wait_until 30 pgb_acked_more $(( n + 50 ))
kill -TERM "$PGB_WRITER" 2>/dev/null
wait "$PGB_WRITER" 2>/dev/null
check "it saw the switch (errors between its commits)" grep -q ' err ' "$PGB_LOG"
ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" --verify \
    -c "$PGB_CONNINFO" -o "$PGB_LOG" >"$OUT_DIR/ocf-pgbouncer.verify" 2>&1
is "$(kv "$OUT_DIR/ocf-pgbouncer.verify" lost)" 0 \
    "no commit acknowledged through pgbouncer was lost"
echo "# through pgbouncer: $(tr '\n' ' ' <"$OUT_DIR/ocf-pgbouncer.verify")"
check "Dummy's state file moved to node2" only_on node2 dummy_on
check "pgbouncer moved to node2" only_on node2 bouncer_on
check "the OCF-run daemon moved to node2" only_on node2 echo_on
check "and answers there" wait_until 10 echo_answers
check "a client through pgbouncer answers after the move" wait_until 20 pgb_answers
after=$(pgb_server_start)
check "and it reaches the server started on node2 (start time changed)" \
    test -n "$after" -a "$after" != "$before"

# pgbouncer killed: restarted in place once (restarts = 1), then, killed
# again, db1 fails over.
bouncer_new_on() {	# bouncer_new_on NODE OLDPID: another pgbouncer runs
	local p
	p=$(bouncer_pid "$1") && [[ $p != "$2" ]]
}
pid=$(bouncer_pid node2)
check "kill -9 of pgbouncer on node2 (pid $pid)" kill -9 "$pid"
check "pgbouncer restarted on node2 (a new process)" wait_until 30 \
    bouncer_new_on node2 "$pid"
check "db1 online on node2 again, not moved" wait_online_on node2 node1 30
check "a client through pgbouncer answers after the restart" \
    wait_until 20 pgb_answers
pid=$(bouncer_pid node2)
check "kill -9 of pgbouncer on node2 again (pid $pid)" kill -9 "$pid"
check "db1 fails over to node1" wait_until 60 online_on node1 node2
bouncer_gone_said() {	# the failure, as the events tell it
	pgha_on node1 events --group db1 2>/dev/null |
	    grep -q "db1-bouncer.*pgbouncer.pid: its process is gone"
}
check "the events say pgbouncer's process is gone" wait_until 10 \
    bouncer_gone_said
check "pgbouncer runs on node1 only" only_on node1 bouncer_on
check "a client through pgbouncer answers again" wait_until 20 pgb_answers

# A node lost: its owner's power cut; everything comes up on node2.
bouncer_fc() {	# bouncer_fc NODE: db1-bouncer's failure count on NODE
	res_field node1 db1-bouncer "failcount.$1"
}
bouncer_fc_zero() { [[ $(bouncer_fc node2) == 0 ]]; }
check "node2's ban ends after ban_timeout (its failure count reset)" \
    wait_until 20 bouncer_fc_zero
before=$(pgb_server_start)
check "node1 loses power" "$LAB" crash node1
check "db1 online on node2 after node1's loss" wait_until 90 online_on node2 node2
check "pgbouncer runs on node2" bouncer_on node2
check "Dummy's state file on node2" dummy_on node2
check "a client through pgbouncer answers on node2" wait_until 20 pgb_answers
after=$(pgb_server_start)
check "and it is the server on node2" test -n "$after" -a "$after" != "$before"

done_testing
