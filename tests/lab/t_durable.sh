#!/bin/bash
# Durability (issue 13): a commit acknowledged to a client survives a real
# power loss, on a disk that loses what was not flushed (lab up
# --volatile-disk, pgha-vdisk).
#
#   1. The disk model itself, on a scratch pgha-vdisk with two paths: a
#      write not flushed is seen on its own path only and is gone after a
#      cut; a flushed one is seen on the other path.
#   2. The disk loses acknowledged commits when the server does not flush:
#      pghad stopped, the server started by hand on node1 with fsync=off
#      (only the test can do that: pgha forces fsync=on), the writer
#      commits, node1 loses power; node2 starts the server by hand and
#      finds acknowledged commits missing.
#   3. pgha's defaults, even against ALTER SYSTEM SET fsync = off,
#      full_page_writes = off: the server runs with both on; LOSSES power
#      losses of the owner (3; --long: 20) under pgbench (4 clients,
#      through the access point), each transaction checked row by row
#      (bench_lib.sh pgbench_check): 0 lost.  Per loss: acknowledged,
#      lost, in doubt, client-seen downtime (reported, not asserted), and
#      the unflushed blocks the disk dropped.  Summary in
#      $OUT_DIR/durable.d/summary.txt.
#
# --plain-disk runs 2 and 3 on the lab's ordinary disk (one loop device
# over a file, the host's page cache in between), to compare: there part 2
# is reported, not asserted, as that disk hides a missing flush.
#
#	t_durable.sh [BUILD] [--long] [--losses=N] [--plain-disk]
set -uo pipefail
LOSSES=3 VOLATILE=1
for a in "$@"; do
	case $a in
	--long) LOSSES=20 ;;
	--plain-disk) VOLATILE=0 ;;
	--losses=*) LOSSES=${a#--losses=} ;;
	-*) echo "t_durable.sh: unknown option $a" >&2; exit 2 ;;
	*) PGHA_BUILD=$(readlink -f "$a"); export PGHA_BUILD ;;
	esac
done
. "$(dirname "$0")/scenario.sh"
BENCH_WORK=$OUT_DIR/durable.d
BENCH_SCALE=2
. "$(dirname "$0")/bench_lib.sh"
rm -rf "$BENCH_WORK"
mkdir -p "$BENCH_WORK"
SUMMARY=$BENCH_WORK/summary.txt
: >"$SUMMARY"

# ---------------------------------------------------------------- 1. model

VD=$BENCH_WORK/selftest
VD_PID= VD_L1= VD_L2=

vd_cleanup() {
	[[ -n $VD_L1 ]] && losetup -d "$VD_L1" 2>/dev/null
	[[ -n $VD_L2 ]] && losetup -d "$VD_L2" 2>/dev/null
	findmnt -n "$VD/mnt" >/dev/null 2>&1 && fusermount3 -u "$VD/mnt"
	[[ -n $VD_PID ]] && { kill -TERM "$VD_PID" 2>/dev/null; wait "$VD_PID"; }
	VD_PID= VD_L1= VD_L2=
}

blk_read() {	# blk_read DEV BLOCK: one 4 KiB block, past every cache
	dd if="$1" bs=4096 count=1 skip="$2" iflag=direct status=none
}
blk_is() { blk_read "$1" "$2" | cmp -s - "$3"; }	# DEV BLOCK FILE

