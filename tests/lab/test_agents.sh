#!/bin/bash
# test_agents.sh - lab test of pgha-agent's built-in agents (disk, address,
# postgresql) against a real ext4 on a loop device, real veths in network
# namespaces and a real PostgreSQL 15.  Run as root: tests/lab/test_agents.sh
# [BUILD_DIR].  Self-contained: builds its scratch world under
# /var/tmp/pgha-agent-test and namespaces pghaT-agent / pghaT-peer, removes
# them on exit, and removes leftovers of a killed earlier run first.
# Prints TAP and a closing "N passed, N failed" line.

set -u

BUILD=${1:-build}
AGENT=$(realpath "$BUILD/pgha-agent")
DIR=/var/tmp/pgha-agent-test
IMG=$DIR/disk.img
MP=$DIR/mnt
SOCK=$DIR/sock
PGLOG=$DIR/postgres.log
PGDATA=$MP/pgdata
PGBIN=/usr/lib/postgresql/15/bin
PORT=54329
NS=pghaT-agent
PEER=pghaT-peer
VIP=198.19.99.100

npass=0
nfail=0
ntest=0
HOLDER=
LOOP=

ok() {
	ntest=$((ntest + 1))
	if [ "$1" = 0 ]; then
		npass=$((npass + 1))
		echo "ok $ntest - $2"
	else
		nfail=$((nfail + 1))
		echo "not ok $ntest - $2"
	fi
}

# check DESCRIPTION COMMAND...: one test from a command's exit status
check() {
	local what=$1
	shift
	"$@"
	ok $? "$what"
}

# wait_until SECONDS COMMAND...: poll every 20 ms until it holds
wait_until() {
	local until=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@"; do
		[ $(($(date +%s%N) / 1000000)) -ge "$until" ] && return 1
		sleep 0.02
	done
	return 0
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Processes we started: everything in our two network namespaces.
kill_ns_pids() {
	local ns pid
	for ns in "$NS" "$PEER"; do
		ip netns list | grep -qw "^$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
}

cleanup() {
	local pid dev
	if [ -f "$DIR/pids" ]; then
		# only if the pid still is what we started (argv[0] marked)
		for pid in $(cat "$DIR/pids"); do
			tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
			    grep -q '^pghaT-' && kill -KILL "$pid" 2>/dev/null
		done
	fi
	kill_ns_pids
	[ -n "$HOLDER" ] && { wait "$HOLDER"; } 2>/dev/null
	# the mount namespace goes with its last process
	for ns in "$NS" "$PEER"; do
		wait_until 5 sh -c "[ -z \"\$(ip netns pids $ns 2>/dev/null)\" ]"
		ip netns del "$ns" 2>/dev/null
	done
	if [ -f "$IMG" ]; then
		for dev in $(losetup -j "$IMG" -O NAME -n 2>/dev/null); do
			losetup -d "$dev" 2>/dev/null
		done
	fi
	rm -rf "$DIR"
}

# A process we start outside the namespaces, marked for cleanup by argv[0].
start_marked_sleep() {
	bash -c 'exec -a pghaT-sleep sleep 600' &
	echo $! >>"$DIR/pids"
	MARKED=$!
}

setup() {
	mkdir -p "$DIR" "$MP"
	truncate -s 256M "$IMG" || return 1
	LOOP=$(losetup -f --show "$IMG") || return 1
	mkfs.ext4 -q -F "$LOOP" || return 1
	ip netns add "$NS" && ip netns add "$PEER" || return 1
	ip link add pTa netns "$NS" type veth peer name pTp netns "$PEER" ||
	    return 1
	ip -n "$NS" addr add 198.19.99.1/24 dev pTa
	ip -n "$PEER" addr add 198.19.99.2/24 dev pTp
	ip -n "$NS" link set lo up
	ip -n "$NS" link set pTa up
	ip -n "$PEER" link set lo up
	ip -n "$PEER" link set pTp up
	# The node: a private mount namespace in $NS held by one process;
	# every agent call enters it, so mounts persist between calls and
	# never reach the host.
	ip netns exec "$NS" unshare -m --propagation private \
	    sleep 100000 </dev/null &
	HOLDER=$!
	wait_until 5 sh -c "readlink /proc/$HOLDER/exe | grep -q sleep"
}

# in_node COMMAND...: run inside the node's namespaces
in_node() {
	nsenter -t "$HOLDER" -m -n -- "$@"
}

DISK_ENV=(OCF_RESOURCE_INSTANCE=t-disk OCF_RESKEY_device="$DIR/loopdev"
    OCF_RESKEY_mountpoint="$MP" OCF_RESKEY_fstype=ext4
    OCF_RESKEY_options=noatime)
ADDR_ENV=(OCF_RESOURCE_INSTANCE=t-ip OCF_RESKEY_address=$VIP/24
    OCF_RESKEY_interface= OCF_RESKEY_arp_count=5)
PG_ENV=(OCF_RESOURCE_INSTANCE=t-pg OCF_RESKEY_data="$PGDATA"
    OCF_RESKEY_port=$PORT OCF_RESKEY_user=postgres
    OCF_RESKEY_bindir=$PGBIN OCF_RESKEY_socket_dir="$SOCK"
    OCF_RESKEY_logfile="$PGLOG")

# agent TYPE ACTION [TIMEOUT_MS]: run it as pghad would (fixed environment,
# stderr read through a pipe to EOF); sets RC, MS, ERR and OUT (stdout).
agent() {
	local t0 envv
	case $1 in
	disk) envv=("${DISK_ENV[@]}") ;;
	address) envv=("${ADDR_ENV[@]}") ;;
	postgresql) envv=("${PG_ENV[@]}") ;;
	esac
	t0=$(ms)
	ERR=$(in_node env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    PGHA_TIMEOUT_MS="${3:-20000}" "${envv[@]}" \
	    "$AGENT" "$1" "$2" 2>&1 >"$DIR/agent.stdout")
	RC=$?
	OUT=$(cat "$DIR/agent.stdout")
	MS=$(($(ms) - t0))
	echo "# $1 $2: rc=$RC ${MS}ms${ERR:+: $(echo "$ERR" | tail -1)}"
	TIMES="$TIMES$1 $2 rc=$RC ${MS}ms
