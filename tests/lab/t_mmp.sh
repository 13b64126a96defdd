#!/bin/bash
# One writer on the shared disk, enforced by the kernel (issue 13): the
# lab's disk carries ext4 multi-mount protection, so mounting it by hand on
# the standby while the group runs fails, and the file system stays clean.
#
# Separate hosts each reach the LUN through a device of their own; the lab's
# nodes share one kernel, where a second mount of the same loop device would
# only share the live superblock.  So the standby's mount goes through a
# second loop device over the same image, as another host's would.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap 'cleanup_hand; on_fail_dump' EXIT

HAND_MP=/mnt/pgha-hand
L2=

cleanup_hand() {
	[[ -n $L2 ]] || return 0
	"$LAB" exec node2 umount "$HAND_MP" 2>/dev/null
	losetup -d "$L2" 2>/dev/null
	L2=
}

has_mmp() {	# has_mmp DEV: the file system has the mmp feature
	dumpe2fs -h "$1" 2>/dev/null | grep -Eq '^Filesystem features:.* mmp( |$)'
}

# klog_count REGEX: kernel log lines that match.
klog_count() { dmesg | grep -c "$1"; }
REFUSED='Device is already active on another node'
answers() { client_sql "select 1" >/dev/null; }
fsck_clean() { e2fsck -fn "$1" >&2; }

lab_fresh
check "db1 online on node1" online_on node1
dev=$(cat "$LAB_DIR/loopdev")
check "the lab's shared disk has ext4 MMP ($dev)" has_mmp "$dev"
echo "# $(dumpe2fs -h "$dev" 2>/dev/null | grep -i 'mmp update interval')"

# The standby's own path to the disk.
L2=$(losetup -f --show "$LAB_DIR/shared.img")
check "a second device over the disk for node2 ($L2)" test -b "$L2"
klog0=$(klog_count "device ${L2#/dev/}).*$REFUSED")
t0=$(lab_ms)
out=$("$LAB" exec node2 sh -c \
    "mkdir -p $HAND_MP && mount -t ext4 $L2 $HAND_MP" 2>&1)
rc=$?
echo "# mount on node2: rc=$rc after $(( $(lab_ms) - t0 )) ms: $out"
check "mounting the disk by hand on node2 while db1 runs on node1 fails" \
    test "$rc" -ne 0
check "the kernel says why (dmesg: Device is already active on another node)" \
    test "$(klog_count "device ${L2#/dev/}).*$REFUSED")" -gt "$klog0"

# pgha's own disk agent does not wait 22 s as the kernel does: it watches
# the MMP block for two update intervals (src/agents/mmp.c).  The owner's
# block changes in that time: refused, naming the other host.
out=$("$LAB" exec node2 env OCF_RESKEY_device="$L2" \
    OCF_RESKEY_mountpoint="$HAND_MP" OCF_RESKEY_fstype=ext4 \
    PGHA_TIMEOUT_MS=20000 "$PGHA_BUILD/pgha-agent" disk start 2>&1)
rc=$?
echo "# pgha-agent disk start on node2: rc=$rc: $out"
check "the disk agent refuses to start it on node2 while node1 holds it" \
    test "$rc" -eq 1
# The block names the kernel's host name: the lab's nodes share one kernel,
# so it is the machine's, not "node1".
check "and says the disk is in use by another host, naming it" \
    grep -q "is in use by another host.*written by host \"$(uname -n)\"" \
    <<<"$out"
check "nothing mounted on node2" \
    bash -c "! '$LAB' exec node2 findmnt $HAND_MP >/dev/null"
cleanup_hand
check "db1 still online on node1" online_on node1
check "db1 still answers through the access point" answers
check "pgha group offline db1 succeeds" \
    pgha_on node1 group offline db1 --wait=60
check "no ext4 error on the disk after the run (e2fsck -fn)" fsck_clean "$dev"
check "pgha group online db1 succeeds" \
    pgha_on node1 group online db1 --wait=60
check "db1 online again" wait_online_on node1
done_testing
