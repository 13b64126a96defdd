#!/bin/bash
# nodes.sh - lab nodes whose PID 1 is systemd: systemd-nspawn containers
# booted from a cached Debian 12 root, on a bridge inside a lab-made
# network namespace (see tests/lab/README.md, "Nodes with systemd").
#
#	nodes.sh up [--nodes N] [--witness]	build the root once (cached),
#						boot nodes 1..N (default 2)
#	nodes.sh down				halt and remove all of it,
#						also what a killed run left
#	nodes.sh exec NODE CMD...		run CMD inside (node1, 2, witness)
#	nodes.sh root				build the root only; print it
#	nodes.sh status				one line per node
#	nodes.sh power on|off|status NODE	the power switch (below)
#
# The power switch: up starts socat on $STATE/power/power.sock (bound
# into every node at /var/tmp/pgha-power/power.sock), which runs
# `nodes.sh power-serve` per request, as tests/lab/lab's does: "off
# NODE" kills every process of the node at once (its systemd, nspawn,
# all) and removes its network namespace (its links and any address on
# them go with the power); "on NODE" boots it again from the same disk
# (the overlay's upper layer); "status NODE"; "list".  fence_pghalab,
# copied to /var/tmp/pgha-share/fence_pghalab in every node, talks to it
# with socket=/var/tmp/pgha-power/power.sock.
#
# Every name derives from $PGHA_SYSD_NAME (default pghs): namespaces
# NAME-sw, NAME-node1..N, NAME-witness; machines and host cgroups of the
# same names; state in /var/tmp/pgha-sysd/NAME/.  Roots are cached in
# /var/tmp/pgha-sysd/roots/HASH (HASH of the package list, the apt
# sources and this script's root recipe).  Root only.
#
# Why it is run this way (this host has no systemd as PID 1 and a hybrid
# cgroup tree): systemd-nspawn without --keep-unit asks systemd over D-Bus
# for a scope and fails with "Failed to open system bus"; with --keep-unit
# --register=no it puts itself and the container under its own cgroup, so
# each node is started from a cgroup of its own (NAME-nodeK in every
# hierarchy), which is also how down finds every process of a node.
set -euo pipefail

NAME=${PGHA_SYSD_NAME:-pghs}
[[ $NAME =~ ^[a-z][a-z0-9]{0,7}$ ]] ||
    { echo "nodes.sh: PGHA_SYSD_NAME must be 1-8 of [a-z0-9], a letter first" >&2; exit 2; }
TOP=/var/tmp/pgha-sysd
STATE=$TOP/$NAME
SW=$NAME-sw
NET=198.18.0
WITNESS_IP=$NET.3
SUITE=bookworm
SOURCES=${PGHA_SYSD_SOURCES:-/etc/apt/sources.list.d/debian.sources}
BOOT_TIMEOUT=${PGHA_SYSD_BOOT_TIMEOUT:-120}
SELF=$(readlink -f "$0")

# What a node needs to run pgha offline (the nodes reach no mirror): the
# service manager, corosync and its witness parts, PostgreSQL 15, the
# libraries pghad links, sshd for `pgha cluster setup`, OCF agents, man
# (systemd-analyze verify runs the units' Documentation= man: links),
# socat (fence_pghalab reaches the power switch with it).
# $PGHA_SYSD_EXTRA_PKGS adds more (space separated; a new root).
PKGS=(systemd systemd-sysv dbus iproute2 iputils-ping procps psmisc kmod
	util-linux mount e2fsprogs less
	corosync corosync-qdevice corosync-qnetd libnss3-tools
	postgresql-15 postgresql-client-15 libpq5 libjson-c5 libmnl0 libssl3
	openssh-server openssh-client resource-agents man-db socat)
# shellcheck disable=SC2206
PKGS+=(${PGHA_SYSD_EXTRA_PKGS:-})

die() { echo "nodes.sh: $*" >&2; exit 1; }
ms() { date +%s%3N; }
wait_for() {	# wait_for SECONDS WHAT CMD...
	local timeout=$1 what=$2 deadline
	shift 2
	deadline=$(( $(ms) + timeout * 1000 ))
	until "$@" >/dev/null 2>&1; do
		if (( $(ms) >= deadline )); then
			echo "nodes.sh: timed out after ${timeout}s: $what" >&2
			return 1
		fi
		sleep 0.05
	done
}
alive() {	# alive PID COMM: PID runs COMM and is no zombie
	local stat
	[[ -n $1 && $1 =~ ^[0-9]+$ ]] || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $stat == "$1 ($2) "* && $stat != "$1 ($2) Z"* ]]
}
not_alive() { ! alive "$@"; }

