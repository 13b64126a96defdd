#!/bin/bash
# With --json, every request the running cluster refuses prints one JSON
# error object on stdout ({"ok": false, "error": CODE, "message": ...})
# with the exit status pgha(8) lists for CODE, and the same message on
# stderr; without --json, nothing on stdout.  The refusal changes
# nothing.  `pgha status --json` says the daemon's version, the one
# `pghad --version` says.  Bash completion offers the running cluster's
# groups, resources and nodes.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

TOP=$(cd "$LAB_TESTS_DIR/../.." && pwd)

lab_fresh
check "db1 online on node1" online_on node1

# refused NAME RC CODE WORD CMD...: CMD (a pgha --json command line) exits
# RC with one object on stdout whose error is CODE and whose message
# names WORD, and says that message on stderr too.
refused() {
	local name=$1 want_rc=$2 code=$3 word=$4 rc msg
	shift 4
	"$@" >"$OUT_DIR/je.out" 2>"$OUT_DIR/je.err"
	rc=$?
	sed 's/^/#   stdout: /' "$OUT_DIR/je.out"
	is "$rc" "$want_rc" "$name: exit $want_rc"
	is "$(jq -s length <"$OUT_DIR/je.out" 2>/dev/null)" 1 \
	    "$name: one JSON object on stdout"
	is "$(jq -r '"\(.ok) \(.error)"' <"$OUT_DIR/je.out" 2>/dev/null)" \
	    "false $code" "$name: ok false, error $code"
	msg=$(jq -r .message <"$OUT_DIR/je.out" 2>/dev/null)
	check "$name: the message names $word" grep -qF -- "$word" <<<"$msg"
	check "$name: the same message on stderr" \
	    grep -qxF -- "pgha: $msg" "$OUT_DIR/je.err"
}

P=$PGHA_BUILD/pgha
refused "move to an unknown node" 4 unknown-node node9 \
    "$LAB" exec node1 "$P" --json group move db1 --to node9
refused "move of an unknown group" 4 unknown-group nosuch \
    "$LAB" exec node1 "$P" group move nosuch --json --no-wait
refused "unknown resource" 4 unknown-resource nosuch \
    "$LAB" exec node1 "$P" --json resource offline nosuch
refused "non-root move" 3 permission-denied "ermission" \
    "$LAB" exec node1 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$P" --json group move db1 --to node2
refused "usage error, --json after it" 2 bad-request "--frob" \
    "$LAB" exec node1 "$P" group move db1 --frob --json
refused "another socket" 7 unreachable "/run/nosuch.sock" \
    "$LAB" exec node1 "$P" -s /run/nosuch.sock --json status

"$LAB" exec node1 "$P" group move db1 --to node9 >"$OUT_DIR/je.out" \
    2>"$OUT_DIR/je.err"
is "$?" 4 "without --json: the same exit"
check "without --json: nothing on stdout" not test -s "$OUT_DIR/je.out"
check "without --json: the message on stderr" grep -q node9 "$OUT_DIR/je.err"
check "db1 still online on node1, nothing moved" online_on node1

want=$("$PGHA_BUILD/pghad" --version)
is "pghad $(pgha_on node1 --json status | jq -r .version)" "$want" \
    "status --json says the version pghad --version says"

# complete WORD...: what bash completion offers for the last WORD, sorted,
# asked inside node1 as an operator's shell would
complete_on() {
	"$LAB" exec node1 bash -c '
	    . "$1/contrib/bash-completion/pgha"
	    shift
	    COMP_WORDS=("$@")
	    COMP_CWORD=$(( $# - 1 ))
	    _pgha
	    printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ "$TOP" "$P" "$@"
}
names() {	# names KIND: the names of KIND in the lab's cluster file
	sed -n "s/^\[$1 \(.*\)\]/\1/p" "$LAB_DIR/pgha.conf" | sort | xargs
}
is "$(complete_on group move "")" "$(names group)" \
    "completion: groups of the running cluster"
is "$(complete_on group move db1 --to "")" "$(names node)" \
    "completion: nodes of the running cluster"
is "$(complete_on resource offline "")" "$(names resource)" \
    "completion: resources of the running cluster"
is "$(complete_on resource online db1-p)" "db1-pg" \
    "completion: a resource from its start"
check "the cluster file has groups, nodes and resources to offer" \
    test -n "$(names group)" -a -n "$(names node)" -a -n "$(names resource)"
done_testing