"
}

# expect RC TYPE ACTION [TIMEOUT_MS]
expect() {
	local want=$1
	shift
	agent "$@"
	[ "$RC" = "$want" ]
	ok $? "$1 $2 -> $want (got $RC, ${MS} ms)"
}

psql_q() {
	psql -X -q -At -h "$SOCK" -p $PORT -U postgres -d postgres -c "$1" \
	    2>/dev/null
}

# pids of postgres processes in the node (zombies have no exe and no netns)
server_pids() {
	local p
	for p in $(ip netns pids "$NS" 2>/dev/null); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$PGBIN/postgres" ] &&
		    echo "$p"
	done
}

no_server_left() {
	[ -z "$(server_pids)" ]
}

mounted_in_node_only() {
	in_node grep -q " $MP " /proc/self/mountinfo &&
	    ! grep -q " $MP " /proc/self/mountinfo
}

# The per-mount options of the disk's mount in the node (mountinfo field 6).
mount_opts() {
	in_node awk -v mp="$MP" '$5 == mp { print $6 }' /proc/self/mountinfo
}

opts_have() {	# opts_have WORD...: every word is one of the mount's options
	local o w
	o=,$(mount_opts),
	for w; do [[ $o == *,$w,* ]] || return 1; done
}

# The loop device's major:minor, as mountinfo's third field shows it.
loop_majmin() {
	printf '%d:%d' "0x$(stat -L -c %t "$LOOP")" "0x$(stat -L -c %T "$LOOP")"
}

holds_dev() {	# holds_dev PID: the process's mount namespace has the disk
	awk -v d="$(loop_majmin)" '$3 == d { f = 1 } END { exit !f }' \
	    "/proc/$1/mountinfo" 2>/dev/null
}

# No ext4 of the loop device alive anywhere in the kernel, and nothing holds
# the device: what another node's mount needs.
fs_gone() {
	[ ! -e "/proc/fs/ext4/$(basename "$LOOP")" ] &&
	    /usr/bin/python3 -c 'import os, sys
os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))' "$LOOP" 2>/dev/null
}

