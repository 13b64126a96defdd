#!/bin/bash
# Nodes whose PID 1 is systemd (tests/lab/sysd/nodes.sh, systemd-nspawn):
# two boot; corosync, configured by hand and started with systemctl, is
# quorate on both; the shared loop disk takes ext4 on one node and shows
# the same file on the other; root reaches the other node over ssh; down
# leaves nothing behind, also after a node's nspawn was killed.  This is
# what `apt install ./pgha_*.deb` and `pgha cluster setup` need from a
# node.  It fails, never skips, where the machine cannot do it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
NODES=$here/sysd/nodes.sh
export PGHA_SYSD_NAME=${PGHA_SYSD_NAME:-pghs}
STATE=/var/tmp/pgha-sysd/$PGHA_SYSD_NAME

on() { "$NODES" exec "$@"; }		# on NODE CMD...
quiet() { "$@" >/dev/null; }

trap '"$NODES" down >/dev/null 2>&1' EXIT
dump_if_failed() {
	(( _tap_failed > 0 )) || return 0
	for n in node1 node2; do
		echo "# ---- $n: journal (tail)"
		on "$n" journalctl -b --no-pager -n 40 2>&1 | sed 's/^/# /'
	done
}

# ------------------------------------------------------------------ boot
if ! out=$("$NODES" up --nodes 2 2>&1); then
	not_ok "nodes.sh up: two nodes boot with systemd as PID 1"
	sed 's/^/# /' <<<"$out"
	done_testing
	exit 1
fi
ok "nodes.sh up: two nodes boot with systemd as PID 1"
sed 's/^/# /' <<<"$out"
for n in node1 node2; do
	is "$(on "$n" cat /proc/1/comm)" systemd "$n: PID 1 is systemd"
	s=$(on "$n" systemctl is-system-running)
	check "$n: systemctl is-system-running says running or degraded ($s)" \
	    test "$s" = running -o "$s" = degraded
	is "$(on "$n" hostname)" "$n" "$n: hostname $n"
done

# ------------------------------------------------------------------- ssh
is "$(on node1 ssh -o BatchMode=yes node2 hostname 2>&1)" node2 \
    "root on node1: ssh node2 hostname (key and host key in place)"

# -------------------------------------------------------------- corosync
conf='totem {
	version: 2
	cluster_name: pghs
	transport: knet
	crypto_cipher: aes256
	crypto_hash: sha256
	token: 1000
	token_coefficient: 0
}
nodelist {
	node {
		ring0_addr: 198.18.0.11
		name: node1
		nodeid: 1
	}
	node {
		ring0_addr: 198.18.0.12
		name: node2
		nodeid: 2
	}
}
quorum {
	provider: corosync_votequorum
	two_node: 1
}
logging {
	to_syslog: yes
	to_stderr: no
}'
check "node1: corosync-keygen" quiet on node1 corosync-keygen -l
check "node1: scp the authkey to node2" \
    on node1 scp -q -o BatchMode=yes /etc/corosync/authkey node2:/etc/corosync/authkey
for n in node1 node2; do
	on "$n" sh -c 'cat >/etc/corosync/corosync.conf' <<<"$conf"
done
for n in node1 node2; do
	check "$n: systemctl start corosync" on "$n" systemctl start corosync
done
quorate() {	# quorate NODE: two votes and quorate, as corosync says
	local q
	q=$(on "$1" corosync-quorumtool -s 2>&1)
	grep -Eq '^Quorate: +Yes' <<<"$q" && grep -Eq '^Total votes: +2$' <<<"$q"
}
for n in node1 node2; do
	check "$n: corosync-quorumtool: quorate with 2 votes" \
	    wait_until 60 quorate "$n"
	pid=$(on "$n" systemctl show -P MainPID corosync)
	is "$(on "$n" cat "/proc/$pid/comm" 2>&1)" corosync \
	    "$n: systemd's MainPID of corosync.service is corosync"
	# corosync locks its memory and runs SCHED_RR.  nspawn keeps
	# CAP_SYS_NICE but drops CAP_IPC_LOCK unless asked; with the cap
	# (root on a real host has it) the locked-memory limit, 8 MiB under
	# systemd here as on a real host, does not apply.  The facts, from
	# the kernel:
	capeff=$(on "$n" awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
	check "$n: corosync has CAP_IPC_LOCK" \
	    test $(( 0x${capeff:-0} >> 14 & 1 )) -eq 1
	check "$n: corosync runs SCHED_RR" \
	    grep -q SCHED_RR <<<"$(on "$n" chrt -p "$pid" 2>&1)"
done
on node1 corosync-quorumtool -s 2>&1 | sed 's/^/# /'

# ------------------------------------------------------------------ disk
dev=$(cat "$STATE/loopdev")
check "node1: mkfs.ext4 $dev" on node1 mkfs.ext4 -q -F "$dev"
check "node1: mount $dev /mnt" on node1 mount "$dev" /mnt
check "node1: write a file on it" \
    on node1 sh -c 'echo from-node1 >/mnt/f && sync'
check "node1: umount /mnt" on node1 umount /mnt
check "node2: mount $dev /mnt" on node2 mount "$dev" /mnt
is "$(on node2 cat /mnt/f 2>&1)" from-node1 "node2 reads node1's file"
is "$(on node2 findmnt -n -o FSTYPE /mnt)" ext4 "node2: /mnt is ext4"
check "node2: umount /mnt" on node2 umount /mnt

dump_if_failed

# ------------------------------------------------------------- clean-up
# A run killed half-way leaves nodes running, or (its nspawn killed) a
# dead node's cgroups, namespace and overlay; up starts afresh over both.
leftovers() {
	local r
	for r in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
		ls -d "$r/$PGHA_SYSD_NAME"-* 2>/dev/null
	done
	ip netns list | awk '{ print $1 }' | grep -E "^$PGHA_SYSD_NAME-"
	losetup -j "$STATE/shared.img" 2>/dev/null
	[[ -d $STATE ]] && echo "$STATE"
}
leader_pid() {	# leader_pid NODE: host pid of the node's systemd
	local npid
	npid=$(cat "$STATE/$1/nspawn.pid")
	cat "/proc/$npid/task/$npid/children"
}
old1=$(leader_pid node1)
kill -KILL "$(cat "$STATE/node2/nspawn.pid")"
check "nodes.sh up again over node1 running and node2's nspawn killed" \
    quiet "$NODES" up --nodes 2
check "node1's old systemd is gone" not test -d "/proc/$old1"
for n in node1 node2; do
	s=$(on "$n" systemctl is-system-running)
	check "$n booted again ($s)" test "$s" = running -o "$s" = degraded
done
check "nodes.sh down" "$NODES" down
is "$(leftovers)" "" "nothing left: no cgroup, namespace, loop device or state"

done_testing