vdisk_selftest() {
	mkdir -p "$VD/mnt"
	truncate -s 16M "$VD/store"
	head -c 4096 /dev/urandom >"$VD/a"
	head -c 4096 /dev/urandom >"$VD/b"
	"$PGHA_BUILD/pgha-vdisk" -n 2 "$VD/store" "$VD/mnt" 2>"$VD/log" &
	VD_PID=$!
	if ! wait_until 10 test -e "$VD/mnt/ctl"; then
		not_ok "pgha-vdisk serves its files"
		return
	fi
	VD_L1=$(losetup -f --show "$VD/mnt/node1.img")
	VD_L2=$(losetup -f --show "$VD/mnt/node2.img")
	# Through the loop device's page cache, then its close (which
	# writes it to the loop device), no fsync.
	dd if="$VD/a" of="$VD_L1" bs=4096 seek=1 status=none
	check "model: a write not flushed reads back on its own path" \
	    blk_is "$VD_L1" 1 "$VD/a"
	check "model: ... and is not seen on the other path" \
	    not blk_is "$VD_L2" 1 "$VD/a"
	echo "cut 1" >"$VD/mnt/ctl"
	check "model: a cut path fails reads (EIO)" not blk_read "$VD_L1" 1
	echo "on 1" >"$VD/mnt/ctl"
	check "model: after the cut the unflushed write is gone" \
	    not blk_is "$VD_L1" 1 "$VD/a"
	dd if="$VD/b" of="$VD_L1" bs=4096 seek=2 conv=fsync status=none
	echo "cut 1" >"$VD/mnt/ctl"
	check "model: a flushed write survives the cut, seen on the other path" \
	    blk_is "$VD_L2" 2 "$VD/b"
	sed 's/^/#   /' "$VD/mnt/ctl"
	vd_cleanup
}

trap 'vd_cleanup; on_fail_dump' EXIT
if (( VOLATILE )); then
	echo "# -- 1. the volatile disk model"
	vdisk_selftest
	lab_fresh --volatile-disk
else
	echo "# -- the lab's ordinary disk (--plain-disk)"
	lab_fresh
fi
eval "$("$LAB" env 2>/dev/null)"
check "db1 online on node1" online_on node1
DISK_DEV=$LOOPDEV
if (( VOLATILE )); then
	DISK_DEV=/run/pghalab-disk
	is "$("$LAB" exec node1 readlink /run/pghalab-disk)" "$NODE1_LOOPDEV" \
	    "node1's /run/pghalab-disk is its own loop device"
	check "node1 mounts db1's disk through it" \
	    grep -q "^/run/pghalab-disk $LAB_MOUNT " "/proc/$NODE1_PID/mounts"
fi

vd_field() {	# vd_field K FIELD: from the lab's pgha-vdisk ctl
	if (( VOLATILE )); then
		sed -n "s/^node$1\.img .*$2=\([0-9]*\).*/\1/p" "$VDISK_CTL"
	else
		echo 0
	fi
}

# ---------------------------------------------------------------- 2. fsync=off

