#!/bin/bash
# test_pgcheck.sh - lab test of "pgha-agent postgresql validate" and
# "pgha-agent postgresql init" against two real ext4 disks on loop devices
# (disk A for data, disk B for WAL and backups) and a real PostgreSQL 15.
# Run as root: tests/lab/test_pgcheck.sh [BUILD_DIR].  Self-contained: its
# scratch world is /var/tmp/pgha-pgcheck-test; the disks are mounted in a
# private mount and network namespace held by one process (marked
# pghaP-holder), so nothing reaches the host; leftovers of a killed earlier
# run are removed first.  Prints TAP and a closing "N passed, N failed".

set -u

BUILD=${1:-build}
AGENT=$(realpath "$BUILD/pgha-agent")
DIR=/var/tmp/pgha-pgcheck-test
MA=$DIR/a			# group disk A
MB=$DIR/b			# group disk B
LOCAL=$DIR/local		# this node's own file system (not a group disk)
SOCK=$DIR/sock
PGBIN=/usr/lib/postgresql/15/bin
PORT=54391
DATA=$MA/pg/data

npass=0
nfail=0
ntest=0
HOLDER=

ok() {
	ntest=$((ntest + 1))
	if [ "$1" = 0 ]; then
		npass=$((npass + 1))
		echo "ok $ntest - $2"
	else
		nfail=$((nfail + 1))
		echo "not ok $ntest - $2"
		[ -n "${OUT:-}" ] && echo "$OUT" | sed 's/^/#   out: /'
		[ -n "${ERR:-}" ] && echo "$ERR" | sed 's/^/#   err: /'
	fi
}