# ------------------------------------------------------------------ root

# The recipe's text is part of the hash: changing it makes a new root.
ROOT_RECIPE='v1 minbase; no main PostgreSQL cluster; corosync, qdevice,
qnetd disabled; no ssh host keys; no /etc/hostname'

root_hash() {
	{ printf '%s\n' "${PKGS[@]}" | sort; cat "$SOURCES";
	  echo "$SUITE $ROOT_RECIPE"; } | sha256sum | cut -c1-16
}

root_dir() { echo "$TOP/roots/$(root_hash)"; }

# Debian's mirror as apt on this host uses it; the snapshot-dated
# Release files need Check-Valid-Until off, as the host's apt has.
root_build() {
	local root tmp t0
	root=$(root_dir)
	[[ -e $root/.complete ]] && { echo "$root"; return 0; }
	command -v mmdebstrap >/dev/null ||
	    die "mmdebstrap missing: apt-get install mmdebstrap (scripts/setup-deps.sh)"
	mkdir -p "$TOP/roots"
	exec 7>"$TOP/roots/.lock"
	flock -w 1200 7 || die "another root build holds $TOP/roots/.lock"
	if [[ ! -e $root/.complete ]]; then
		tmp=$root.tmp
		rm -rf "$tmp" "$root"
		t0=$(ms)
		echo "nodes.sh: building $root (once)" >&2
		mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PKGS[*]}")" \
		    --aptopt='Acquire::Check-Valid-Until "false"' \
		    --customize-hook='chroot "$1" pg_dropcluster 15 main || true' \
		    --customize-hook='sed -i "s/^#\? *create_main_cluster.*/create_main_cluster = false/" "$1/etc/postgresql-common/createcluster.conf"' \
		    --customize-hook='chroot "$1" systemctl disable corosync corosync-qdevice corosync-qnetd' \
		    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_* "$1/etc/hostname"; : >"$1/etc/machine-id"' \
		    "$SUITE" "$tmp" "$SOURCES" >"$TOP/roots/build.log" 2>&1 ||
		    die "mmdebstrap failed (log: $TOP/roots/build.log)"
		echo "$(( $(ms) - t0 ))" >"$tmp/.build-ms"
		touch "$tmp/.complete"
		mv "$tmp" "$root"
	fi
	exec 7>&-
	echo "$root"
}

# --------------------------------------------------------------- cgroups

# The hierarchies where a node gets a cgroup of its own: on a hybrid
# host the named systemd one and the unified one, on a unified host the
# root.
cg_roots() {
	if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
		echo /sys/fs/cgroup
		return
	fi
	[[ -d /sys/fs/cgroup/systemd ]] && echo /sys/fs/cgroup/systemd
	[[ -d /sys/fs/cgroup/unified ]] && echo /sys/fs/cgroup/unified
	return 0
}

cg_pids() {	# cg_pids MACHINE: every pid in the machine's cgroups
	local r
	for r in $(cg_roots); do
		[[ -d $r/$1 ]] || continue
		find "$r/$1" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}
cg_empty() { [[ -z $(cg_pids "$1") ]]; }

cg_remove() {
	local r
	for r in $(cg_roots); do
		[[ -d $r/$1 ]] || continue
		find "$r/$1" -depth -type d -exec rmdir {} \;
	done
}

# ----------------------------------------------------------------- nodes

