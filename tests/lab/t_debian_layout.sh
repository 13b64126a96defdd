#!/bin/bash
# Debian's own layout (issue 22): a cluster made with the real
# pg_createcluster keeps its configuration outside the data directory.
# The data goes to the shared disk, the configuration to each node's own
# disk (config_dir, the same on every node); the group comes online and
# moves with a setting of that configuration in force, and pgha validate
# names a file that differs on one node.
#
# pg_createcluster writes where PG_CLUSTER_CONF_ROOT says: /run/pgha-debian,
# private to each lab node like the rest of /run, so /etc/postgresql and
# the host are left alone; its log goes there too (-l).
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

ROOT=/run/pgha-debian
CONF=$ROOT/15/pghalab
v=$OUT_DIR/validate.json

jqe() { jq -e "$@" >/dev/null; }
validate_json() {	# validate_json NODE: exit status of validate --json
	pgha_on "$1" validate --json >"$v" 2>"$v.err"
}
show() {	# show NODE SETTING: SHOW on the node's local server
	local_sql "$1" "SHOW $2"
}

PGHA_LAB_NO_DB=1 PGHA_LAB_AUTOSTART=no \
    PGHA_LAB_PG_EXTRA="config_dir = $CONF" lab_fresh
is "$(group_field node1 state)" offline "db1 offline (autostart = no)"

# ------------------------- db init refuses; pg_createcluster on node1
check "pgha resource online db1-disk" pgha_on node1 resource online db1-disk
check "the disk is mounted on node1" node_has_mount node1
out=$(pgha_on node1 db init db1 2>&1); rc=$?
check "pgha db init with config_dir: refused (exit $rc)" test "$rc" != 0
check "the refusal names config_dir and pg_createcluster" \
    grep -q "config_dir.*pg_createcluster -d /srv/db1/data" <<<"$out"
echo "# $(tail -1 <<<"$out")"
check "db init created nothing" "$LAB" exec node1 test ! -e /srv/db1/data
"$LAB" exec node1 mkdir -p "$ROOT/log"
out=$("$LAB" exec node1 env PG_CLUSTER_CONF_ROOT="$ROOT" \
    pg_createcluster -d /srv/db1/data -p 5432 --start-conf=manual \
    -l "$ROOT/log/postgresql.log" 15 pghalab 2>&1); rc=$?
sed 's/^/#   /' <<<"$out"
is "$rc" 0 "pg_createcluster -d /srv/db1/data 15 pghalab: exit 0"
check "postgresql.conf is in $CONF, not in the data directory" \
    "$LAB" exec node1 sh -c "[ -f $CONF/postgresql.conf ] &&
    [ -f $CONF/pg_hba.conf ] && [ ! -e /srv/db1/data/postgresql.conf ] &&
    [ -f /srv/db1/data/PG_VERSION ]"
check "its postgresql.conf names the data directory" \
    "$LAB" exec node1 grep -q "^data_directory = '/srv/db1/data'" \
    "$CONF/postgresql.conf"
# What the operator adds (docs/deploy.md): clients from the lab's net, the
# in-place restart off, the log's rotation; and a setting to look for, in
# conf.d.
"$LAB" exec node1 sh -c "
    echo 'host all all 198.18.0.0/15 trust' >>$CONF/pg_hba.conf &&
    printf \"listen_addresses = '*'\nrestart_after_crash = off\nwork_mem = '7MB'\n\" \
        >$CONF/conf.d/pgha-lab.conf &&
    printf \"logging_collector = on\nlog_directory = 'log'\nlog_filename = 'postgresql-%%a.log'\nlog_truncate_on_rotation = on\nlog_rotation_age = 1d\nlog_rotation_size = 0\n\" \
        >>$CONF/conf.d/pgha-lab.conf && chown postgres: $CONF/conf.d/pgha-lab.conf"
check "pgha resource offline db1-disk" pgha_on node1 resource offline db1-disk
# Copy the configuration to node2, byte for byte (rsync -a in real life).
"$LAB" exec node1 tar -C "$ROOT" -cf - . |
    "$LAB" exec node2 sh -c "mkdir -p $ROOT && tar -C $ROOT -xpf -"
check "node2 has its copy" "$LAB" exec node2 test -f "$CONF/postgresql.conf"

