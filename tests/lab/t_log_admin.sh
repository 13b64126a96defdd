#!/bin/bash
# The server's own log lines, which a failed start carries into status
# and events, are shown to administrators only, and without control
# characters: status and events are readable by every local user of every
# node, and end up on terminals.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

SECRET=SECRET42

conf_edit() {	# conf_edit COMMAND: run it on db1's data with db1 offline
	local dev
	dev=$(cat "$LAB_DIR/loopdev")
	"$LAB" exec node1 sh -c "mount -t ext4 $dev /srv/db1 &&
	    cd /srv/db1/data && $1; rc=\$?; umount /srv/db1; exit \$rc"
}

as_nobody() {	# as_nobody NODE ARGS...: pgha as an ordinary local user
	local node=$1
	shift
	"$LAB" exec "$node" setpriv --reuid=65534 --regid=65534 \
	    --clear-groups "$PGHA_BUILD/pgha" "$@"
}

has_ctl() {	# has_ctl FILE: a control character besides newline and tab
	LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"
}

lab_fresh
check "db1 online on node1" online_on node1
check "pgha group offline db1" pgha_on node1 group offline db1 --wait=60
# A value the server repeats in its log, with an escape sequence in it.
printf "shared_buffers = '%s\033[2J\033]0;owned\007'\n" "$SECRET" \
    >"$LAB_DIR/bad-line"
check "break postgresql.conf (by hand, db1 offline)" \
    conf_edit "cat $LAB_DIR/bad-line >>postgresql.conf"
pgha_on node1 group online db1 --wait=60 >"$OUT_DIR/logadm.online" 2>&1
is "$?" 1 "group online reports the failure (exit 1)"
sed 's/^/# /' "$OUT_DIR/logadm.online" | cat -v
check "root (an administrator) sees the server's own words" \
    grep -q "$SECRET" "$OUT_DIR/logadm.online"
check "without their control characters" not has_ctl "$OUT_DIR/logadm.online"
check "db1 is failed" wait_until 30 sh -c \
    "$LAB exec node2 $PGHA_BUILD/pgha status --json | jq -e '.groups[0].state == \"failed\"'"

for node in node1 node2; do
	as_nobody "$node" events --group db1 >"$OUT_DIR/logadm.$node.events" 2>&1
	is "$?" 0 "$node: an ordinary user may read the events"
	check "$node: the ordinary user sees the failed start" grep -Eq \
	    "resource db1-pg +starting -> failed +start failed" \
	    "$OUT_DIR/logadm.$node.events"
	check "$node: but not the server's log lines in events" \
	    not grep -q "$SECRET" "$OUT_DIR/logadm.$node.events"
	check "$node: and is told they are withheld" \
	    grep -q "for administrators only" "$OUT_DIR/logadm.$node.events"
	as_nobody "$node" events --group db1 --json \
	    >"$OUT_DIR/logadm.$node.events.json" 2>&1
	check "$node: nor in events --json" \
	    not grep -q "$SECRET" "$OUT_DIR/logadm.$node.events.json"
	as_nobody "$node" status --json >"$OUT_DIR/logadm.$node.status.json" 2>&1
	check "$node: nor in status --json" \
	    not grep -q "$SECRET" "$OUT_DIR/logadm.$node.status.json"
	pgha_on "$node" events --group db1 >"$OUT_DIR/logadm.$node.root" 2>&1
	check "$node: root sees them in events" \
	    grep -q "$SECRET" "$OUT_DIR/logadm.$node.root"
	check "$node: without control characters" \
	    not has_ctl "$OUT_DIR/logadm.$node.root"
done
sed 's/^/# /' "$OUT_DIR/logadm.node2.events" | grep 'db1-pg' | cat -v

check "repair postgresql.conf" conf_edit "sed -i '/^shared_buffers = .$SECRET/d' postgresql.conf"
check "pgha group online db1 brings it back" \
    pgha_on node2 group online db1 --wait=60
done_testing
