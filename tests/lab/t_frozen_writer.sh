#!/bin/bash
# A node frozen while it writes to the shared disk, the group taken over,
# the node thawed: nothing it had pending reaches the disk afterwards, and
# the file system is clean (issue 13).  What stops it here is fencing (the
# frozen node is powered off before the disk is mounted elsewhere): MMP
# alone does not (docs/deploy.md), and in the lab the nodes share one
# kernel, whose mounts end with the node.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

FILE=/srv/db1/frozen-writer.log
powered_off() { ! lab_init_pid "$1" >/dev/null 2>&1; }
sum_on() { "$LAB" exec "$1" md5sum "$FILE" 2>/dev/null | cut -d' ' -f1; }
lines_on() { "$LAB" exec "$1" sh -c "wc -l <$FILE"; }
grows_on() {	# grows_on NODE N: the file has more than N lines
	(( $(lines_on "$1" 2>/dev/null || echo 0) > $2 ))
}
same_sum() { [[ $(sum_on node1) == "$1" ]]; }

lab_fresh --witness
check "db1 online on node1" online_on node1
check "pgha group move db1 --to node2 succeeds" \
    pgha_on node1 group move db1 --to node2 --wait=60
check "db1 online on node2" online_on node2
# A writer on node2 appending to a file on the shared disk, syncing each
# line, as a server would write its files.  Detached inside the node, so
# that no process outside it (nsenter) waits for it: a frozen one would
# keep the node's PID namespace from ending when it is powered off.
"$LAB" exec node2 sh -c "(while :; do date +%s%N >>$FILE; sync $FILE; done) \
    </dev/null >/dev/null 2>&1 &"
check "node2's writer writes to the shared disk" wait_until 10 grows_on node2 10
"$LAB" freeze node2 >/dev/null
check "node2 frozen: db1 online on node1" wait_online_on node1 node1 90
check "frozen node2 was fenced (powered off)" powered_off node2
s1=$(sum_on node1)
check "node1 reads the file the frozen writer wrote ($s1)" test -n "$s1"
"$LAB" thaw node2 >/dev/null 2>&1
check "after the thaw, the file does not change (5 s)" \
    holds_for 5 same_sum "${s1:-none}"
check "pgha group offline db1 succeeds" pgha_on node1 group offline db1 --wait=60
dev=$(cat "$LAB_DIR/loopdev")
check "no ext4 error on the disk (e2fsck -fn)" sh -c "e2fsck -fn $dev >&2"
done_testing