test_disk() {
	local hpid rc

	expect 7 disk monitor
	expect 0 disk start
	check "file system mounted in the node only" mounted_in_node_only
	check "mounted nosuid,nodev by default (options: $(mount_opts))" \
	    opts_have nosuid nodev noatime
	expect 0 disk monitor
	expect 0 disk start
	# a process holding a file open under the mount point
	nsenter -t "$HOLDER" -m -n -- \
	    bash -c "exec -a pghaT-holder sleep 600 3>$MP/held" &
	hpid=$!
	check "holder has the file open" wait_until 5 in_node sh -c \
	    "readlink /proc/$hpid/fd/3 2>/dev/null | grep -q held"
	expect 0 disk stop
	wait "$hpid"
	rc=$?
	check "holder was killed by stop (status $rc)" [ "$rc" -ge 128 ]
	expect 7 disk monitor
	expect 0 disk stop
	# something else on the mount point: start refuses, monitor fails
	in_node mount -t tmpfs pghaT-tmp "$MP"
	expect 1 disk start
	expect 1 disk monitor
	in_node umount "$MP"
	expect 0 disk start
	# A link planted where the monitor writes its test file: the
	# write test must not truncate or write the file it points to.
	printf 'precious\n' >"$DIR/victim-monitor"
	chmod 600 "$DIR/victim-monitor"
	in_node ln -s "$DIR/victim-monitor" "$MP/.pgha-monitor"
	expect 0 disk monitor
	check "monitor's write test left a planted link's target untouched" \
	    [ "$(cat "$DIR/victim-monitor")" = precious ]
	check "no write-test file or link left on the mount point" \
	    [ ! -e "$MP/.pgha-monitor" -a ! -L "$MP/.pgha-monitor" ]
	test_disk_userns
}

dead_or_zombie() {
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]
}

# A local user's own mount namespace (unprivileged user namespaces are on)
# keeps a copy of the mount: the unmount in the node succeeds, yet the file
# system stays alive.  stop must end the holder and prove the file system
# gone.
test_disk_userns() {
	local upid rc

	# nsenter, not in_node: $! must be the holder itself, not a subshell
	nsenter -t "$HOLDER" -m -n -- setpriv --reuid=65534 --regid=65534 \
	    --clear-groups unshare -Urm sleep 600 &
	upid=$!
	check "a user namespace of nobody holds a copy of the mount" \
	    wait_until 5 holds_dev "$upid"
	expect 0 disk stop
	check "the file system is gone after stop (no /proc/fs/ext4/$(basename "$LOOP"), device opens O_EXCL)" \
	    fs_gone
	if dead_or_zombie "$upid"; then rc=0; else rc=1; kill -KILL "$upid"; fi
	ok $rc "stop ended the user namespace's holder"
	wait "$upid"
	expect 0 disk start
	check "and it mounts again" mounted_in_node_only
}

neigh_has_mac() {
	ip -n "$PEER" neigh show "$VIP" dev pTp | grep -q "lladdr $1 "
}

test_address() {
	local mac

	expect 7 address monitor
	# the peer knows the address under an old owner's MAC
	ip -n "$PEER" neigh replace "$VIP" lladdr 02:00:00:00:00:99 dev pTp \
	    nud stale
	expect 0 address start
	check "$VIP/24 on pTa (interface found by subnet)" sh -c \
	    "ip -n $NS -4 -o addr show dev pTa | grep -q ' $VIP/24 '"
	expect 0 address monitor
	mac=$(ip netns exec "$NS" cat /sys/class/net/pTa/address)
	check "peer's neighbour entry moved to $mac by gratuitous ARP" \
	    wait_until 3 neigh_has_mac "$mac"
	expect 0 address start
	expect 0 address stop
	check "$VIP gone from pTa" sh -c \
	    "! ip -n $NS -4 -o addr show dev pTa | grep -q ' $VIP/'"
	expect 7 address monitor
	# A client that still sends to the old owner is refused at once
	# rather than left waiting for its SYN retransmission.
	ip -n "$PEER" neigh replace "$VIP" lladdr "$mac" dev pTp nud permanent
	check "a connection to the released address is refused (reset)" sh -c \
	    "ip netns exec $PEER timeout 5 bash -c 'exec 3<>/dev/tcp/$VIP/5432' 2>&1 | grep -q 'Connection refused'"
	check "the reset guard runs" guard_running
	expect 0 address start
	check "the guard ends once the address is back" wait_until 3 guard_gone
	ip -n "$PEER" neigh del "$VIP" dev pTp 2>/dev/null
	expect 0 address stop
	expect 0 address stop
}