# check DESCRIPTION COMMAND...: one test from a command's exit status
check() {
	local what=$1
	shift
	"$@"
	ok $? "$what"
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_until SECONDS COMMAND...: poll every 20 ms until it holds
wait_until() {
	local until=$(($(ms) + $1 * 1000))
	shift
	while ! "$@"; do
		[ "$(ms)" -ge "$until" ] && return 1
		sleep 0.02
	done
	return 0
}

# pid runs something we marked by argv[0]
marked() {
	tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q '^pghaP-'
}

# postgres servers on our disks: exe is postgres, cwd below $DIR
our_servers() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$PGBIN/postgres" ] ||
		    continue
		case $(readlink "$p/cwd" 2>/dev/null) in
		"$DIR"/*) echo "${p#/proc/}" ;;
		esac
	done
}

cleanup() {
	local pid dev
	for pid in $(our_servers); do
		kill -KILL "$pid" 2>/dev/null
	done
	if [ -f "$DIR/pids" ]; then
		for pid in $(cat "$DIR/pids"); do
			marked "$pid" && kill -KILL "$pid" 2>/dev/null
		done
	fi
	[ -n "$HOLDER" ] && { wait "$HOLDER"; } 2>/dev/null
	HOLDER=
	# the mount namespace (and the mounts) go with their last process
	for img in "$DIR/a.img" "$DIR/b.img"; do
		[ -f "$img" ] || continue
		for dev in $(losetup -j "$img" -O NAME -n 2>/dev/null); do
			wait_until 5 losetup -d "$dev" 2>/dev/null
		done
	done
	rm -rf "$DIR"
}

# make_disk NAME: an ext4 image on a loop device; prints the device
make_disk() {
	local dev
	truncate -s 128M "$DIR/$1.img" || return 1
	dev=$(losetup -f --show "$DIR/$1.img") || return 1
	# with multi-mount protection, as docs/deploy.md has it
	mkfs.ext4 -q -F -O mmp -E mmp_update_interval=1 "$dev" >/dev/null ||
	    return 1
	echo "$dev"
}

setup() {
	mkdir -p "$DIR" "$MA" "$MB" "$LOCAL" || return 1
	LOOPA=$(make_disk a) && LOOPB=$(make_disk b) || return 1
	# The node: private mount and network namespaces held by one
	# process; every call enters them.
	unshare -m -n --propagation private -- \
	    bash -c 'exec -a pghaP-holder sleep 100000' </dev/null &
	HOLDER=$!
	echo "$HOLDER" >>"$DIR/pids"
	wait_until 5 marked "$HOLDER" || return 1
	wait_until 5 sh -c "[ \"\$(readlink /proc/$HOLDER/ns/mnt)\" != \
	    \"\$(readlink /proc/self/ns/mnt)\" ]" || return 1
	in_node ip link set lo up &&
	in_node mount -t ext4 "$LOOPA" "$MA" &&
	in_node mount -t ext4 "$LOOPB" "$MB"
}

# in_node COMMAND...: run inside the node's namespaces
in_node() {
	nsenter -t "$HOLDER" -m -n -- "$@"
}

# pg ACTION HERE [VAR=VALUE...]: run the agent as pghad would, with the
# group's disks A and B; the VAR=VALUEs override.  Sets RC, OUT, ERR, MS.
pg() {
	local act=$1 here=$2 t0
	shift 2
	t0=$(ms)
	OUT=$(in_node env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    PGHA_TIMEOUT_MS=30000 OCF_RESOURCE_INSTANCE=t-pg \
	    OCF_RESKEY_data="$DATA" OCF_RESKEY_port=$PORT \
	    OCF_RESKEY_user=postgres OCF_RESKEY_bindir=$PGBIN \
	    OCF_RESKEY_socket_dir="$SOCK" OCF_RESKEY_logfile="$DIR/pg.log" \
	    OCF_RESKEY_waldir="$MB/wal" OCF_RESKEY_backup_dir="$MB/backup" \
	    PGHA_GROUP_MOUNTS="$MA $MB" PGHA_GROUP_HERE="$here" \
	    PGHA_CHECK_PATHS= "$@" "$AGENT" postgresql "$act" \
	    2>"$DIR/err")
	RC=$?
	MS=$(($(ms) - t0))
	ERR=$(cat "$DIR/err")
	echo "# $act here=$here: rc=$RC ${MS}ms${ERR:+: $(tail -1 "$DIR/err")}"
}

# jq_any FILTER: some output object satisfies the boolean filter
jq_any() {
	echo "$OUT" | jq -e -s "any(.[]; $1)" >/dev/null
}
jq_none() {
	echo "$OUT" | jq -e -s "all(.[]; ($1) | not)" >/dev/null
}
all_json() {
	[ -n "$OUT" ] && echo "$OUT" | jq -e -s 'length > 0' >/dev/null
}
no_errors() {
	jq_none '.kind == "finding" and .level == "error"'
}
# err_for SETTING: an error finding on that setting
err_for() {
	jq_any ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"$1\""
}

test_init_refuses() {
	pg init 1 OCF_RESKEY_data="$LOCAL/data"
	check "init: data on the root fs -> 6 (got $RC)" [ "$RC" = 6 ]
	check "init: the error names data and the path" \
	    grep -q "parameter data: $LOCAL/data is not on any of the group" \
	    "$DIR/err"
	check "init: nothing created on the root fs" [ ! -e "$LOCAL/data" ]

	pg init 1 OCF_RESKEY_waldir="$LOCAL/wal"
	check "init: waldir on the root fs -> 6 (got $RC)" [ "$RC" = 6 ]
	check "init: the error names waldir" \
	    grep -q "parameter waldir: $LOCAL/wal is not on" "$DIR/err"
	check "init: data not created either" [ ! -e "$MA/pg" ]

	in_node mkdir -p "$MA/busy/data"
	in_node sh -c "echo precious >$MA/busy/data/file"
	pg init 1 OCF_RESKEY_data="$MA/busy/data"
	check "init: non-empty data -> 1 (got $RC)" [ "$RC" = 1 ]
	check "init: says it does not overwrite a cluster" \
	    grep -q "$MA/busy/data exists and is not empty: pgha db init" \
	    "$DIR/err"
	check "init: the file is untouched, no initdb ran" in_node sh -c \
	    "[ \"\$(cat $MA/busy/data/file)\" = precious ] &&
	    [ ! -e $MA/busy/data/PG_VERSION ] && [ ! -e $MB/wal ]"

	pg init 0
	check "init with PGHA_GROUP_HERE=0 -> 1 (got $RC)" [ "$RC" = 1 ]
}

test_init() {
	pg init 1
	check "init: data A, WAL B, backup B -> 0 (got $RC)" [ "$RC" = 0 ]
	check "init: printed the initdb step" \
	    sh -c "echo \"\$0\" | grep -q '^initdb: done'" "$OUT"
	check "init: PG_VERSION is 15" \
	    [ "$(in_node cat "$DATA/PG_VERSION")" = 15 ]
	check "init: pg_wal is a link to $MB/wal" \
	    [ "$(in_node readlink "$DATA/pg_wal")" = "$MB/wal" ]
	check "init: the pgha block is in postgresql.conf" in_node sh -c \
	    "grep -q '^# written by pgha db init' $DATA/postgresql.conf &&
	    grep -q '^restart_after_crash = off' $DATA/postgresql.conf &&
	    grep -q '^port = $PORT' $DATA/postgresql.conf"
	check "init: backup_dir is postgres's, 0700" [ "$(in_node stat -c \
	    '%U %a' "$MB/backup")" = "postgres 700" ]
	check "init: data parents are root's" [ "$(in_node stat -c \
	    '%U %a' "$MA/pg")" = "root 755" ]
	pg start 1
	check "the new cluster starts (got $RC)" [ "$RC" = 0 ]
	check "it runs with the written port and its WAL on B" \
	    [ "$(in_node runuser -u postgres -- psql -X -At -h "$SOCK" \
	    -p $PORT -d postgres -c 'SHOW port')" = $PORT ]
	pg stop 1
	check "and stops (got $RC)" [ "$RC" = 0 ]
}

test_validate_good() {
	local uid gid
	uid=$(id -u postgres)
	gid=$(id -g postgres)
	pg validate 1
	check "validate good layout -> 0 (got $RC)" [ "$RC" = 0 ]
	check "validate: every line is JSON" all_json
	check "validate: no error findings" no_errors
	check "validate: no warning (data A, WAL B, backup B)" \
	    jq_none '.kind == "finding"'
	check "validate: user fact with uid $uid gid $gid" jq_any \
	    ".kind == \"fact\" and .name == \"user\" and .uid == $uid and
	    .gid == $gid and .user == \"postgres\""
	check "validate: ok for data on a group disk" jq_any \
	    ".kind == \"ok\" and .check == \"data\""
	check "validate: ok for restart_after_crash" jq_any \
	    '.kind == "ok" and .check == "restart_after_crash"'
	check "validate: ok for the version" jq_any \
	    '.kind == "ok" and .check == "version"'
	check "validate: findings name the resource" jq_none \
	    '.kind == "finding" and .resource != "t-pg"'
	check "validate: no port fact where the group is active" jq_none \
	    '.kind == "fact" and .name == "port"'
	check "validate: socket_dir is no local_path (start creates it)" \
	    jq_none '.kind == "fact" and .name == "local_path"'

	in_node install -d -o postgres -g postgres -m 700 "$MA/backup"
	pg validate 1 OCF_RESKEY_backup_dir="$MA/backup"
	check "validate: backup on data's disk -> warning" jq_any \
	    '.kind == "finding" and .level == "warning" and
	    .setting == "backup_dir" and (.message | test("same disk"))'
	check "validate: ... and still no error" no_errors

	pg validate 1 OCF_RESKEY_waldir="$MA/elsewhere"
	check "validate: waldir not pg_wal's target -> error" err_for waldir

	pg validate 1 OCF_RESKEY_data=relative
	check "validate: relative data -> 6 (got $RC)" [ "$RC" = 6 ]
}

test_validate_same_disk() {
	pg init 1 OCF_RESKEY_data="$MA/pg2/data" OCF_RESKEY_waldir= \
	    OCF_RESKEY_backup_dir=
	check "init without waldir -> 0 (got $RC)" [ "$RC" = 0 ]
	pg validate 1 OCF_RESKEY_data="$MA/pg2/data" OCF_RESKEY_waldir= \
	    OCF_RESKEY_backup_dir=
	check "validate: data and WAL on one disk -> warning" jq_any \
	    '.kind == "finding" and .level == "warning" and
	    .setting == "waldir" and (.message | test("same disk"))'
	check "validate: ... and no error" no_errors
}

# Disk B's file system without ext4 multi-mount protection: a warning that
# names the disk and the fix; with it, an ok.
test_validate_mmp() {
	pg validate 1
	check "validate: ok for multi-mount protection" jq_any \
	    ".kind == \"ok\" and .check == \"mmp\""
	in_node umount "$MB" && tune2fs -O ^mmp "$LOOPB" >/dev/null &&
	    in_node mount -t ext4 "$LOOPB" "$MB"
	pg validate 1
	check "validate: disk without MMP -> 0 (a warning only; got $RC)" \
	    [ "$RC" = 0 ]
	check "validate: disk without MMP -> warning naming it and the fix" \
	    jq_any ".kind == \"finding\" and .level == \"warning\" and
	    .path == \"$MB\" and (.message | test(\"multi-mount\")) and
	    (.fix | test(\"tune2fs -O mmp .*$LOOPB\"))"
	in_node umount "$MB" &&
	    tune2fs -O mmp -E mmp_update_interval=1 "$LOOPB" >/dev/null &&
	    in_node mount -t ext4 "$LOOPB" "$MB"
}

test_validate_conf() {
	local fix="set restart_after_crash = off in $DATA/postgresql.auto.conf"

	# postgresql.auto.conf is read last and wins
	in_node sh -c "echo \"restart_after_crash = 'on'\" \
	    >>$DATA/postgresql.auto.conf"
	pg validate 1
	check "validate: restart_after_crash = on -> error" jq_any \
	    ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"restart_after_crash\" and
	    .fix == \"$fix\""
	in_node sed -i '/^restart_after_crash/d' "$DATA/postgresql.auto.conf"

	# an include naming a log directory on this node's own disk
	mkdir -p "$LOCAL/log"
	in_node sh -c "echo \"log_directory = '$LOCAL/log'\" \
	    >$DATA/extra.conf &&
	    echo \"include 'extra.conf'   # for the test\" \
	    >>$DATA/postgresql.conf && echo 'port = 5999' >>$DATA/extra.conf"
	pg validate 1
	check "validate: log_directory off the disks -> local_path fact" \
	    jq_any ".kind == \"fact\" and .name == \"local_path\" and
	    .setting == \"log_directory\" and .path == \"$LOCAL/log\""
	check "validate: port = 5999 in an include -> warning" jq_any \
	    '.kind == "finding" and .level == "warning" and
	    .setting == "port" and (.message | test("5999"))'
	check "validate: ... no error" no_errors
	rmdir "$LOCAL/log"
	pg validate 1
	check "validate: a missing log_directory -> error" \
	    err_for log_directory
	in_node sed -i '/^include /d' "$DATA/postgresql.conf"

	# a tablespace on the root fs, linked by hand as CREATE TABLESPACE
	# would
	install -d -o postgres -g postgres -m 700 "$LOCAL/ts"
	in_node ln -s "$LOCAL/ts" "$DATA/pg_tblspc/99999"
	pg validate 1
	check "validate: tablespace on the root fs -> error" jq_any \
	    ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"tablespace\" and .path == \"$LOCAL/ts\""
	in_node rm "$DATA/pg_tblspc/99999"

	in_node sh -c "echo 14 >$DATA/PG_VERSION"
	pg validate 1
	check "validate: PG_VERSION 14 with a 15 server -> error" \
	    err_for bindir
	in_node sh -c "echo 15 >$DATA/PG_VERSION"

	pg validate 1 PGHA_CHECK_PATHS="log_directory=$DIR/nope/log \
	    hba_file=$DATA/pg_hba.conf"
	fix="mkdir -p $DIR/nope/log && chown postgres: $DIR/nope/log"
	check "validate: missing PGHA_CHECK_PATHS dir -> error with fix" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"log_directory\" and .path == \"$DIR/nope/log\" and
	    .fix == \"$fix\""
	check "validate: an existing PGHA_CHECK_PATHS file -> ok" jq_any \
	    ".kind == \"ok\" and .check == \"local_path\" and
	    (.message | test(\"hba_file\"))"
	pg validate 1
	check "validate: the cluster is back to no errors" no_errors
}

# Files the server's user names in its configuration are read as that
# user, only if regular and not too big: validate runs as root.
test_validate_hostile() {
	local wrap="timeout -s KILL 20 prlimit --as=$((512 << 20)) --"

	in_node sh -c "cp $DATA/postgresql.conf $DIR/postgresql.conf.saved"
	# a root-only file: its settings must not reach the output
	printf 'port = 4242\n' >"$DIR/root-only.conf"
	chmod 600 "$DIR/root-only.conf"
	in_node sh -c "echo \"include '$DIR/root-only.conf'\" \
	    >>$DATA/postgresql.conf"
	pg validate 1
	check "validate: a root-only include is read as the server's user" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .path == \"$DIR/root-only.conf\" and
	    (.message | test(\"Permission denied\"))"
	check "validate: ... and nothing of it is shown" \
	    not_in_out 4242
	in_node sh -c "cp $DIR/postgresql.conf.saved $DATA/postgresql.conf"

	# a FIFO: validate must not wait for a writer
	in_node runuser -u postgres -- mkfifo "$DATA/fifo.conf"
	in_node sh -c "echo \"include 'fifo.conf'\" >>$DATA/postgresql.conf"
	pg validate 1 $wrap
	check "validate: an included FIFO does not hang it (rc $RC)" \
	    [ "$RC" != 137 ]
	check "validate: an included FIFO is an error naming it" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .path == \"$DATA/fifo.conf\" and
	    (.message | test(\"not a regular file\"))"
	in_node sh -c "cp $DIR/postgresql.conf.saved $DATA/postgresql.conf &&
	    rm $DATA/fifo.conf"

	# /dev/zero: one endless line (the limit keeps a failing run small)
	in_node sh -c "echo \"include '/dev/zero'\" >>$DATA/postgresql.conf"
	pg validate 1 $wrap
	check "validate: include '/dev/zero' is an error naming it (rc $RC)" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .path == \"/dev/zero\" and
	    (.message | test(\"not a regular file\"))"
	in_node sh -c "cp $DIR/postgresql.conf.saved $DATA/postgresql.conf"

	# a big regular file
	in_node runuser -u postgres -- sh -c "head -c 3000000 /dev/zero |
	    tr '\\0' '#' >$DATA/big.conf"
	in_node sh -c "echo \"include 'big.conf'\" >>$DATA/postgresql.conf"
	pg validate 1 $wrap
	check "validate: a 3 MB include is an error naming it (rc $RC)" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .path == \"$DATA/big.conf\" and
	    (.message | test(\"larger than\"))"
	in_node sh -c "cp $DIR/postgresql.conf.saved $DATA/postgresql.conf &&
	    rm $DATA/big.conf"
	pg validate 1
	check "validate: the cluster is back to no errors" no_errors
}

# bindir unset, as the cluster file leaves it: the binaries of the version
# DATA/PG_VERSION names (Debian's /usr/lib/postgresql/N/bin), a version
# that is not installed is refused naming the package, and db init takes
# the newest installed and says so.
test_bindir() {
	local nb=(OCF_RESKEY_bindir=) d5=$MA/pg5/data
	local -a p5=(OCF_RESKEY_bindir= OCF_RESKEY_data="$d5" OCF_RESKEY_waldir=
	    OCF_RESKEY_backup_dir= OCF_RESKEY_logfile="$DIR/pg5.log")

	pg validate 1 "${nb[@]}"
	check "validate, bindir unset: PostgreSQL 15 from PG_VERSION" jq_any \
	    ".kind == \"ok\" and .check == \"bindir\" and (.message |
	    contains(\"PostgreSQL 15 ($DATA/PG_VERSION): $PGBIN/postgres\"))"
	check "... a fact asks the other nodes for $PGBIN/postgres" jq_any \
	    ".kind == \"fact\" and .name == \"local_path\" and
	    .setting == \"bindir\" and .path == \"$PGBIN/postgres\""
	check "... no error" no_errors
	pg start 1 "${nb[@]}"
	check "start with bindir unset (got $RC)" [ "$RC" = 0 ]
	check "... runs $PGBIN/postgres" [ -n "$(our_servers)" ]
	pg monitor 1 "${nb[@]}"
	check "monitor with bindir unset (got $RC)" [ "$RC" = 0 ]
	pg stop 1 "${nb[@]}"
	check "stop with bindir unset (got $RC)" [ "$RC" = 0 ]
	check "... no server left" [ -z "$(our_servers)" ]

	in_node sh -c "echo 16 >$DATA/PG_VERSION"
	pg validate 1 "${nb[@]}"
	check "validate, PG_VERSION 16 not installed: error, postgresql-16" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"bindir\" and .path == \"$DATA/PG_VERSION\" and
	    (.message | test(\"install postgresql-16\"))"
	pg start 1 "${nb[@]}"
	check "start, PG_VERSION 16 not installed -> 5 (got $RC)" [ "$RC" = 5 ]
	check "... naming PG_VERSION and postgresql-16" grep -q \
	    "$DATA/PG_VERSION says PostgreSQL 16.*install postgresql-16" \
	    "$DIR/err"
	check "... and no server started" [ -z "$(our_servers)" ]
	in_node sh -c "echo 15 >$DATA/PG_VERSION"

	pg validate 0 "${nb[@]}" \
	    PGHA_CHECK_PATHS="bindir=/usr/lib/postgresql/99/bin/postgres"
	check "validate: the group's version not installed here -> error" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"bindir\" and
	    .fix == \"install postgresql-99 on this node (apt-get install postgresql-99)\""

	pg init 1 "${p5[@]}"
	check "init, bindir unset -> 0 (got $RC)" [ "$RC" = 0 ]
	check "init says which PostgreSQL it took" grep -qx \
	    "check: PostgreSQL 15 (newest installed): $PGBIN/initdb" <<<"$OUT"
	check "init turns the logging collector on, rotated daily" in_node \
	    sh -c "grep -qx 'logging_collector = on' $d5/postgresql.conf &&
	    grep -qx \"log_filename = 'postgresql-%a.log'\" $d5/postgresql.conf &&
	    grep -qx 'log_truncate_on_rotation = on' $d5/postgresql.conf &&
	    grep -qx 'log_rotation_age = 1d' $d5/postgresql.conf"
	pg start 1 "${p5[@]}"
	check "the new cluster starts (got $RC)" [ "$RC" = 0 ]
	check "its log is DATA/log/postgresql-DAY.log" in_node grep -Eqx \
	    'stderr log/postgresql-(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.log' \
	    "$d5/current_logfiles"
	check "... which says it is ready" in_node sh -c "grep -q \
	    'ready to accept connections' $d5/\$(cut -d' ' -f2 $d5/current_logfiles)"
	check "the logfile has only what came before the collector" in_node \
	    sh -c "grep -q 'redirecting log output to logging collector' \
	    $DIR/pg5.log && ! grep -q 'ready to accept' $DIR/pg5.log"
	pg stop 1 "${p5[@]}"

	# A failure after the collector started: its reason is in the
	# collector's file, and the agent shows it.
	in_node runuser -u postgres -- touch "$d5/recovery.signal"
	pg start 1 "${p5[@]}"
	check "start with recovery.signal, no restore_command -> 1 (got $RC)" \
	    [ "$RC" = 1 ]
	check "... the error names the collector's file" grep -q \
	    "last lines of $d5/log/postgresql-[A-Za-z]*\.log:" "$DIR/err"
	check "... and shows its reason" \
	    grep -q "must specify restore_command" "$DIR/err"
	# A failure before the collector starts: the logfile, not the
	# collector's file of the start before.
	in_node rm "$d5/recovery.signal"
	in_node sh -c "echo 'shared_buffers = nonsense' >>$d5/postgresql.auto.conf"
	pg start 1 "${p5[@]}"
	check "start with a bad setting -> 1 (got $RC)" [ "$RC" = 1 ]
	check "... the error names the logfile" \
	    grep -q "last lines of $DIR/pg5.log:" "$DIR/err"
	check "... and shows the bad setting, nothing of the last start" sh -c \
	    "grep -q 'invalid value for parameter \"shared_buffers\"' $DIR/err &&
	    ! grep -q -e restore_command -e 'Future log output' $DIR/err"
	in_node rm -rf "$MA/pg5"
}

# config_dir (Debian's layout): the configuration on this node's own disk,
# the data on the group's; init refuses, start and validate read it there.
test_config_dir() {
	local d4=$MA/pg4/data conf=$LOCAL/etc/15/main sum
	local -a cd=(OCF_RESKEY_data="$d4" OCF_RESKEY_waldir=
	    OCF_RESKEY_backup_dir= OCF_RESKEY_config_dir="$conf")

	pg init 1 "${cd[@]}"
	check "init with config_dir -> 6 (got $RC)" [ "$RC" = 6 ]
	check "init: the refusal names config_dir and pg_createcluster" \
	    grep -q "parameter config_dir: .*pg_createcluster -d $d4" \
	    "$DIR/err"
	check "init: nothing created" in_node [ ! -e "$MA/pg4" ]

	pg init 1 OCF_RESKEY_data="$d4" OCF_RESKEY_waldir= \
	    OCF_RESKEY_backup_dir=
	check "init a cluster to move the configuration of (got $RC)" \
	    [ "$RC" = 0 ]
	in_node install -d -m 755 "$LOCAL/etc" "$LOCAL/etc/15"
	in_node install -d -o postgres -g postgres -m 755 "$conf" \
	    "$conf/conf.d"
	in_node sh -c "cd $d4 && mv postgresql.conf pg_hba.conf \
	    pg_ident.conf $conf/ && chown postgres: $conf/* &&
	    echo \"data_directory = '$d4'\" >>$conf/postgresql.conf &&
	    echo \"include_dir = 'conf.d'\" >>$conf/postgresql.conf &&
	    echo \"work_mem = '7MB'\" >$conf/conf.d/pgha-test.conf"

	pg validate 1 "${cd[@]}"
	check "validate config_dir -> 0 (got $RC)" [ "$RC" = 0 ]
	check "validate config_dir: no error" no_errors
	sum=$(sha256sum "$conf/pg_hba.conf" | cut -d' ' -f1)
	check "validate config_dir: fact with each file's sha256" jq_any \
	    ".kind == \"fact\" and .name == \"config_dir\" and
	    .path == \"$conf\" and .files[\"pg_hba.conf\"] == \"$sum\" and
	    (.files[\"conf.d/pgha-test.conf\"] | length) == 64"
	check "validate config_dir: restart_after_crash read there" jq_any \
	    '.kind == "ok" and .check == "restart_after_crash"'

	pg start 1 "${cd[@]}"
	check "start with config_dir (got $RC)" [ "$RC" = 0 ]
	check "the server runs with config_dir's conf.d setting" \
	    [ "$(in_node runuser -u postgres -- psql -X -At -h "$SOCK" \
	    -p $PORT -d postgres -c 'SHOW work_mem')" = 7MB ]
	check "... its config_file and hba_file in config_dir" \
	    [ "$(in_node runuser -u postgres -- psql -X -At -h "$SOCK" \
	    -p $PORT -d postgres -c 'SHOW config_file' -c 'SHOW hba_file' |
	    tr '\n' ' ')" = "$conf/postgresql.conf $conf/pg_hba.conf " ]
	pg monitor 1 "${cd[@]}"
	check "monitor finds it running (got $RC)" [ "$RC" = 0 ]
	pg stop 1 "${cd[@]}"
	check "and it stops (got $RC)" [ "$RC" = 0 ]

	# the file's data_directory loses to the resource's data
	in_node sed -i "s|^data_directory = .*|data_directory = '$LOCAL'|" \
	    "$conf/postgresql.conf"
	pg validate 1 "${cd[@]}"
	check "validate: another data_directory in config_dir -> error" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"data_directory\" and
	    (.fix | test(\"set data_directory = '$d4' in $conf\"))"
	pg start 1 "${cd[@]}"
	check "start still runs the server on data (got $RC)" \
	    [ "$(in_node runuser -u postgres -- psql -X -At -h "$SOCK" \
	    -p $PORT -d postgres -c 'SHOW data_directory')" = "$d4" ]
	pg stop 1 "${cd[@]}"

	in_node chmod o+w "$conf/pg_hba.conf"
	pg validate 0 "${cd[@]}"
	check "validate away: world-writable pg_hba.conf -> error + fix" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .path == \"$conf/pg_hba.conf\" and .fix == \"chmod o-w $conf/pg_hba.conf\""
	in_node chmod 600 "$conf/pg_hba.conf"
	in_node chown root: "$conf/pg_hba.conf"
	pg validate 0 "${cd[@]}"
	check "validate away: pg_hba.conf unreadable by postgres -> error" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .path == \"$conf/pg_hba.conf\" and (.message | test(\"cannot be read by postgres\"))"
	pg validate 0 "${cd[@]}" OCF_RESKEY_config_dir="$LOCAL/nowhere"
	check "validate away: missing config_dir -> error naming it" \
	    jq_any ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"config_dir\" and .path == \"$LOCAL/nowhere\""
	in_node rm -rf "$MA/pg4" "$LOCAL/etc"
}

not_in_out() {
	! grep -q "$1" <<<"$OUT$ERR"
}

port_listening() {
	in_node awk -v p="$(printf ':%04X' $PORT)" \
	    '$2 ~ p"$" && $4 == "0A" { f = 1 } END { exit !f }' \
	    /proc/net/tcp /proc/net/tcp6
}

test_validate_away() {
	local spid

	pg validate 0
	check "validate away: disks mounted by hand -> error" \
	    err_for mountpoint
	in_node umount "$MA"
	in_node umount "$MB"

	pg validate 0
	check "validate away -> 0 (got $RC)" [ "$RC" = 0 ]
	check "validate away: no error" no_errors
	check "validate away: port fact, free" jq_any \
	    ".kind == \"fact\" and .name == \"port\" and .port == $PORT and
	    .free == true"
	check "validate away: user fact" jq_any \
	    '.kind == "fact" and .name == "user"'

	nsenter -t "$HOLDER" -m -n -- socat -u \
	    TCP-LISTEN:$PORT,reuseaddr OPEN:/dev/null </dev/null &
	spid=$!
	check "socat listens on $PORT" wait_until 5 port_listening
	pg validate 0
	check "validate away: port fact, not free" jq_any \
	    ".kind == \"fact\" and .name == \"port\" and .free == false"
	check "validate away: error names the port and socat" jq_any \
	    ".kind == \"finding\" and .level == \"error\" and
	    .setting == \"port\" and (.message | test(\"$PORT.*socat\"))"
	kill -KILL "$spid"
	wait "$spid" 2>/dev/null

	# a data directory on this node's own disk under the mountpoint
	in_node install -d -o postgres -m 700 "$DATA"
	pg validate 0
	check "validate away: a local copy of data -> finding" jq_any \
	    '.kind == "finding" and .setting == "data" and
	    (.message | test("stale local copy"))'
	in_node rm -rf "$MA/pg"
}

test_init_timeout() {
	in_node mount -t ext4 "$LOOPA" "$MA"
	in_node mount -t ext4 "$LOOPB" "$MB"
	pg init 1 OCF_RESKEY_data="$MA/pg3/data" OCF_RESKEY_waldir= \
	    OCF_RESKEY_backup_dir= PGHA_TIMEOUT_MS=400
	check "init with a 400 ms timeout -> 1 (got $RC)" [ "$RC" = 1 ]
	check "init gave up within its timeout (${MS} ms)" [ "$MS" -lt 1000 ]
	check "init said initdb was stopped" grep -q "did not finish" \
	    "$DIR/err"
	check "no initdb or postgres of it left" wait_until 5 no_initdb_left
}

# no process of $PGBIN names pg3 (initdb) or works in it (postgres)
no_initdb_left() {
	local p
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
		"$PGBIN"/*) ;;
		*) continue ;;
		esac
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q pg3 && return 1
		readlink "$p/cwd" 2>/dev/null | grep -q pg3 && return 1
	done
	return 0
}

if [ "$(id -u)" != 0 ]; then
	echo "test_pgcheck.sh: must run as root" >&2
	exit 1
fi
if [ ! -x "$AGENT" ]; then
	echo "test_pgcheck.sh: no $BUILD/pgha-agent (make first)" >&2
	exit 1
fi
cleanup
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
if ! setup; then
	echo "Bail out! setup failed"
	exit 1
fi
test_init_refuses
test_init
test_validate_good
test_validate_mmp
test_validate_same_disk
test_validate_conf
test_validate_hostile
test_bindir
test_config_dir
test_validate_away
test_init_timeout
cleanup
echo "1..$ntest"
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
