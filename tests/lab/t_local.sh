#!/bin/bash
# Local users against the control socket (issues 13 and 24): a user who
# takes the old abstract name first, or listens on a socket of their own,
# neither stops pghad nor receives root's requests; the admin group is the
# one the caller's process holds; users holding hundreds of idle
# connections do not lock root out, and their connections time out.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
STOP=$OUT_DIR/local.stop
rm -f "$STOP" "$STOP.hold" "$OUT_DIR"/local-*.out
trap 'touch "$STOP" "$STOP.hold"; on_fail_dump' EXIT

PY=/usr/bin/python3
LU=$LAB_TESTS_DIR/localuser.py
SOCK=${PGHA_T_SOCKET:-/run/pgha/pgha.sock}
SSL_GID=$(getent group ssl-cert | cut -d: -f3)

# as_user NODE USER GROUP GROUPS CMD...: CMD as USER:GROUP holding exactly
# the supplementary GROUPS (comma list; empty: none).
as_user() {
	local node=$1 u=$2 g=$3 gs=$4
	shift 4
	if [[ -z $gs ]]; then
		set -- --clear-groups "$@"
	else
		set -- --groups="$gs" "$@"
	fi
	"$LAB" exec "$node" setpriv --reuid="$u" --regid="$g" "$@"
}
nobody() { local n=$1; shift; as_user "$n" 65534 65534 "" "$@"; }
show() { sed 's/^/#   /' <<<"$1"; }
json_has() { jq -e "$1" <<<"$2" >/dev/null; }	# json_has FILTER JSON

PGHA_LAB_CLUSTER_EXTRA="admin_group = ssl-cert" lab_fresh
check "db1 online on node1" online_on node1

# 1. nobody takes the old default name before pghad starts.
"$LAB" kill-pghad node2 >/dev/null
check "node1 sees node2's pghad gone" wait_until 30 node_is node1 node2 offline
nobody node2 "$PY" "$LU" squat @pgha.ctl "$STOP" \
    >"$OUT_DIR/local-squat.out" 2>&1 &
check "nobody listens on @pgha.ctl in node2" \
    wait_until 20 grep -q '^listening' "$OUT_DIR/local-squat.out"
"$LAB" start-pghad node2 >/dev/null
check "node2's pghad starts and joins all the same" \
    wait_until 60 node_is node1 node2 online
out=$(pgha_on node2 status --json 2>&1); rc=$?
is "$rc" 0 "root's pgha status on node2: exit 0"
check "and the answer is pghad's (2 nodes online)" json_has \
    '[.nodes[] | select(.state == "online")] | length == 2' "$out"
out=$(pgha_on node2 -s @pgha.ctl node confirm-down node1 2>&1); rc=$?
show "$out"
is "$rc" 2 "root's pgha -s @pgha.ctl node confirm-down: exit 2"
check "the refusal names abstract sockets" grep -qi abstract <<<"$out"

# 2. A listener that is not root, at a path in a root-only directory.
nobody node1 "$PY" "$LU" squat /tmp/nobody.sock "$STOP" \
    >"$OUT_DIR/local-squat2.out" 2>&1 &
check "nobody listens on /tmp/nobody.sock in node1" \
    wait_until 20 grep -q '^listening' "$OUT_DIR/local-squat2.out"
"$LAB" exec node1 sh -c 'mkdir -m 755 /tmp/rootdir &&
    mv /tmp/nobody.sock /tmp/rootdir/pgha.sock'
out=$(pgha_on node1 -s /tmp/rootdir/pgha.sock node confirm-down node2 2>&1)
rc=$?
show "$out"
is "$rc" 7 "root's request to a listener run by nobody: exit 7"
check "the refusal names the listener's uid" grep -q "uid 65534" <<<"$out"
out=$(pgha_on node1 -s /tmp/pgha.sock status 2>&1); rc=$?
show "$out"
is "$rc" 7 "a socket in /tmp (others may write there): exit 7"
check "the refusal names the directory" grep -q "/tmp" <<<"$out"
check "neither listener received a request" not grep -q '^got' \
    "$OUT_DIR/local-squat.out" "$OUT_DIR/local-squat2.out"

