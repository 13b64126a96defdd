#!/bin/bash
# Placement on 3 nodes with 4 groups: preferred owners first, then the node
# with the fewest groups (lowest id on ties), for the first placement, for
# a move to the best possible node, and for a node stop; nothing moves back
# on node start (failback = no).
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

GROUPS_ALL="db1 g2 g3 g4"
EXTRA=$OUT_DIR/placement-extra.conf
# Three groups without preferred owners, one address each (the lab's
# 198.18.0.0/24, inside its namespaces only).
: >"$EXTRA"
for k in 2 3 4; do
	cat >>"$EXTRA" <<-EOF
	[group g$k]

	[resource g$k-ip]
	group = g$k
	type = address
	address = 198.18.0.$(( 99 + k ))/24

	EOF
done

# owners ASKER: "group owner" lines of every group.
owners() {
	pgha_on "$1" status --json 2>/dev/null |
	    jq -r '.groups[] | "\(.name) \(.owner)"'
}
all_online() {	# every group online on one node, with all its resources
	pgha_on node1 status --json 2>/dev/null | jq -e '
	    [.groups[] | select(.state == "online" and .owner != null and
	      .owner == .target and all(.resources[]; .state == "online"))] |
	    length == 4' >/dev/null
}
# count NODE: groups owned by NODE, from an owners listing on stdin.
count_on() { awk -v n="$1" '$2 == n { c++ } END { print c + 0 }'; }
owner_of() {	# owner_of GROUP (from owners on stdin)
	awk -v g="$1" '$1 == g { print $2 }'
}
# The address of a group is where its owner is (and nowhere else).
ip_only_on() {	# ip_only_on IP NODE
	local n has=
	for n in $(lab_nodes); do
		# Not `ip | grep -q`: with pipefail, grep's early exit can
		# fail the pipeline (SIGPIPE in ip) although it matched.
		[[ $(ip -n "$LAB_NAME-$n" -4 -o addr show) == *" $1/"* ]] &&
		    has+="$n "
	done
	[[ $has == "$2 " ]] && return 0
	echo "# $1 is on: ${has:-no node} (want $2)"
	return 1
}
spread_ok() {	# spread_ok MAX MIN NODE...: counts within [MIN, MAX]
	local max=$1 min=$2 n c o
	shift 2
	o=$(owners node1)
	for n in "$@"; do
		c=$(count_on "$n" <<<"$o")
		(( c <= max && c >= min )) || return 1
	done
}
same_owners() { [[ $(owners node1) == "$1" ]]; }

PGHA_LAB_EXTRA_CONF=$EXTRA lab_fresh --nodes 3
check "all four groups online" wait_until 60 all_online
o=$(owners node1)
echo "# placement: $(tr '\n' ' ' <<<"$o")"
is "$(owner_of db1 <<<"$o")" node1 "db1 on node1 (its first preferred owner)"
check "no node runs more than 2 groups, every node at least 1" \
    spread_ok 2 1 node1 node2 node3
check "g2's address is only on its owner" \
    ip_only_on 198.18.0.101 "$(owner_of g2 <<<"$o")"
check "g4's address is only on its owner" \
    ip_only_on 198.18.0.103 "$(owner_of g4 <<<"$o")"
sampler_start

# ------------------------------------------------------- best other node
# Expected: among the nodes other than g2's owner, the fewest groups, the
# lowest id on ties (all nodes online, none paused or banned).
from=$(owner_of g2 <<<"$o")
best='' bestc=''
for n in $(pgha_on node1 status --json | jq -r '.nodes | sort_by(.id) | .[].name'); do
	[[ $n == "$from" ]] && continue
	c=$(grep -v '^g2 ' <<<"$o" | count_on "$n")
	if [[ -z $best ]] || (( c < bestc )); then best=$n bestc=$c; fi
done
echo "# g2 on $from; expected best other node: $best ($bestc groups)"
check "pgha group move g2 (best possible node)" pgha_on node2 group move g2
o=$(owners node1)
is "$(owner_of g2 <<<"$o")" "$best" "g2 moved to $best (fewest groups, lowest id)"
check "g2's address moved with it" ip_only_on 198.18.0.101 "$best"
check "all four groups online" wait_until 30 all_online

# ------------------------------------------------------------- node stop
# Gather every group on node1, then stop node1: its four groups must spread
# over node2 and node3 (db1 to node2, its next preferred owner; the others
# to the node with the fewest groups, counting those just placed).
stop=node1
for g in $GROUPS_ALL; do
	[[ $(owner_of "$g" <<<"$o") == node1 ]] && continue
	check "pgha group move $g --to node1" pgha_on node1 group move "$g" --to node1
done
check "all four groups online" wait_until 30 all_online
o=$(owners node1)
is "$(count_on node1 <<<"$o")" 4 "node1 runs all four groups"
others="node2 node3"
check "pgha node stop $stop" pgha_on node1 node stop "$stop"
check "all four groups online on the others" wait_until 30 all_online
o=$(owners node1)
echo "# placement: $(tr '\n' ' ' <<<"$o")"
is "$(count_on "$stop" <<<"$o")" 0 "$stop runs no group"
# shellcheck disable=SC2086
check "its groups are spread: 2 groups on each of $others" \
    spread_ok 2 2 $others
addrs=$(ip -n "$LAB_NAME-$stop" -4 -o addr show)
check "$stop holds no address of any group" \
    test -z "$(grep -E ' 198\.18\.0\.10[0-3]/' <<<"$addrs")"
o_before=$o
check "pgha node start $stop" pgha_on node1 node start "$stop"
check "$stop online again" wait_until 30 node_is node1 "$stop" online
check "nothing moves back (status polled for 3 s)" \
    holds_for 3 same_owners "$o_before"
check "all four groups online" all_online
is "$(sampler_stop)" 0 "never two nodes with db1's disk, address or server"
done_testing