echo "# -- 2. fsync=off by hand: the disk loses acknowledged commits"
BYHAND_OPTS="-c unix_socket_directories=/run/postgresql"
byhand_start() {	# byhand_start NODE [PG OPTIONS]
	"$LAB" exec "$1" mount "$DISK_DEV" "$LAB_MOUNT" &&
	    "$LAB" exec "$1" runuser -u postgres -- "$PG_BIN/pg_ctl" \
	    -D "$LAB_DATA" -w -t 60 -l /tmp/byhand.log \
	    -o "$BYHAND_OPTS ${2:-}" start >/dev/null
}
node_conninfo() {	# node_conninfo NODE
	echo "host=$(eval echo "\$NODE$(( ${1#node} ))_IP") port=5432" \
	    "dbname=postgres user=postgres connect_timeout=2"
}
node_show() {	# node_show NODE SETTING
	ip netns exec "$CLIENT_NS" psql "$(node_conninfo "$1")" -XAtqc \
	    "SHOW $2"
}

check "pgha group offline db1" pgha_on node1 group offline db1
check "db1 offline on every node" wait_until 60 holds_none node1 node2
# No pghad: nothing may act on the server started by hand.
"$LAB" kill-pghad node1 >/dev/null 2>&1
"$LAB" kill-pghad node2 >/dev/null 2>&1
check "node1: server started by hand with fsync=off" \
    byhand_start node1 "-c fsync=off"
is "$(node_show node1 fsync)" off "node1's server runs with fsync off"
WRITER_LOG=$OUT_DIR/off.writer.log
rm -f "$WRITER_LOG"
ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" -c "$(node_conninfo node1)" \
    -i 5 -d 1 -o "$BENCH_WORK/off.table.log" >/dev/null 2>&1
# The table on the disk for sure: sync(2) flushes every file system.
check "node1: sync" "$LAB" exec node1 sync
ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" -c "$(node_conninfo node1)" \
    -i 5 -o "$WRITER_LOG" >"$OUT_DIR/off.writer.out" 2>&1 &
WRITER_PID=$!
check "the writer commits on node1" writer_wait_more 200 30
"$LAB" crash node1 >"$OUT_DIR/off.crash.lab" 2>&1
writer_stop
(( VOLATILE )) && echo "# disk after the loss: $(tr '\n' ';' <"$VDISK_CTL")"
check "node2: the server started by hand on the same disk" byhand_start node2
ip netns exec "$CLIENT_NS" "$PGHA_BUILD/pgha-writer" --verify \
    -c "$(node_conninfo node2)" -o "$WRITER_LOG" >"$OUT_DIR/off.verify" 2>&1
off_acked=$(kv "$OUT_DIR/off.verify" acked)
off_lost=$(kv "$OUT_DIR/off.verify" lost)
echo "# fsync=off: acked=$off_acked lost=$off_lost"
if (( VOLATILE )); then
	check "fsync=off: a power loss lost acknowledged commits ($off_lost of $off_acked)" \
	    test "${off_lost:-0}" -gt 0 -a "$off_lost" != unknown
else
	echo "# plain disk: fsync=off, a power loss lost $off_lost of $off_acked (not asserted)"
fi
echo "fsync=off by hand, one power loss: acknowledged $off_acked, lost $off_lost" >>"$SUMMARY"
"$LAB" exec node2 runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$LAB_DATA" \
    -w -m fast stop >/dev/null
"$LAB" exec node2 umount "$LAB_MOUNT"
"$LAB" start-pghad node2 >/dev/null 2>&1
"$LAB" restore node1 >"$OUT_DIR/off.restore.lab" 2>&1
check "both nodes online again" wait_until 60 node_is node2 node1 online
check "pgha group online db1" pgha_on node2 group online db1
check "db1 online again" wait_until 60 client_sql "SELECT 1"

# ---------------------------------------------------------------- 3. defaults

echo "# -- 3. pgha's defaults: $LOSSES power losses under pgbench"
loaded=$(client_sql "SELECT pg_conf_load_time()")
check "ALTER SYSTEM SET fsync = off" client_sql "ALTER SYSTEM SET fsync = off"
check "ALTER SYSTEM SET full_page_writes = off" \
    client_sql "ALTER SYSTEM SET full_page_writes = off"
check "SELECT pg_reload_conf()" client_sql "SELECT pg_reload_conf()" >/dev/null
# pg_reload_conf only signals: wait until the server has read the files.
conf_reloaded() {
	[[ $(client_sql "SELECT pg_conf_load_time() > '$loaded'") == t ]]
}
check "the server reloaded its configuration" wait_until 10 conf_reloaded
is "$(client_sql 'SHOW fsync')" on "the server runs with fsync on despite ALTER SYSTEM"
is "$(client_sql 'SHOW full_page_writes')" on \
    "the server runs with full_page_writes on despite ALTER SYSTEM"

# pgha validate: what the files say, with the fix.
VJ=$BENCH_WORK/validate.json
validate_json() { pgha_on "$(owner)" validate --json >"$VJ" 2>&1; }
finding() {	# finding LEVEL SETTING: the owner's finding, compact JSON
	jq -c --arg l "$1" --arg s "$2" --arg n "$(owner)" '[.nodes[] |
	    select(.node == $n) | .findings[] |
	    select(.level == $l and .setting == $s)] | .[0]' "$VJ"
}
has_finding() {	# has_finding LEVEL SETTING FIX-SUBSTRING
	jq -e --arg f "$3" '.fix | contains($f)' <<<"$(finding "$1" "$2")" \
	    >/dev/null
}
validate_json
for s in fsync full_page_writes; do
	echo "# validate: $(finding error "$s")"
	check "validate: $s = off in postgresql.auto.conf is an error, with the fix" \
	    has_finding error "$s" "set $s = on in $LAB_DATA/postgresql.auto.conf"
done
check "ALTER SYSTEM SET synchronous_commit = off" \
    client_sql "ALTER SYSTEM SET synchronous_commit = off"
check "ALTER SYSTEM SET wal_sync_method = open_datasync" \
    client_sql "ALTER SYSTEM SET wal_sync_method = open_datasync"
validate_json
echo "# validate: $(finding error synchronous_commit)"
check "validate: synchronous_commit = off is an error, with the fix" \
    has_finding error synchronous_commit "set synchronous_commit = on"
echo "# validate: $(finding warning wal_sync_method)"
check "validate: wal_sync_method = open_datasync is a warning, with the fix" \
    has_finding warning wal_sync_method "pg_test_fsync"
echo "# validate: $(finding warning data_checksums)"
check "validate: data checksums off (the lab's initdb) is a warning, with the fix" \
    has_finding warning data_checksums "pg_checksums --enable"
check "ALTER SYSTEM RESET synchronous_commit" \
    client_sql "ALTER SYSTEM RESET synchronous_commit"
check "ALTER SYSTEM RESET wal_sync_method" \
    client_sql "ALTER SYSTEM RESET wal_sync_method"
validate_json
is "$(finding error synchronous_commit)" null "validate: reset, no synchronous_commit finding"
check "pgbench -i -s $BENCH_SCALE" pgbench_ready "$BENCH_SCALE"
pgbench_script >"$BENCH_WORK/pgbench.sql"
total_acked=0 total_lost=0 total_dropped=0
printf '%-5s %-6s %8s %5s %8s %12s %8s\n' loss node acked lost in_doubt downtime_ms dropped >>"$SUMMARY"
for (( i = 1; i <= LOSSES; i++ )); do
	own=$(owner)
	k=${own#node}
	d0=$(vd_field "$k" dropped)
	if ! pgbench_start "l$i"; then
		not_ok "loss $i: pgbench did not commit"
		pgbench_finish 1 >/dev/null
		break
	fi
	"$LAB" crash "$own" >"$OUT_DIR/loss$i.lab" 2>&1
	t0=$(sed -n 's/^crashed [^ ]* at \([0-9]*\) .*/\1/p' "$OUT_DIR/loss$i.lab")
	wait_until 60 client_sql "SELECT 1"
	down=$(( $(lab_ms) - ${t0:-0} ))
	rc=$(pgbench_finish 30)
	chk=$(pgbench_check "l$i" "$rc")
	echo "$chk" >>"$BENCH_WORK/pgbench.jsonl"
	acked=$(jq -r '.acked // 0' <<<"$chk") lost=$(jq -r '.lost // "null"' <<<"$chk")
	# The table itself gone (it was never flushed): every
	# acknowledged transaction is lost.
	if [[ $lost == null ]] && grep -q 'does not exist' \
	    "$BENCH_WORK/pgb.l$i.rows.err" 2>/dev/null; then
		acked=$(cat "$BENCH_WORK/pgb.l$i.log".* 2>/dev/null | wc -l)
		lost=$acked
		echo "# loss $i: $(head -1 "$BENCH_WORK/pgb.l$i.rows.err")"
	fi
	dropped=$(( $(vd_field "$k" dropped) - d0 ))
	printf '%-5s %-6s %8s %5s %8s %12s %8s\n' "$i" "$own" "$acked" "$lost" \
	    "$(jq -r '.in_doubt // "-"' <<<"$chk")" "$down" "$dropped" >>"$SUMMARY"
	echo "# loss $i of $own: $chk downtime_ms=$down dropped_blocks=$dropped"
	is "$lost" 0 "loss $i ($own): no acknowledged transaction lost ($acked acknowledged)"
	check "loss $i: the row-by-row check is sound" \
	    test "$(jq -r .unsound <<<"$chk")" = false -a "$acked" -gt 0
	total_acked=$(( total_acked + ${acked:-0} ))
	[[ $lost =~ ^[0-9]+$ ]] && total_lost=$(( total_lost + lost ))
	total_dropped=$(( total_dropped + dropped ))
	"$LAB" restore "$own" >"$OUT_DIR/restore$i.lab" 2>&1
	check "loss $i: $own back in the cluster" \
	    wait_until 60 node_is "$(other "$own")" "$own" online
done
is "$(client_sql 'SHOW fsync')" on "after the losses: fsync still on"
echo "total: $LOSSES losses, acknowledged $total_acked, lost $total_lost, unflushed blocks dropped $total_dropped" >>"$SUMMARY"
sed 's/^/# /' "$SUMMARY"
done_testing
