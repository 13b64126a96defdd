#!/bin/bash
# pgha db init on an empty shared disk (only where the disks are online,
# never over a database cluster), then pgha validate: clean, then with
# restart_after_crash on, then with a log_directory that exists on one
# node only.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

# The state of the data directory as seen in node1: names, sizes, times of
# its top-level files and of global/pg_control, and the configs' checksums.
data_fingerprint() {
	"$LAB" exec node1 sh -c "cd $LAB_DATA && ls -la --time-style=full-iso . global/pg_control &&
	    md5sum postgresql.conf pg_hba.conf postgresql.auto.conf" 2>&1
}
validate_json() {	# validate_json NODE FILE: exit status of validate --json
	pgha_on "$1" validate --json >"$2" 2>"$2.err"
}
no_access_ip() {	# no_access_ip NODE...
	local n
	for n in "$@"; do
		[[ $(ip -n "$LAB_NAME-$n" -4 -o addr show) != *" $LAB_ACCESS_IP/"* ]] ||
		    return 1
	done
}
jqe() { jq -e "$@" >/dev/null; }
fq() { local j=$1; shift; jq -e "$@" <<<"$j" >/dev/null; }	# JSON JQ-ARGS...
LOGDIR=/run/pgha-test-log	# /run is private to each lab node (/var/log is not)

PGHA_LAB_NO_DB=1 PGHA_LAB_AUTOSTART=no \
    PGHA_LAB_PG_EXTRA="backup_dir = /srv/db1/backup" lab_fresh
is "$(group_field node1 state)" offline "db1 offline (autostart = no)"
sampler_start

# ---------------------------------------------------------------- db init
out=$(pgha_on node2 db init db1 2>&1); rc=$?
is "$rc" 1 "db init on node2 with the disk offline: exit 1"
check "the message says the disks are not online there" \
    grep -q "not online on this node" <<<"$out"
echo "# $out"
check "pgha resource online db1-disk" pgha_on node1 resource online db1-disk
check "the disk is mounted on node1" node_has_mount node1
is "$(group_field node1 state)" partial "db1 is partial"
is "$(group_field node1 intent)" partial "its intent is partial"
is "$(status_q node1 '.groups[0].resources[] | select(.name == "db1-pg") | .state')" \
    offline "db1-pg stays offline"
check "the access point is not assigned on any node" no_access_ip node1 node2
out=$(pgha_on node2 db init db1 2>&1); rc=$?
is "$rc" 1 "db init on node2 (disk on node1): exit 1"
check "the message names node1, where the disk is" grep -q "node1" <<<"$out"
echo "# $out"
check "nothing created on the disk" \
    "$LAB" exec node1 test ! -e "$LAB_DATA"
out=$(pgha_on node1 db init db1 2>&1); rc=$?
is "$rc" 0 "db init on node1: exit 0"
check "its output shows initdb ran" grep -q "initdb.*done" <<<"$out"
check "... and which PostgreSQL, found with bindir unset" grep -qx \
    "check: PostgreSQL 15 (newest installed): /usr/lib/postgresql/15/bin/initdb" \
    <<<"$out"
sed 's/^/# /' <<<"$out"
check "PG_VERSION 15 on the shared disk" bash -c \
    "[[ \$('$LAB' exec node1 cat $LAB_DATA/PG_VERSION) == 15 ]]"
check "the backup directory was made" "$LAB" exec node1 test -d /srv/db1/backup
before=$(data_fingerprint)
out=$(pgha_on node1 db init db1 2>&1); rc=$?
is "$rc" 1 "a second db init: exit 1"
check "the message says the data directory is not empty" \
    grep -q "not empty" <<<"$out"
echo "# $(grep '^pgha:' <<<"$out")"
is "$(data_fingerprint)" "$before" "nothing changed in the data directory"

# ---------------------------------------------------- online, a client
# The operator lets the clients in, as after any initdb.
"$LAB" exec node1 sh -c "echo 'host all all 198.18.0.0/15 trust' >>$LAB_DATA/pg_hba.conf"
check "pgha group online db1" pgha_on node1 group online db1
check "db1 online on node1" online_on node1
writer_start dbinit
check "a client writes through the access point" writer_wait_more 20 30
# The server's log: the logging collector's weekday file in DATA/log;
# the resource's logfile only what came before the collector started.
check "the server logs to DATA/log/postgresql-DAY.log" "$LAB" exec node1 \
    grep -Eqx 'stderr log/postgresql-(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.log' \
    "$LAB_DATA/current_logfiles"