guard_running() {
	local p
	for p in $(ip netns pids "$NS"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
		    grep -q 'pgha-agent address stop' && return 0
	done
	return 1
}
guard_gone() { ! guard_running; }

client_active() {
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity
	    WHERE query LIKE 'SELECT pg_sleep(60)%'")" = 1 ]
}

pg_initdb() {
	in_node install -d -o postgres -g postgres -m 700 "$PGDATA" &&
	in_node runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust \
	    >"$DIR/initdb.log" 2>&1 || return 1
	# restart_after_crash = on must lose against the agent's -c
	in_node sh -c "printf '%s\n' 'restart_after_crash = on' \
	    \"listen_addresses = '*'\" >>$PGDATA/postgresql.conf &&
	    echo 'host all all 198.18.0.0/15 trust' >>$PGDATA/pg_hba.conf"
}

test_postgresql() {
	local cpid ppid spid

	check "initdb on the shared disk" pg_initdb
	expect 7 postgresql monitor
	expect 0 postgresql start
	check "psql over the socket works" [ "$(psql_q 'SELECT 1')" = 1 ]
	check "restart_after_crash is off despite postgresql.conf" \
	    [ "$(psql_q 'SHOW restart_after_crash')" = off ]
	expect 0 postgresql monitor
	check "monitor names the postmaster to watch (watch_pid=)" \
	    [ "$OUT" = "watch_pid=$(in_node head -1 "$PGDATA/postmaster.pid")" ]
	expect 0 postgresql start
	check "start (already running) names the postmaster too" \
	    [ "$OUT" = "watch_pid=$(in_node head -1 "$PGDATA/postmaster.pid")" ]

	# a client inside a statement while the server stops
	psql -X -v VERBOSITY=verbose -h "$SOCK" -p $PORT -U postgres \
	    -d postgres -c 'SELECT pg_sleep(60)' >"$DIR/client.out" 2>&1 &
	cpid=$!
	check "client statement running" wait_until 5 client_active
	expect 0 postgresql stop
	wait "$cpid"
	check "the client got 57P01 (fast shutdown)" \
	    grep -q 57P01 "$DIR/client.out"
	check "no server process left after stop" no_server_left
	expect 7 postgresql monitor
	expect 0 postgresql stop

	# the postmaster killed: never "running"; stop cleans the orphans
	expect 0 postgresql start
	ppid=$(in_node head -1 "$PGDATA/postmaster.pid")
	[ -n "$ppid" ] && kill -KILL "$ppid"
	agent postgresql monitor
	check "monitor after kill -9 of the postmaster: 7 or 1 (got $RC)" \
	    [ "$RC" = 7 -o "$RC" = 1 ]
	expect 0 postgresql stop
	check "no server process left after stop" no_server_left

	# a stale postmaster.pid naming an unrelated live process
	start_marked_sleep
	spid=$MARKED
	in_node sh -c "printf '%s\n%s\n' $spid $PGDATA \
	    >$PGDATA/postmaster.pid && chown postgres $PGDATA/postmaster.pid"
	expect 7 postgresql monitor
	expect 0 postgresql start
	check "the unrelated process lives on" kill -0 "$spid"
	check "postmaster.pid names the new server" \
	    [ "$(in_node head -1 "$PGDATA/postmaster.pid")" != "$spid" ]
	kill -KILL "$spid"
	wait "$spid" 2>/dev/null

	# a server that refuses connections (57P03) is transitional, and
	# a start that never sees it accept them fails in its time
	in_node sh -c "touch $PGDATA/standby.signal &&
	    echo 'hot_standby = off' >>$PGDATA/postgresql.auto.conf"
	expect 0 postgresql stop
	expect 1 postgresql start 1500
	check "start gave up within its 1500 ms timeout" [ "$MS" -lt 1500 ]
	expect 100 postgresql monitor
	expect 0 postgresql stop
	in_node sh -c "rm $PGDATA/standby.signal &&
	    sed -i '/^hot_standby = off/d' $PGDATA/postgresql.auto.conf"
	expect 0 postgresql start

	# a frozen postmaster: stop is bounded by its own timeout
	ppid=$(in_node head -1 "$PGDATA/postmaster.pid")
	[ -n "$ppid" ] && kill -STOP "$ppid"
	expect 0 postgresql stop 3000
	check "stop of a frozen server within its 3000 ms timeout" \
	    [ "$MS" -lt 3000 ]
	check "no server process left after stop" no_server_left
	test_pg_log_link
	test_socket_dir
}

