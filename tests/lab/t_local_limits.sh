#!/bin/bash
# What one local user may cost pghad (issue 24), each limit as the user
# meets it: 4 followers a user; 4 merged events queries in flight a user,
# those whose client left included, and 10 at once then 2 a second, root
# not limited; a query whose
# client left before pghad read it is asked of nobody (no member builds
# or multicasts a reply); unread output capped at 8 MiB a connection and
# 16 MiB a user, pghad's memory with it, other users still served; a
# client that shuts its write side once the request is out is answered.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
STOP=$OUT_DIR/limits.stop
export PGHA_LAB_PGHAD_DEBUG=1	# section 3 counts debug lines
rm -f "$STOP" "$STOP".* "$OUT_DIR"/limits-*.out
trap 'touch "$STOP" "$STOP.b" "$STOP.d" "$STOP.a"; resume_all; on_fail_dump' \
    EXIT

PY=/usr/bin/python3
LU=$LAB_TESTS_DIR/localuser.py
SOCK=/run/pgha/pgha.sock

as_uid() {	# as_uid NODE UID CMD...: CMD as UID:UID holding no groups
	local node=$1 u=$2
	shift 2
	"$LAB" exec "$node" setpriv --reuid="$u" --regid="$u" --clear-groups \
	    "$@"
}
nobody() { local n=$1; shift; as_uid "$n" 65534 "$@"; }
show() { sed 's/^/#   /' "$@"; }
pid_of() { cat "$LAB_DIR/$1/pghad.pid"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(pid_of "$1")/status"; }
resume_all() {
	local n
	for n in node1 node2; do
		kill -CONT "$(pid_of $n)" 2>/dev/null
	done
}
count() { grep -c -- "$1" "$2"; }	# count REGEX FILE
count_is() { test "$(count "$2" "$3")" -eq "$1"; }	# N REGEX FILE
log_from() {	# log_from NODE LINE: NODE's pghad log from LINE on
	tail -n +"$2" "$LAB_DIR/$1/pghad.log"
}
log_lines() { wc -l <"$LAB_DIR/$1/pghad.log"; }

lab_fresh
check "db1 online on node1" wait_online_on node1 node2

# 1. Followers: 4 a user.  The 5th is told why; another user and root
# still follow.
nobody node1 "$PY" "$LU" follow "$SOCK" 5 "$STOP.d" \
    >"$OUT_DIR/limits-follow.out" 2>&1 &
as_uid node1 60001 "$PY" "$LU" follow "$SOCK" 1 "$STOP.d" \
    >"$OUT_DIR/limits-follow60001.out" 2>&1 &
check "nobody sent 5 follow requests" \
    wait_until 30 grep -q '^open 5$' "$OUT_DIR/limits-follow.out"
check "nobody's 5th follower is told: at most 4 followers of one user" \
    wait_until 30 grep -q \
    '"error":"busy".*at most 4 followers of one user (uid 65534)' \
    "$OUT_DIR/limits-follow.out"
check "nobody's other 4 follow (get the history)" wait_until 30 \
    count_is 4 '^reply {"ok":true' "$OUT_DIR/limits-follow.out"
show "$OUT_DIR/limits-follow.out"
check "uid 60001 follows meanwhile" wait_until 30 grep -q \
    '^reply {"ok":true' "$OUT_DIR/limits-follow60001.out"
out=$("$LAB" exec node1 timeout 5 "$PGHA_BUILD/pgha" --json events \
    --follow 2>&1 | head -c 200)
check "root follows meanwhile" grep -q . <<<"$out"
touch "$STOP.d"
wait

# 2. Merged events queries: 4 in flight a user.  node2's pghad stopped,
# a query waits for it (5 s, then answers without it).
kill -STOP "$(pid_of node2)"
nobody node1 "$PY" "$LU" send "$SOCK" 5 "$STOP.b" \
    '{"cmd":"events","limit":1}' >"$OUT_DIR/limits-queries.out" 2>&1 &
"$LAB" exec node1 "$PY" "$LU" send "$SOCK" 5 "$STOP.b" \
    '{"cmd":"events","limit":1}' >"$OUT_DIR/limits-rootq.out" 2>&1 &
check "nobody's 5th query is told: at most 4 in flight" wait_until 30 grep -q \
    '"error":"busy".*at most 4 events queries in flight of one user' \
    "$OUT_DIR/limits-queries.out"
check "nobody's 4 others are answered (without node2)" wait_until 30 \
    count_is 4 '^reply {"ok":true' "$OUT_DIR/limits-queries.out"
check "root's 5 queries are all answered" wait_until 30 \
    count_is 5 '^reply {"ok":true' "$OUT_DIR/limits-rootq.out"
check "none of root's is refused" not grep -q busy "$OUT_DIR/limits-rootq.out"
show "$OUT_DIR/limits-queries.out"
kill -CONT "$(pid_of node2)"
touch "$STOP.b"
wait

# 3. Queries sent by clients that left at once (node1's pghad stopped,
# so that they are gone when it reads them): no member answers them.
# Root's query first: answered by node2 after every earlier one (total
# order), so that those are in node2's log before the count starts.
pgha_on node1 events --limit 1 >/dev/null 2>&1
from2=$(( $(log_lines node2) + 1 ))
from1=$(( $(log_lines node1) + 1 ))
kill -STOP "$(pid_of node1)"
out=$(nobody node1 "$PY" "$LU" leave "$SOCK" 20 '{"cmd":"events"}' 2>&1)
echo "# $out"
kill -CONT "$(pid_of node1)"
is "$out" "left 20" "nobody sent 20 events queries and left"
for i in 1 2; do
	pgha_on node1 events --limit 1 >/dev/null 2>&1
	is "$?" 0 "root's pgha events afterwards ($i): exit 0"
done
n1=$(log_from node1 "$from1" | count 'not asked: its client left' -)
n2=$(log_from node2 "$from2" | count 'events query [0-9]* of node [0-9]*: answering' -)
echo "# node1 did not ask $n1 of them; node2 answered $n2 queries"
is "$n1" 20 "node1 asked nobody for the 20 queries whose clients left"
is "$n2" 2 "node2 answered only root's 2 queries"

# 4. Merged events queries one after the other: 10 at once, then 2 a
# second, for a user; root is not limited.
as_uid node1 60002 "$PY" "$LU" seq "$SOCK" 40 '{"cmd":"events","limit":1}' \
    >"$OUT_DIR/limits-seq.out" 2>&1
"$LAB" exec node1 "$PY" "$LU" seq "$SOCK" 40 '{"cmd":"events","limit":1}' \
    >"$OUT_DIR/limits-seqroot.out" 2>&1
ok_n=$(count '^reply {"ok":true' "$OUT_DIR/limits-seq.out")
busy_n=$(count 'at most 10 events queries at once, then 2 a second' \
    "$OUT_DIR/limits-seq.out")
echo "# uid 60002: $ok_n of 40 answered, $busy_n told to slow down"
check "uid 60002's first 10 queries are answered" \
    test "$(head -10 "$OUT_DIR/limits-seq.out" | count '^reply {"ok":true' -)" \
    -eq 10
check "then it is told: 10 at once, then 2 a second" test "$busy_n" -ge 1
check "root's 40 are all answered" \
    count_is 40 '^reply {"ok":true' "$OUT_DIR/limits-seqroot.out"

# 5. A client that shuts its write side once the request is out (nc -N,
# socat) gets its answer.
out=$(nobody node1 "$PY" "$LU" ask "$SOCK" '{"cmd":"events"}\n' 2>&1)
show <<<"$out"
check "events, write side shut: the merged answer" \
    grep -q '^first {"ok":true.*"events"' <<<"$out"
out=$(nobody node1 "$PY" "$LU" ask "$SOCK" '{"cmd":"status"}' 2>&1)
check "status with no newline, write side shut: the answer" \
    grep -q '^first {.*"nodes"' <<<"$out"
out=$(nobody node1 sh -c "printf '%s\n' '{\"cmd\":\"events\"}' |
    socat -t 30 - UNIX-CONNECT:$SOCK" 2>&1 | head -c 200)
check "socat gets the answer to events" grep -q '^{"ok":true' <<<"$out"

# 6. Unread output.  node1's event log gets 20,000 long events, so that
# its whole log (events --local) is over 8 MiB.
"$LAB" kill-pghad node1 >/dev/null
f=$LAB_DIR/node1/var-lib-pgha/events.jsonl
line=$(tail -1 "$f")
pad=$(printf '%0400d' 0)
for (( i = 0; i < 20000; i++ )); do
	echo "${line/\"cause\":\"/\"cause\":\"seeded $i $pad: }"
done >>"$f"
"$LAB" start-pghad node1 >/dev/null
check "node1's pghad back" wait_until 60 node_is node2 node1 online
all=$("$LAB" exec node1 "$PY" "$LU" ask "$SOCK" \
    '{"cmd":"events","local":true}\n' 2>&1)
bytes=$(awk '/^bytes/ { print $2 }' <<<"$all")
echo "# root's events --local: $bytes bytes"
check "root gets node1's whole log (over 8 MiB)" \
    test "${bytes:-0}" -gt $(( 8 << 20 ))
out=$(nobody node1 "$PY" "$LU" ask "$SOCK" \
    '{"cmd":"events","local":true}\n' 2>&1)
show <<<"$out"
check "nobody is told the reply exceeds 8 MiB a connection" grep -q \
    '"error":"too-large".*8 MiB a connection' <<<"$out"
# 16 connections of nobody, each asking for about 6 MiB, reading nothing.
limit=$(( 20000 * 6000000 / bytes ))
rss0=$(rss_kb node1)
nobody node1 "$PY" "$LU" noread "$SOCK" 16 "$STOP.a" \
    "{\"cmd\":\"events\",\"local\":true,\"limit\":$limit}" \
    >"$OUT_DIR/limits-noread.out" 2>&1 &
check "nobody's 16 requests are answered (nothing read)" wait_until 30 \
    grep -q '^answered 16$' "$OUT_DIR/limits-noread.out"
rss1=$(rss_kb node1)
out=$(as_uid node1 60001 "$PGHA_BUILD/pgha" events --limit 5 2>&1); rc=$?
is "$rc" 0 "uid 60001's pgha events meanwhile: exit 0"
out=$(as_uid node1 60001 "$PGHA_BUILD/pgha" status 2>&1); rc=$?
is "$rc" 0 "uid 60001's pgha status meanwhile: exit 0"
touch "$STOP.a"
wait
show "$OUT_DIR/limits-noread.out"
ok_n=$(count '^first {"ok":true' "$OUT_DIR/limits-noread.out")
big_n=$(count '"too-large".*16 MiB a user' "$OUT_DIR/limits-noread.out")
echo "# figures: answered=$ok_n refused=$big_n rss_kb_before=$rss0" \
    "rss_kb_holding=$rss1 (16 replies of ~6 MiB asked)"
check "some of nobody's replies were queued" test "$ok_n" -ge 1
check "the others are told: over 16 MiB a user" test "$big_n" -ge 1
check "pghad grew by less than 40 MiB" \
    test $(( rss1 - rss0 )) -lt $(( 40 * 1024 ))
done_testing
