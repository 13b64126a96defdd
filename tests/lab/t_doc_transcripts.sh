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