# pg_env_set KEY VALUE: the postgresql agent's key for the next calls
pg_env_set() {
	PG_ENV=("${PG_ENV[@]/#OCF_RESKEY_$1=*/OCF_RESKEY_$1=$2}")
}

# socket_dir is changed only if the agent made it: an existing directory
# the server can use stays as it is (/tmp keeps its sticky bit), one it
# cannot, or a link, is refused and left alone.
test_socket_dir() {
	local saved=("${PG_ENV[@]}")

	mkdir -m 1777 "$DIR/shared-tmp"
	pg_env_set socket_dir "$DIR/shared-tmp"
	expect 0 postgresql start
	check "a sticky world-writable socket_dir is left root:1777" \
	    [ "$(stat -c %U:%a "$DIR/shared-tmp")" = root:1777 ]
	expect 0 postgresql stop

	mkdir -m 700 "$DIR/victim-dir"
	in_node runuser -u postgres -- ln -s "$DIR/victim-dir" \
	    "$PGDATA/sock-link"
	pg_env_set socket_dir "$PGDATA/sock-link"
	expect 1 postgresql start
	check "start refuses a socket_dir that is a link (names it)" \
	    grep -q "$PGDATA/sock-link.*symbolic link" <<<"$ERR"
	check "the link's root-only target directory is untouched" \
	    [ "$(stat -c %U:%a "$DIR/victim-dir")" = root:700 ]
	agent postgresql stop	# in case it did start

	mkdir -m 755 "$DIR/root-dir"
	pg_env_set socket_dir "$DIR/root-dir"
	expect 1 postgresql start
	check "start refuses a socket_dir the server cannot write, with a fix" \
	    grep -q "$DIR/root-dir.*not writable by postgres.*chown" <<<"$ERR"
	check "that directory is untouched" \
	    [ "$(stat -c %U:%a "$DIR/root-dir")" = root:755 ]
	check "no server process left after the refused starts" no_server_left
	PG_ENV=("${saved[@]}")
}

# victim PATH: a root-only file that a planted link will point to
victim() {
	printf 'root only\n' >"$1"
	chown root:root "$1"
	chmod 600 "$1"
}

victim_untouched() {
	[ "$(stat -c %U:%a "$1")" = root:600 ] &&
	    [ "$(cat "$1")" = 'root only' ]
}

# The server's log in the data directory (the default place), where the
# server's user planted a link to a root-only file.
test_pg_log_link() {
	local saved=("${PG_ENV[@]}")

	victim "$DIR/victim-log"
	pg_env_set logfile "$PGDATA/pgha-server.log"
	in_node runuser -u postgres -- ln -sf "$DIR/victim-log" \
	    "$PGDATA/pgha-server.log"
	expect 1 postgresql start
	check "start refuses the planted link to the server log (names it)" \
	    grep -q "$PGDATA/pgha-server.log is a symbolic link" <<<"$ERR"
	check "the link's root-only target is untouched (owner, mode, text)" \
	    victim_untouched "$DIR/victim-log"
	check "no server process left after the refused start" no_server_left
	in_node rm -f "$PGDATA/pgha-server.log"
	expect 0 postgresql start
	check "the server log is created as the server's user" \
	    [ "$(in_node stat -c %U "$PGDATA/pgha-server.log")" = postgres ]
	expect 0 postgresql stop
	PG_ENV=("${saved[@]}")
}