machines() {	# every machine of this set that has state or a cgroup
	local m r
	{
		for m in "$STATE"/*/; do
			[[ -e $m/machine ]] && cat "$m/machine"
		done
		for r in $(cg_roots); do
			for m in "$r/$NAME"-*; do
				[[ -d $m ]] && basename "$m"
			done
		done
	} 2>/dev/null | grep -xE "$NAME-(node[0-9]+|witness)" | sort -u
}

node_dir() { echo "$STATE/$1"; }		# node1, witness
machine_of() { echo "$NAME-$1"; }
node_ip() {
	case $1 in
	witness) echo "$WITNESS_IP" ;;
	node[0-9]*) echo "$NET.$(( 10 + ${1#node} ))" ;;
	*) die "no such node: $1 (node1..N or witness)" ;;
	esac
}

# The host pid of the node's PID 1 (systemd): nspawn's child.
leader_of() {
	local d npid kid
	d=$(node_dir "$1")
	npid=$(cat "$d/nspawn.pid" 2>/dev/null) || return 1
	alive "$npid" systemd-nspawn || return 1
	for kid in $(cat "/proc/$npid/task/$npid/children" 2>/dev/null); do
		alive "$kid" systemd && { echo "$kid"; return 0; }
	done
	return 1
}

# Run CMD in every namespace of the node, from the node's own cgroup (so
# that down finds what it leaves behind), with a clean environment.
node_exec() {
	local node=$1 leader r
	shift
	leader=$(leader_of "$node") || die "$node is not running (nodes.sh up)"
	for r in $(cg_roots); do
		mkdir -p "$r/$(machine_of "$node")/exec"
		echo $$ >"$r/$(machine_of "$node")/exec/cgroup.procs"
	done
	exec nsenter -t "$leader" -a -- env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

system_state() { "$SELF" exec "$1" systemctl is-system-running 2>/dev/null; }
booted() {
	local s
	s=$(system_state "$1") || true
	[[ $s == running || $s == degraded ]]
}

# Runs in a mount namespace of its own (nodes.sh up starts it so):
# overlay the cached root, write what differs per node, join the node's
# cgroups, become systemd-nspawn.
launch() {
	local node=$1 root=$2 d m r loop
	d=$(node_dir "$node")
	m=$(machine_of "$node")
	for r in $(cg_roots); do
		mkdir -p "$r/$m"
		echo $$ >"$r/$m/cgroup.procs"
	done
	mount -t overlay overlay \
	    -o "lowerdir=$root,upperdir=$d/upper,workdir=$d/work" "$d/merged"
	echo "$node" >"$d/merged/etc/hostname"
	cp "$STATE/hosts" "$d/merged/etc/hosts"
	ssh-keygen -q -A -f "$d/merged" 2>/dev/null
	install -d -m 700 "$d/merged/root/.ssh"
	install -m 600 "$STATE/ssh/id_ed25519" "$d/merged/root/.ssh/id_ed25519"
	install -m 644 "$STATE/ssh/id_ed25519.pub" "$d/merged/root/.ssh/id_ed25519.pub"
	install -m 600 "$STATE/ssh/id_ed25519.pub" "$d/merged/root/.ssh/authorized_keys"
	loop=$(cat "$STATE/loopdev")
	local args=(-D "$d/merged" --boot --register=no -M "$m"
		--hostname="$node" --uuid="$(uuid_of "$m")"
		--network-namespace-path="/run/netns/$m"
		--link-journal=no --resolv-conf=off --timezone=off
		--console=passive --capability=CAP_IPC_LOCK,CAP_NET_ADMIN
		--bind="$loop" --bind-ro="$STATE/share:/var/tmp/pgha-share"
		--bind="$STATE/power:/var/tmp/pgha-power")
	# With systemd as the host's PID 1, nspawn gets a scope from it
	# instead (not the case on the machine this was written on).
	[[ -d /run/systemd/system ]] || args+=(--keep-unit)
	exec systemd-nspawn "${args[@]}"
}

uuid_of() {	# a stable machine id per machine name
	local h
	h=$(printf '%s' "$1" | sha256sum | cut -c1-32)
	echo "${h:0:8}-${h:8:4}-4${h:13:3}-8${h:17:3}-${h:20:12}"
}

node_net_up() {
	local node=$1 m
	m=$(machine_of "$node")
	ip netns add "$m"
	ip -n "$SW" link add "sw-$node" type veth peer name eth0 netns "$m"
	ip -n "$SW" link set "sw-$node" master br0 up
	ip -n "$m" link set lo up
	ip -n "$m" addr add "$(node_ip "$node")/24" dev eth0
	ip -n "$m" link set eth0 up
}

node_start() {
	local node=$1 root=$2 d
	d=$(node_dir "$node")
	rm -rf "$d"
	mkdir -p "$d/upper" "$d/work" "$d/merged"
	machine_of "$node" >"$d/machine"
	echo "$root" >"$d/root"
	node_boot "$node" "$root"
}

# Boot a node over the disk (overlay upper layer) it has.
node_boot() {
	local node=$1 root=$2 d
	d=$(node_dir "$node")
	node_net_up "$node"
	# setsid: a ^C at the caller's terminal does not reach the nodes;
	# unshare -m: the overlay lives and dies with the node.
	setsid unshare -m --propagation private \
	    "$SELF" _launch "$node" "$root" </dev/null >"$d/nspawn.log" 2>&1 &
	echo $! >"$d/nspawn.pid"
}

# Halt a node: SIGTERM makes nspawn ask the container's systemd to power
# off; then KILL whatever is left in its cgroups.
node_stop() {
	local m=$1 node d npid pid
	node=${m#"$NAME"-}
	d=$(node_dir "$node")
	npid=$(cat "$d/nspawn.pid" 2>/dev/null || true)
	if alive "$npid" systemd-nspawn; then
		kill -TERM "$npid" 2>/dev/null || true
		wait_for 30 "$m to power off" not_alive "$npid" systemd-nspawn ||
		    echo "nodes.sh: killing $m" >&2
	fi
	for pid in $(cg_pids "$m"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait_for 10 "processes of $m to die" cg_empty "$m" || exit 1
	cg_remove "$m"
	ns_del "$m"
	# nspawn leaves these when /run is no tmpfs (it refuses to rm -rf
	# a directory on a disk file system).
	rm -rf "/run/systemd/nspawn/propagate/$m"
	rm -f "/run/systemd/nspawn/locks/machine-$m"
	rm -rf "$d"
}

# Power loss: every process of the node killed at once (systemd, nspawn,
# whatever runs inside), then its network namespace removed, so that no
# address of the node (an access point) outlives it.  Its disk (the
# overlay's upper layer) stays for power_on.
power_off() {
	local node=$1 m d pid
	m=$(machine_of "$node")
	d=$(node_dir "$node")
	for pid in $(cg_pids "$m"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait_for 10 "processes of $m to die" cg_empty "$m" || return 1
	ns_del "$m"
	rm -rf "/run/systemd/nspawn/propagate/$m"
	rm -f "/run/systemd/nspawn/locks/machine-$m" "$d/nspawn.pid"
}

power_on() {
	local node=$1 d
	d=$(node_dir "$node")
	[[ -s $d/root ]] || { echo "no such node: $node"; return 1; }
	node_boot "$node" "$(cat "$d/root")"
	wait_for 10 "$node's systemd to start" leader_of "$node"
}

power_is_on() { leader_of "$1" >/dev/null; }

# One request on stdin, one answer line on stdout (fence_pghalab's
# protocol): on|off|status NODE, list -> "ok ..." or "error ...".
power_serve() {
	local line verb node out
	exec 2>>"$STATE/power.log"
	if ! read -r -t 5 line; then echo "error no request within 5 s"; return 0; fi
	read -r verb node _ <<<"$line"
	case $verb in
	list) echo "ok list $(cd "$STATE" && ls -d node[0-9]* 2>/dev/null | tr '\n' ' ')"
		return 0 ;;
	on|off|status) ;;
	*) echo "error unknown request: ${line:0:40}"; return 0 ;;
	esac
	if [[ ! $node =~ ^node[1-9]$ || ! -s $(node_dir "$node")/root ]]; then
		echo "error no such node: ${node:0:20}"
		return 0
	fi
	exec 8>"$STATE/power.lock"
	flock -w 60 8 || { echo "error power switch busy for 60 s"; return 0; }
	echo "$(ms) request: $line" >&2
	if [[ $verb == status ]]; then
		power_is_on "$node" && echo "ok on $node" || echo "ok off $node"
		return 0
	fi
	if [[ $verb == off ]] && ! power_is_on "$node"; then
		echo "ok off $node already"; return 0
	fi
	if [[ $verb == on ]] && power_is_on "$node"; then
		echo "ok on $node already"; return 0
	fi
	if out=$("power_$verb" "$node" 2>&1 </dev/null 8>&-); then
		echo "$(ms) $verb $node: done" >&2
		echo "ok $verb $node"
	else
		echo "$(ms) $verb $node failed: $out" >&2
		echo "error $verb $node failed: $(tail -n 1 <<<"$out")"
	fi
}

power_start() {
	local sock=$STATE/power/power.sock
	mkdir -p "$STATE/power"
	chmod 700 "$STATE/power"
	cp "$(dirname "$SELF")/../fence_pghalab" "$STATE/share/fence_pghalab"
	PGHA_SYSD_NAME=$NAME setsid socat -t 90 -T 90 \
	    "UNIX-LISTEN:$sock,fork,mode=600,unlink-early" \
	    "EXEC:$SELF power-serve" </dev/null >>"$STATE/power.log" 2>&1 &
	echo $! >"$STATE/power.pid"
	wait_for 5 "power switch to listen on $sock" test -S "$sock"
}

power_stop() {
	local pid
	pid=$(cat "$STATE/power.pid" 2>/dev/null) || return 0
	alive "$pid" socat && kill -TERM "$pid" 2>/dev/null
	wait_for 10 "power switch (socat $pid) to end" not_alive "$pid" socat
}

# power on|off|status NODE from the host, through the switch's socket
# as a fence agent would.
power_cmd() {
	[[ $# -eq 2 && $1 =~ ^(on|off|status)$ ]] || die "power on|off|status NODE"
	socat -t 90 -T 90 - "UNIX-CONNECT:$STATE/power/power.sock" <<<"$1 $2"
}

ns_empty() { [[ -z $(ip netns pids "$1" 2>/dev/null) ]]; }
ns_del() {
	local pid
	ip netns list | awk '{ print $1 }' | grep -qx "$1" || return 0
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait_for 10 "processes of namespace $1 to die" ns_empty "$1" || exit 1
	ip netns del "$1"
}

disk_down() {
	local dev
	for dev in $(losetup -j "$STATE/shared.img" -O NAME -n 2>/dev/null); do
		findmnt -n -S "$dev" >/dev/null && umount "$dev"
		losetup -d "$dev"
	done
	rm -f "$STATE/shared.img" "$STATE/loopdev"
}

down() {
	local m
	power_stop
	for m in $(machines); do
		node_stop "$m"
	done
	ns_del "$SW"
	disk_down
	rm -rf "$STATE"
}

# ----------------------------------------------------------------- up

up() {
	local n=2 witness=0 root k nodes=() t0 node
	while (( $# )); do
		case $1 in
		--nodes) n=${2:-}; shift 2 ;;
		--witness) witness=1; shift ;;
		*) die "up: unknown argument $1 (--nodes N, --witness)" ;;
		esac
	done
	[[ $n =~ ^[1-9]$ ]] || die "up: --nodes takes 1..9, not '$n'"
	command -v systemd-nspawn >/dev/null ||
	    die "systemd-nspawn missing: apt-get install systemd-container (scripts/setup-deps.sh)"
	root=$(root_build)
	down
	mkdir -p "$STATE/share" "$STATE/ssh"
	power_start
	for (( k = 1; k <= n; k++ )); do nodes+=("node$k"); done
	(( witness )) && nodes+=(witness)
	{
		echo "127.0.0.1 localhost"
		for node in "${nodes[@]}"; do
			echo "$(node_ip "$node") $node"
		done
	} >"$STATE/hosts"
	ssh-keygen -q -t ed25519 -N '' -C "root@$NAME" -f "$STATE/ssh/id_ed25519"
	# The shared disk: one loop device bound into every node.
	truncate -s 256M "$STATE/shared.img"
	losetup -f --show "$STATE/shared.img" >"$STATE/loopdev"
	ip netns add "$SW"
	ip -n "$SW" link set lo up
	ip -n "$SW" link add br0 type bridge
	ip -n "$SW" link set br0 up
	t0=$(ms)
	for node in "${nodes[@]}"; do
		node_start "$node" "$root"
	done
	for node in "${nodes[@]}"; do
		wait_for "$BOOT_TIMEOUT" "$node to boot (systemctl is-system-running: running or degraded; see $(node_dir "$node")/nspawn.log)" \
		    booted "$node" || exit 1
	done
	echo "$(( $(ms) - t0 ))" >"$STATE/boot-ms"
	# Every node knows every other's ssh host key (written by launch into
	# the overlay's upper layer, which the host sees).
	for node in "${nodes[@]}"; do
		sed "s/^/$node,$(node_ip "$node") /" \
		    "$(node_dir "$node")/upper/etc/ssh/ssh_host_ed25519_key.pub"
	done >"$STATE/known_hosts"
	for node in "${nodes[@]}"; do
		"$SELF" exec "$node" sh -c 'cat >/root/.ssh/known_hosts' \
		    <"$STATE/known_hosts"
	done
	status
}

status() {
	local d node
	[[ -d $STATE ]] || { echo "no nodes (nodes.sh up)"; return 0; }
	echo "root $(readlink -f "$(root_dir)") disk $(cat "$STATE/loopdev" 2>/dev/null) boot $(cat "$STATE/boot-ms" 2>/dev/null) ms"
	for d in "$STATE"/*/; do
		[[ -e $d/machine ]] || continue
		node=$(basename "$d")
		echo "$node $(cat "$d/machine") $(node_ip "$node") leader $(leader_of "$node" || echo -) $(system_state "$node" || true)"
	done
}

[[ $(id -u) -eq 0 ]] || die "root only"
cmd=${1:-}
shift || true
case $cmd in
up) up "$@" ;;
down) down ;;
exec) [[ $# -ge 2 ]] || die "exec NODE CMD..."; node_exec "$@" ;;
root) root_build ;;
status) status ;;
power) power_cmd "$@" ;;
power-serve) power_serve ;;
_launch) launch "$@" ;;
*) die "usage: nodes.sh up [--nodes N] [--witness] | down | exec NODE CMD... | root | status | power on|off|status NODE" ;;
esac
