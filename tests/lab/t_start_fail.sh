#!/bin/bash
# A server that cannot start: tried on each node in turn, then the group is
# failed and the event log says why; once fixed, `group online` brings it
# back.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

conf_edit() {	# conf_edit SED-EXPR: edit postgresql.conf with db1 offline
	local dev
	dev=$(cat "$LAB_DIR/loopdev")
	"$LAB" exec node1 sh -c "mount -t ext4 $dev /srv/db1 &&
	    sed -i '$1' /srv/db1/data/postgresql.conf; rc=\$?; umount /srv/db1; exit \$rc"
}

lab_fresh
check "db1 online on node1" online_on node1
check "pgha group offline db1" pgha_on node1 group offline db1 --wait=60
check "break postgresql.conf (by hand, db1 offline)" \
    conf_edit '$a shared_buffers = nonsense'
out=$(pgha_on node1 group online db1 --wait=60 2>&1); rc=$?
is "$rc" 1 "group online reports the failure (exit 1)"
echo "$out" | sed 's/^/# /'
check "the message carries the server's own words" \
    grep -q 'shared_buffers' <<<"$out"
check "db1 is failed" wait_until 30 sh -c \
    "$LAB exec node2 $PGHA_BUILD/pgha status --json | jq -e '.groups[0].state == \"failed\"'"
reason=$(group_field node2 reason)
echo "# reason: $reason"
check "the reason says no node can run it" grep -q "no node can run it" <<<"$reason"
pgha_on node2 events --group db1 >"$OUT_DIR/startfail.events" 2>&1
check "events: start failed on node1" \
    grep -Eq "node1 +resource db1-pg +starting -> failed +start failed" \
    "$OUT_DIR/startfail.events"
check "events: then start failed on node2" \
    grep -Eq "node2 +resource db1-pg +starting -> failed +start failed" \
    "$OUT_DIR/startfail.events"
check "nothing of db1 left running anywhere" holds_none node1 node2

check "repair postgresql.conf" conf_edit '/shared_buffers = nonsense/d'
check "pgha group online db1 brings it back" \
    pgha_on node2 group online db1 --wait=60
check "db1 online on node1 (preferred owner again)" online_on node1
sampler_start
writer_start startfail
check "a client writes through the access point" writer_wait_more 20 30
assert_client_and_invariants startfail
done_testing
