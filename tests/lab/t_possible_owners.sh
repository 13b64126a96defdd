#!/bin/bash
# possible_owners on 3 nodes: a group that may run only on node2 and node3
# is placed there, a move to node1 is refused and changes nothing, a node
# stop moves it to the other possible owner, and with both stopped it
# goes nowhere (the stop is refused, naming the key) rather than start on
# node1.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

EXTRA=$OUT_DIR/possible-extra.conf
cat >"$EXTRA" <<EOF
[group g2]
possible_owners = node2 node3
preferred_owners = node3

[resource g2-ip]
group = g2
type = address
address = 198.18.0.101/24
EOF

g2() {	# g2 FIELD: g2's FIELD as node1 shows it
	pgha_on node1 status --json 2>/dev/null |
	    jq -r --arg f "$1" '.groups[] | select(.name == "g2") | .[$f]'
}
g2_online_on() {
	[[ $(g2 state) == online && $(g2 owner) == "$1" ]]
}

PGHA_LAB_EXTRA_CONF=$EXTRA lab_fresh --nodes 3
check "g2 online on node3 (its preferred owner)" wait_until 60 g2_online_on node3

out=$(pgha_on node1 group move g2 --to node1 2>&1); rc=$?
check "group move g2 --to node1 fails" test "$rc" -ne 0
check "and says node1 is not one of g2's possible_owners" \
    grep -qF "node1: not one of its possible_owners" <<<"$out"
check "g2 stays on node3" g2_online_on node3
is "$(g2 target)" node3 "its target is unchanged"

check "pgha node stop node3" pgha_on node1 node stop node3
check "g2 moved to node2, the other possible owner" \
    wait_until 30 g2_online_on node2
out=$(pgha_on node1 node stop node2 2>&1); rc=$?
check "node stop node2 (g2's last possible owner) fails" test "$rc" -ne 0
check "and says why g2 cannot go to node1" \
    grep -qF "node1: not one of its possible_owners" <<<"$out"
check "g2 still online on node2" g2_online_on node2
addrs=$(ip -n "$LAB_NAME-node1" -4 -o addr show)
check "node1 never held g2's address" \
    test -z "$(grep ' 198\.18\.0\.101/' <<<"$addrs")"
done_testing