check "... which says it is ready" "$LAB" exec node1 sh -c \
    "grep -q 'ready to accept connections' $LAB_DATA/\$(cut -d' ' -f2 $LAB_DATA/current_logfiles)"
check "pgha-server.log has only what came before the collector" \
    "$LAB" exec node1 sh -c "grep -q 'redirecting log output to logging collector' \
    $LAB_DATA/pgha-server.log && ! grep -q 'ready to accept' $LAB_DATA/pgha-server.log"

# ---------------------------------------------------------------- validate
validate_json node1 "$OUT_DIR/validate.json"; rc=$?
is "$rc" 0 "pgha validate: exit 0 (warnings only)"
v=$OUT_DIR/validate.json
is "$(jq -r .errors "$v")" 0 "validate --json: errors 0"
check "validate --json: warnings about the shared disk" \
    jqe '.warnings >= 1' "$v"
is "$(jq -r '[.nodes[].node] | sort | join(" ")' "$v")" "node1 node2" \
    "validate --json: nodes node1 and node2 checked"
is "$(jq -r '.not_checked | length' "$v")" 0 "no node left unchecked"
out=$(pgha_on node2 validate 2>&1); rc=$?
is "$rc" 0 "pgha validate on node2: exit 0"
check "text output ends with the totals" \
    grep -q "^0 errors, [0-9]* warning" <<<"$out"

echo "# -- restart_after_crash = on"
check "ALTER SYSTEM SET restart_after_crash = on" \
    local_sql node1 "ALTER SYSTEM SET restart_after_crash = on"
validate_json node1 "$v"; rc=$?
is "$rc" 1 "validate with restart_after_crash = on: exit 1"
f=$(jq -c '[.nodes[] | select(.node == "node1") | .findings[] |
    select(.level == "error" and .setting == "restart_after_crash")] | .[0]' "$v")
echo "# $f"
check "an error on node1 for restart_after_crash" test "$f" != null
check "with a fix that sets it off" \
    fq "$f" '.fix | contains("restart_after_crash = off")'
is "$(jq -r .errors "$v")" 1 "one error"
check "ALTER SYSTEM RESET restart_after_crash" \
    local_sql node1 "ALTER SYSTEM RESET restart_after_crash"
validate_json node1 "$v"; rc=$?
is "$rc" 0 "reset: validate exit 0"

echo "# -- log_directory only on node1"
"$LAB" exec node1 sh -c "mkdir -p $LOGDIR && chown postgres:postgres $LOGDIR"
check "ALTER SYSTEM SET log_directory = '$LOGDIR'" \
    local_sql node1 "ALTER SYSTEM SET log_directory = '$LOGDIR'"
validate_json node1 "$v"; rc=$?
is "$rc" 1 "validate with log_directory missing on node2: exit 1"
f=$(jq -c '[.nodes[] | select(.node == "node2") | .findings[] |
    select(.level == "error" and .setting == "log_directory")] | .[0]' "$v")
echo "# $f"
check "an error on node2 for log_directory" test "$f" != null
check "naming $LOGDIR" fq "$f" --arg d "$LOGDIR" \
    '.path == $d and (.message | contains($d))'
check "with a mkdir fix" fq "$f" --arg d "$LOGDIR" \
    '.fix | contains("mkdir") and contains($d)'
check "no such error on node1" jqe '[.nodes[] | select(.node == "node1") |
    .findings[] | select(.level == "error")] | length == 0' "$v"
out=$(pgha_on node2 validate 2>&1)
check "text output: an error line naming log_directory" \
    grep -q "error.*log_directory $LOGDIR" <<<"$out"
check "and a fix: line with mkdir" grep -q "fix: mkdir -p $LOGDIR" <<<"$out"
"$LAB" exec node2 sh -c "mkdir -p $LOGDIR && chown postgres:postgres $LOGDIR"
validate_json node1 "$v"; rc=$?
is "$rc" 0 "after mkdir on node2: validate exit 0"
is "$(jq -r .errors "$v")" 0 "errors 0"
check "the client still commits" writer_wait_more 20 30
assert_client_and_invariants dbinit
done_testing