# pgha db init where initdb (the server's user's program) leaves
# postgresql.conf a link to a root-only file: init's own lines must not go
# there.
test_init_link() {
	local data=$MP/initdata

	test_init_dir_link

	victim "$DIR/victim-conf"
	mkdir -p "$DIR/bin"
	cat >"$DIR/bin/initdb" <<-EOF
	#!/bin/sh
	$PGBIN/initdb "\$@" || exit
	ln -sf $DIR/victim-conf $data/postgresql.conf
	EOF
	chmod 755 "$DIR/bin/initdb"
	ERR=$(in_node env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    PGHA_TIMEOUT_MS=60000 PGHA_GROUP_HERE=1 PGHA_GROUP_MOUNTS="$MP" \
	    OCF_RESOURCE_INSTANCE=t-pg OCF_RESKEY_data="$data" \
	    OCF_RESKEY_port=$PORT OCF_RESKEY_user=postgres \
	    OCF_RESKEY_bindir="$DIR/bin" OCF_RESKEY_socket_dir="$SOCK" \
	    OCF_RESKEY_logfile= OCF_RESKEY_waldir= OCF_RESKEY_backup_dir= \
	    "$AGENT" postgresql init 2>&1 >"$DIR/agent.stdout")
	RC=$?
	echo "# postgresql init: rc=$RC: $(echo "$ERR" | tail -1)"
	check "init refuses to append through a planted postgresql.conf link" \
	    grep -q "$data/postgresql.conf is a symbolic link" <<<"$ERR"
	check "init exits 1 (got $RC)" [ "$RC" = 1 ]
	check "the link's root-only target is untouched (owner, mode, text)" \
	    victim_untouched "$DIR/victim-conf"
	in_node rm -rf "$data"
}

# init_as DATA BINDIR: pgha db init's agent with that data directory
init_as() {
	ERR=$(in_node env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    PGHA_TIMEOUT_MS=60000 PGHA_GROUP_HERE=1 PGHA_GROUP_MOUNTS="$MP" \
	    OCF_RESOURCE_INSTANCE=t-pg OCF_RESKEY_data="$1" \
	    OCF_RESKEY_port=$PORT OCF_RESKEY_user=postgres \
	    OCF_RESKEY_bindir="$2" OCF_RESKEY_socket_dir="$SOCK" \
	    OCF_RESKEY_logfile= OCF_RESKEY_waldir= OCF_RESKEY_backup_dir= \
	    "$AGENT" postgresql init 2>&1 >"$DIR/agent.stdout")
	RC=$?
	echo "# postgresql init: rc=$RC: $(echo "$ERR" | tail -1)"
}

# The data directory planted as a link (by the server's user, in a
# directory of its own on the group disk) to an empty root-only directory
# of that disk: init must not give that directory to the server's user.
test_init_dir_link() {
	in_node install -d -o root -g root -m 700 "$MP/rootonly"
	in_node install -d -o postgres -g postgres -m 755 "$MP/pgdir"
	in_node runuser -u postgres -- ln -s "$MP/rootonly" \
	    "$MP/pgdir/initdata"
	init_as "$MP/pgdir/initdata" "$PGBIN"
	check "init refuses a data directory that is a link (rc $RC)" \
	    [ "$RC" != 0 ]
	check "the link's root-only target directory is still root:700" \
	    [ "$(in_node stat -c %U:%a "$MP/rootonly")" = root:700 ]
	in_node rm -rf "$MP/rootonly" "$MP/pgdir"
}

if [ "$(id -u)" != 0 ]; then
	echo "test_agents.sh: must run as root" >&2
	exit 1
fi
if [ ! -x "$AGENT" ]; then
	echo "test_agents.sh: no $BUILD/pgha-agent (make first)" >&2
	exit 1
fi
cleanup
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
TIMES=
if ! setup; then
	echo "Bail out! setup failed"
	exit 1
fi
ln -s "$LOOP" "$DIR/loopdev"
test_disk
test_address
test_postgresql
test_init_link
expect 0 disk stop
expect 7 disk monitor
cleanup
echo "1..$ntest"
echo "# durations:"
echo -n "$TIMES" | sed 's/^/#   /'
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
