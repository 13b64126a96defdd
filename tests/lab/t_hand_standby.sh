#!/bin/bash
# The group's disk mounted by hand on a node that does not own the group
# (issue 13): the event log says so and pgha status shows it, on every
# node.  (With ext4 MMP, t_mmp.sh, a separate host's mount fails anyway;
# the lab's nodes share one kernel and one loop device, where the same
# device mounts again on the standby, as a disk without MMP would.)
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap 'hand_umount; on_fail_dump' EXIT

HANDED=0
hand_umount() {
	(( HANDED )) || return 0
	"$LAB" exec node2 umount /srv/db1 2>/dev/null
	HANDED=0
}

also_by_hand() {	# also_by_hand ASKER: db1-disk's also_by_hand list
	status_q "$1" '.groups[] | select(.name == "db1") | .resources[] |
	    select(.name == "db1-disk") | .also_by_hand | join(" ")'
}
shown_on_node2() { [[ $(also_by_hand "$1") == node2 ]]; }
shown_nowhere() { [[ $(also_by_hand "$1") == "" ]]; }
# show_match CMD... | REGEX: the lines of CMD's output that match, as TAP
# comments; false when none does.
show_match() {
	local re=$1 out
	shift
	out=$("$@" 2>/dev/null | grep -E "$re") || return 1
	sed 's/^/#   /' <<<"$out"
}
text_shows() {
	show_match 'db1-disk .*node1 \+node2 by hand' pgha_on "$1" status
}
events_say() {
	show_match 'node2 +resource +db1-disk .*does not own the group' \
	    pgha_on "$1" events --group db1
}

lab_fresh
check "db1 online on node1" online_on node1
dev=$(cat "$LAB_DIR/loopdev")
check "an operator mounts db1's disk by hand on node2" \
    "$LAB" exec node2 sh -c "mkdir -p /srv/db1 && mount -t ext4 $dev /srv/db1"
HANDED=1
check "pgha status --json on node1 shows it mounted by hand on node2" \
    wait_until 30 shown_on_node2 node1
check "and on node2" wait_until 10 shown_on_node2 node2
check "pgha status (text) shows 'node1 +node2 by hand'" text_shows node1
check "the event log says it runs on a node that does not own the group" \
    wait_until 10 events_say node1
check "db1 stays online on node1 (group state online, not moving)" \
    online_on node1
hand_umount
check "unmounted by hand again: status shows it no more" \
    wait_until 30 shown_nowhere node1
check "db1 still online on node1" online_on node1
done_testing