# 3. admin_group = ssl-cert: what counts is the groups the process holds.
out=$(as_user node1 postgres postgres "" "$PGHA_BUILD/pgha" group move db1 \
    2>&1); rc=$?
show "$out"
is "$rc" 3 "postgres (ssl-cert in /etc/group, not in its process): exit 3"
check "db1 stays on node1" online_on node1
out=$(as_user node1 65534 65534 "$SSL_GID" "$PGHA_BUILD/pgha" group move \
    db1 2>&1); rc=$?
show "$out"
is "$rc" 0 "nobody holding group ssl-cert moves db1: exit 0"
check "db1 online on node2" wait_until 60 online_on node2 node1

# 4. 200 idle connections from nobody, 20 from each of 16 other users:
# more than all users but root may hold together.
USERS=$(seq 60001 60016)
holders=()
nobody node1 "$PY" "$LU" hold "$SOCK" 200 "$STOP.hold" \
    >"$OUT_DIR/local-hold.out" 2>&1 &
holders+=($!)
for u in $USERS; do
	as_user node1 "$u" "$u" "" "$PY" "$LU" hold "$SOCK" 20 "$STOP.hold" \
	    >"$OUT_DIR/local-hold-$u.out" 2>&1 &
	holders+=($!)
done
check "nobody opened 200 connections" \
    wait_until 60 grep -q '^open 200$' "$OUT_DIR/local-hold.out"
for u in $USERS; do
	check "uid $u opened 20 connections" \
	    wait_until 60 grep -q '^open 20$' "$OUT_DIR/local-hold-$u.out"
done
out=$(pgha_on node1 group move db1 2>&1); rc=$?
show "$out"
is "$rc" 0 "root's group move meanwhile: exit 0"
check "pghad said why it refused connections" grep -q \
    "refusing connections of uid .*: at most" "$LAB_DIR/node1/pghad.log"
check "db1 online on node1" wait_until 60 online_on node1
check "pghad closed all 200 of nobody's idle connections" \
    wait_until 60 grep -q '^closed 200$' "$OUT_DIR/local-hold.out"
touch "$STOP.hold"
wait "${holders[@]}"
out=$(nobody node1 "$PGHA_BUILD/pgha" status 2>&1); rc=$?
is "$rc" 0 "nobody's pgha status afterwards: exit 0"
out=$(nobody node1 "$PGHA_BUILD/pgha" events --limit 5 2>&1); rc=$?
is "$rc" 0 "nobody's pgha events (merged from both nodes): exit 0"

# 5. nobody asks to follow the events 70 times; root still follows.
nobody node1 "$PY" "$LU" follow "$SOCK" 70 "$STOP" \
    >"$OUT_DIR/local-follow.out" 2>&1 &
check "nobody sent 70 follow requests" \
    wait_until 60 grep -q '^open 70$' "$OUT_DIR/local-follow.out"
check "those over the cap are told pghad is busy" wait_until 30 \
    grep -q '"error":"busy".*followers of one user' "$OUT_DIR/local-follow.out"
"$LAB" exec node1 sh -c 'echo $$ >/tmp/rootfollow.pid; exec "$0" "$@"' \
    "$PGHA_BUILD/pgha" --json events --follow \
    >"$OUT_DIR/local-rootfollow.out" 2>&1 &
check "root's follower gets the history" \
    wait_until 30 test -s "$OUT_DIR/local-rootfollow.out"
size=$(stat -c %s "$OUT_DIR/local-rootfollow.out")
out=$(pgha_on node1 group offline db1 2>&1); rc=$?
show "$out"
is "$rc" 0 "root takes db1 offline meanwhile: exit 0"
check "root's follower sees its events" wait_until 30 \
    test "$(stat -c %s "$OUT_DIR/local-rootfollow.out")" -gt "$size"
pgha_on node1 group online db1 >/dev/null 2>&1
check "db1 online on node1 again" wait_until 60 online_on node1

touch "$STOP"
"$LAB" exec node1 sh -c 'kill "$(cat /tmp/rootfollow.pid)"'
wait
done_testing
