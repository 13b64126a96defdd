#!/bin/bash
# Rolling upgrade: a two-node cluster of the previous release (7ef9114,
# built here from the repository) is upgraded to this build one node at a
# time, as an operator does it: pgha node stop, the daemon stopped, the
# package (here: the binaries) upgraded, the daemon started, pgha node
# start, the group moved onto it.  The upgraded node joins the old one
# (same cluster file, the previous release's hash), a client writes
# throughout: nothing acknowledged is lost and the group is never on two
# nodes.  PGHA_UPGRADE_FROM picks another previous commit.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

FROM=${PGHA_UPGRADE_FROM:-7ef9114}
REPO=$(cd "$LAB_TESTS_DIR/../.." && pwd)
NEW=$(readlink -f "$PGHA_BUILD")

# The previous release's build, cached by commit under /var/tmp.
old_build() {
	local sha dir
	sha=$(git -C "$REPO" rev-parse --short=12 "$FROM^{commit}") || return 1
	dir=/var/tmp/pgha-release-$sha
	if [[ ! -x $dir/build/pghad ]]; then
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" &&
		git -C "$REPO" archive "$sha" | tar -x -C "$dir.tmp" &&
		make -C "$dir.tmp" -j2 >"$OUT_DIR/upgrade-old-build.log" 2>&1 &&
		rm -rf "$dir" && mv "$dir.tmp" "$dir" || return 1
	fi
	echo "$dir/build"
}

OLD=$(old_build) || { not_ok "build $FROM (see $OUT_DIR/upgrade-old-build.log)"; done_testing; exit 1; }
ok "the previous release $FROM is built: $OLD"

declare -A ON=([node1]=$OLD [node2]=$OLD)
builds() { echo "node1=${ON[node1]} node2=${ON[node2]}"; }
export PGHA_LAB_NODE_BUILDS
PGHA_LAB_NODE_BUILDS=$(builds)

# The operator's pgha on a node is the one of the release it runs.
pgha_as() {	# pgha_as NODE ARGS...
	local node=$1
	shift
	"$LAB" exec "$node" "${ON[$node]}/pgha" "$@"
}
runs() {	# runs NODE BUILD: the node's pghad is that build's binary
	local pid
	pid=$(cat "$LAB_DIR/$1/pghad.pid" 2>/dev/null) || return 1
	[[ $(readlink -f "/proc/$pid/exe") == "$2/pghad" ]]
}
state_as() {	# state_as ASKER NODE: NODE's state, ASKER's own pgha
	pgha_as "$1" status --json 2>/dev/null |
	    jq -r ".nodes[] | select(.name == \"$2\") | .state"
}
is_state() { [[ $(state_as "$1" "$2") == "$3" ]]; }
owner_as() {	# owner_as ASKER: db1 online with all resources: its owner
	pgha_as "$1" status --json 2>/dev/null | jq -r '.groups[] |
	    select(.name == "db1") | select(.state == "online" and
	    all(.resources[]; .state == "online")) | .owner'
}
owned_by() { [[ $(owner_as "$1") == "$2" ]]; }	# ASKER NODE
pghad_gone() { ! kill -0 "$1" 2>/dev/null; }
declare -A FROM_LINE
log_since() {	# log_since NODE: its pghad.log since this build started
	tail -n +"${FROM_LINE[$1]:-1}" "$LAB_DIR/$1/pghad.log"
}

# One node's turn: stopped, its daemon stopped, upgraded, started again.
upgrade() {	# upgrade NODE OTHER
	local node=$1 other=$2 pid
	echo "# -- upgrading $node"
	check "pgha node stop $node" pgha_as "$node" node stop "$node"
	check "$other shows $node stopped" wait_until 30 \
	    is_state "$other" "$node" stopped
	check "db1 online on $other" wait_until 60 owned_by "$other" "$other"
	check "$node holds nothing of db1" holds_none "$node"
	pid=$(cat "$LAB_DIR/$node/pghad.pid")
	kill -TERM "$pid"
	check "$node: pghad exits on SIGTERM" wait_until 60 pghad_gone "$pid"
	ON[$node]=$NEW
	PGHA_LAB_NODE_BUILDS=$(builds)
	FROM_LINE[$node]=$(( $(wc -l <"$LAB_DIR/$node/pghad.log") + 1 ))
	"$LAB" start-pghad "$node" >/dev/null
	check "$node runs this build's pghad" runs "$node" "$NEW"
	check "$other sees $node back, still stopped" wait_until 60 \
	    is_state "$other" "$node" stopped
	check "$node sees $other online" wait_until 60 \
	    is_state "$node" "$other" online
	check "pgha node start $node" pgha_as "$node" node start "$node"
	check "$other sees $node online" wait_until 30 \
	    is_state "$other" "$node" online
	check "pgha group move db1 --to $node" \
	    pgha_as "$node" group move db1 --to "$node"
	check "db1 online on $node, as $other sees it" wait_until 60 \
	    owned_by "$other" "$node"
	check "and as $node sees it" wait_until 30 owned_by "$node" "$node"
	check "the client commits on $node" writer_wait_more 50 60
}

lab_fresh
check "node1 runs $FROM's pghad" runs node1 "$OLD"
check "node2 runs $FROM's pghad" runs node2 "$OLD"
check "db1 online on node1" wait_until 60 owned_by node1 node1

sampler_start
writer_start upgrade
writer_wait_more 50

upgrade node2 node1
log_since node2 | grep "sync complete" | sed 's/^/# node2: /'
check "node2 joined with the previous release's hash, and says so" \
    grep -q "sync complete: 2 member.*the previous release's hash" \
    <(log_since node2)
check "node1 ($FROM) took node2 as a member with its cluster file" \
    not grep -q "node node2 has a different cluster file" \
    "$LAB_DIR/node1/pghad.log"

upgrade node1 node2
log_since node1 | grep "sync complete" | sed 's/^/# node1: /'
check "node1 joined node2 with this release's hash" \
    grep -q "sync complete: 2 member.*sha256 [0-9a-f]\{12\}$" \
    <(log_since node1)
check "no refusal anywhere" not grep -q "refusing to join" \
    "$LAB_DIR/node1/pghad.log" "$LAB_DIR/node2/pghad.log"
assert_client_and_invariants upgrade
done_testing