# ------------------------------------------------ online, then a move
check "pgha group online db1" pgha_on node1 group online db1
check "db1 online on node1" wait_online_on node1
is "$(show node1 config_file)" "$CONF/postgresql.conf" \
    "node1: config_file is config_dir's"
is "$(show node1 hba_file)" "$CONF/pg_hba.conf" "node1: hba_file too"
is "$(show node1 data_directory)" /srv/db1/data \
    "node1: data_directory the shared disk's"
is "$(show node1 work_mem)" 7MB "node1: work_mem from config_dir/conf.d"
check "node1: the server logs to /srv/db1/data/log/postgresql-DAY.log" \
    "$LAB" exec node1 grep -Eqx \
    'stderr log/postgresql-(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.log' \
    /srv/db1/data/current_logfiles
check "pgha group move db1 --to node2" \
    pgha_on node1 group move db1 --to node2 --wait=60
check "db1 online on node2" wait_online_on node2
is "$(show node2 config_file)" "$CONF/postgresql.conf" \
    "node2: config_file is its own config_dir's"
is "$(show node2 work_mem)" 7MB "node2: work_mem from its config_dir"
is "$(client_sql "SELECT 1")" 1 "a client reaches it through the access point"

# ---------------------------------------------------------------- validate
validate_json node1; rc=$?
is "$rc" 0 "pgha validate: exit 0"
is "$(jq -r .errors "$v")" 0 "validate: no error"
check "validate: config_dir the same on both nodes" jqe --arg d "$CONF" \
    '.cluster[] | select(.kind == "ok" and .setting == "config_dir") |
    .message | contains($d) and contains("2 nodes")' "$v"
check "validate: each node reported its config_dir files" jqe \
    '[.nodes[] | .findings[] | select(.kind == "fact" and
    .name == "config_dir") | .files["pg_hba.conf"]] | length == 2' "$v"

echo "# -- pg_hba.conf edited on node1 only (db1 runs on node2)"
"$LAB" exec node1 sh -c "echo 'host all all 198.18.9.0/24 trust' >>$CONF/pg_hba.conf"
validate_json node2; rc=$?
is "$rc" 1 "validate with pg_hba.conf differing on node1: exit 1"
f=$(jq -c '[.cluster[] | select(.level == "error" and
    .setting == "config_dir")] | .[0]' "$v")
echo "# $f"
check "an error naming pg_hba.conf and node1" jqe --arg d "$CONF" \
    '.message | contains("pg_hba.conf differs on node1") and
    contains("from node2") and contains($d)' <<<"$f"
check "with a fix that copies it from node2 to node1" jqe \
    '.fix | contains("pg_hba.conf from node2 to node1")' <<<"$f"
is "$(jq -r .errors "$v")" 1 "one error"
out=$(pgha_on node2 validate 2>&1)
check "text output: the error and its fix" grep -q \
    "fix: copy $CONF/pg_hba.conf from node2 to node1" <<<"$out"

echo "# -- a file only on node1, and a world-writable one"
"$LAB" exec node1 sh -c "sed -i '\$d' $CONF/pg_hba.conf &&
    echo 'temp_buffers = 16MB' >$CONF/conf.d/extra.conf &&
    chmod o+w $CONF/pg_ident.conf"
validate_json node2; rc=$?
is "$rc" 1 "validate: exit 1"
check "conf.d/extra.conf is on node1 but not on node2" jqe \
    '[.cluster[] | select(.level == "error") | .message |
    select(contains("conf.d/extra.conf is on node1 but not on node2"))] |
    length == 1' "$v"
check "node1: pg_ident.conf writable by every user, fix chmod o-w" jqe \
    --arg p "$CONF/pg_ident.conf" '[.nodes[] | select(.node == "node1") |
    .findings[] | select(.level == "error" and .path == $p and
    .fix == "chmod o-w " + $p)] | length == 1' "$v"
is "$(jq -r .errors "$v")" 2 "two errors, pg_hba.conf no longer one"
"$LAB" exec node1 sh -c "rm $CONF/conf.d/extra.conf &&
    chmod o-w $CONF/pg_ident.conf"
validate_json node2; rc=$?
is "$rc" 0 "restored: validate exit 0"
check "db1 still online on node2" online_on node2
done_testing
