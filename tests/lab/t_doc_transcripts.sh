#!/bin/bash
# The command transcripts of docs/operations.md come from real runs: walk
# its transcript blocks in order on a fresh lab in the state the document
# starts from (db1 offline, no database yet), run every "nodeN# COMMAND"
# on that node and compare the output with the block's, after
# normalising times, durations, dates, ids and hashes ("..." in the
# document matches any run of lines).  One TAP line per block; a
# mismatch prints a diff.
#
#   tests/lab/t_doc_transcripts.sh [BUILD]            check
#   tests/lab/t_doc_transcripts.sh [BUILD] --update   rewrite stale blocks
#   (or PGHA_DOC_UPDATE=1 tests/lab/run-all.sh BUILD tests/lab/t_doc_transcripts.sh)
#
# Steps the document does in prose are hooks below, named by a
# "<!-- transcript: before=HOOK -->" line before the block.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# 3.2.3, before "pgha validate": "the operator had added a local
# log_directory to postgresql.conf and made it on node1 only, and
# restart_after_crash = on had found its way into postgresql.auto.conf".
hook_validate_broken() {
	"$LAB" exec node1 sh -c "mkdir -p /run/pglog && chown postgres: /run/pglog &&
	    echo \"log_directory = '/run/pglog'\" >>$LAB_DATA/postgresql.conf &&
	    echo 'restart_after_crash = on' >>$LAB_DATA/postgresql.auto.conf"
}
# "After the two fixes (mkdir on node2, the line removed)".
hook_validate_fixed() {
	"$LAB" exec node2 sh -c "mkdir -p /run/pglog && chown postgres: /run/pglog" &&
	"$LAB" exec node1 sed -i '/^restart_after_crash = on$/d' \
	    "$LAB_DATA/postgresql.auto.conf"
}

# 5.4.1, after the server started by hand was stopped by hand: "pgha
# notices it has stopped within 500 ms" (a person types slower).
hook_byhand_gone() {
	wait_until 10 pg_offline node1
}

group_is() { [[ $(group_field node1 state) == "$1" ]]; }	# STATE (node1 asked)

# 6.1, before "pgha status": "a bad setting went into postgresql.auto.conf
# (on the shared disk) and the server then died" (5.4.2 left node2
# stopped: both nodes run again first, db1 on node1).
hook_failover_error() {
	pgha_on node1 node start node2 >/dev/null &&
	wait_until 30 node_is node1 node2 online &&
	wait_until 30 node_is node2 node2 online &&
	wait_online_on node1 node1 30 &&
	"$LAB" exec node1 sh -c \
	    "echo 'shared_buffers = nonsense' >>$LAB_DATA/postgresql.auto.conf" &&
	"$LAB" kill-postmaster node1 &&
	wait_until 60 group_is failed
}

# db1 online on node2, or its server back online on node1 with another
# postmaster than PID (a crashed one leaves its postmaster.pid).
moved_or_restarted() {
	online_on node2 ||
	{ online_on node1 && [[ $(postmaster_pid node1) != "$1" ]]; }
}
# db1 failed (pid: the postmaster's before a crash), or its server back
# online on node1 with another postmaster.
failed_or_restarted() {
	group_is failed ||
	{ online_on node1 && [[ $(postmaster_pid node1) != "$1" ]]; }
}

# "Failover policy", before the failover_threshold transcript: a fresh lab
# with the settings the section says the examples ran with, then "with two
# nodes, the second failover within 6 hours": the server on node1 killed
# until db1 fails over (restarts = 1: restarted in place first), db1
# moved back to node1 by name, and killed there until the second failover
# is refused.
hook_threshold_reached() {
	local i pid
	PGHA_LAB_FAILOVER_THRESHOLD=auto PGHA_LAB_FAILOVER_PERIOD=6h \
	    PGHA_LAB_FAILBACK=immediate \
	    PGHA_LAB_PG_EXTRA=$'restarts = 1\nrestart_period = 15m' lab_fresh
	wait_online_on node1 node1 60 || return
	for (( i = 0; i < 3; i++ )); do
		pid=$(postmaster_pid node1)
		"$LAB" kill-postmaster node1 || return
		wait_until 30 moved_or_restarted "$pid" || return
		online_on node2 && break
	done
	online_on node2 || return
	pgha_on node1 group move db1 --to node1 &&
	wait_online_on node1 node1 30 || return
	for (( i = 0; i < 3; i++ )); do
		pid=$(postmaster_pid node1)
		"$LAB" kill-postmaster node1 || return
		wait_until 30 failed_or_restarted "$pid" || return
		group_is failed && return
	done
	return 1
}

# "failback": db1 brought online again after the threshold (on node1,
# its first preferred owner).
hook_failback_ready() {
	pgha_on node1 group online db1 && wait_online_on node1 node1 30
}

# Called back by doc_transcripts.py: "exec NODE COMMAND", "hook NAME".
if [[ ${1:-} == exec || ${1:-} == hook ]]; then
	. "$here/scenario.sh"
	case $1 in
	exec)	"$LAB" exec "$2" env PATH="$PGHA_BUILD:/usr/sbin:/usr/bin:/sbin:/bin" \
		    sh -c "$3"
		exit ;;
	hook)	"hook_$2"; exit ;;
	esac
fi

update=()
[[ ${PGHA_DOC_UPDATE:-0} == 1 ]] && update=(--update)
args=()
for a in "$@"; do
	if [[ $a == --update ]]; then update=(--update); else args+=("$a"); fi
done
if [[ ${#args[@]} -gt 0 ]]; then
	PGHA_BUILD=$(cd "${args[0]}" && pwd)
	export PGHA_BUILD
fi
. "$here/scenario.sh"
trap on_fail_dump EXIT

# What the document starts from: the cluster file of 3.2.2 (db1 with
# autostart = no and a backup_dir), an empty shared disk.
PGHA_LAB_NO_DB=1 PGHA_LAB_AUTOSTART=no PGHA_LAB_IP_EXTRA="requires = db1-disk" \
    PGHA_LAB_PG_EXTRA="backup_dir = /srv/db1/backup" lab_fresh

docs=("$root/docs/operations.md")
for doc in "${docs[@]}"; do
	echo "# $doc"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < <(python3 "$here/doc_transcripts.py" "${update[@]}" "$doc" \
	    "$here/t_doc_transcripts.sh")
done
trap - EXIT
done_testing
