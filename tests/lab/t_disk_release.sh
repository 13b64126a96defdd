#!/bin/bash
# The shared disk is really released (issue 24): a local user of the owner
# keeps a copy of the mount in a mount namespace of their own (unshare
# -Urm, open to anyone); a move must end it before the other node mounts,
# so the file system is never live in two nodes.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap 'fs_sampler_stop >/dev/null 2>&1; on_fail_dump' EXIT

# The disk's major:minor, as mountinfo's third field shows it.
disk_majmin() {
	local dev
	dev=$(cat "$LAB_DIR/loopdev") || return 1
	printf '%d:%d' "0x$(stat -L -c %t "$dev")" "0x$(stat -L -c %T "$dev")"
}

# Some process of NODE has a mount of the disk in its mount namespace,
# whichever namespace that is (one mountinfo read per namespace).
node_holds_disk() {
	local p ns seen=" "
	for p in $(ip netns pids "$LAB_NAME-$1" 2>/dev/null); do
		ns=$(stat -L -c %i "/proc/$p/ns/mnt" 2>/dev/null) || continue
		[[ $seen == *" $ns "* ]] && continue
		seen+="$ns "
		awk -v d="$MAJMIN" '$3 == d { f = 1 } END { exit !f }' \
		    "/proc/$p/mountinfo" 2>/dev/null && return 0
	done
	return 1
}

# Host pid of nobody's `sleep` on NODE (the user namespace's holder).
holder_pid() {
	local p
	for p in $(ip netns pids "$LAB_NAME-$1" 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == sleep ]] || continue
		[[ $(stat -c %u "/proc/$p" 2>/dev/null) == 65534 ]] || continue
		echo "$p"
		return 0
	done
	return 1
}

holder_alive() { holder_pid "$1" >/dev/null; }

holder_holds() {
	local p
	p=$(holder_pid "$1") || return 1
	awk -v d="$MAJMIN" '$3 == d { f = 1 } END { exit !f }' \
	    "/proc/$p/mountinfo" 2>/dev/null
}

# Every 50 ms: on how many nodes is the disk's file system mounted?  A
# violation only when two nodes hold it in one pass and the next pass too
# (a hand-over between two reads is not a violation).
_fs_sampler_loop() {
	local samples=0 violations=0 prev=0 who n node
	trap 'echo "samples=$samples violations=$violations" >"$FS_SAMPLER_DIR/result"; exit 0' TERM
	while :; do
		who=
		for node in $(lab_nodes); do
			node_holds_disk "$node" && who+="$node "
		done
		n=$(wc -w <<<"$who")
		samples=$(( samples + 1 ))
		if (( n > 1 && prev > 1 )); then
			violations=$(( violations + 1 ))
			echo "$(lab_ms) disk mounted on: $who" >>"$FS_SAMPLER_DIR/log"
		fi
		prev=$n
		sleep 0.05
	done
}

fs_sampler_start() {
	FS_SAMPLER_DIR=$(mktemp -d /var/tmp/pgha-fs-sampler.XXXXXX)
	: >"$FS_SAMPLER_DIR/log"
	_fs_sampler_loop &
	FS_SAMPLER_PID=$!
}

fs_sampler_stop() {
	[[ -n ${FS_SAMPLER_PID:-} ]] || return 1
	kill -TERM "$FS_SAMPLER_PID"
	wait_until 30 test -e "$FS_SAMPLER_DIR/result"
	FS_SAMPLER_PID=
	cat "$FS_SAMPLER_DIR/result" "$FS_SAMPLER_DIR/log" | sed 's/^/# /' >&2
	sed 's/.*violations=//' "$FS_SAMPLER_DIR/result"
	rm -rf "$FS_SAMPLER_DIR"
}

lab_fresh
check "db1 online on node1" online_on node1
MAJMIN=$(disk_majmin)
check "the disk's device number is known ($MAJMIN)" test -n "$MAJMIN"
# As nobody, in node1: a user and mount namespace of its own, which copies
# node1's mounts, the shared disk's among them.
"$LAB" exec node1 setpriv --reuid=65534 --regid=65534 --clear-groups \
    unshare -Urm sleep 600 </dev/null >/dev/null 2>&1 &
check "nobody's own mount namespace on node1 holds the disk" \
    wait_until 20 holder_holds node1
fs_sampler_start
check "pgha group move db1 --to node2 succeeds" \
    pgha_on node1 group move db1 --to node2 --wait=60
check "db1 online on node2" online_on node2 node1
check "no mount namespace of node1 has the disk any more" \
    not node_holds_disk node1
check "the user namespace's holder was ended" not holder_alive node1
v=$(fs_sampler_stop)
is "$v" 0 "the file system was never mounted on two nodes at once"
check "pgha group move db1 --to node1 (back) succeeds" \
    pgha_on node2 group move db1 --to node1 --wait=60
check "db1 online on node1 again" online_on node1 node2
done_testing
