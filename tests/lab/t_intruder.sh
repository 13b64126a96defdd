#!/bin/bash
# A process that is not pghad joins Corosync's group "pghad" on a node (as
# any root process there could), sends a well-formed request to take db1
# offline, and leaves.  pghad must take messages only from the process
# each node registered: every node logs the intruder with its node id and
# pid, the request changes nothing, the node stays online and db1 stays
# online where it was, and `pgha status` shows what it showed before.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

view() {	# view ASKER: nodes and db1, as pgha status --json shows them
	status_q "$1" '[(.nodes[] | {name, state}),
	    (.groups[] | select(.name == "db1") |
	     {state, owner, res: [.resources[] | {name, state, node}]})]
	    | tojson'
}

logs_name() {	# logs_name NODE PID: NODE's pghad logged the intruder
	grep -q "intruder.*pid $2" "$LAB_DIR/$1/pghad.log"
}

logs_left() {	# logs_left NODE PID: ... and its leaving
	grep -q "intruder.*pid $2.*left" "$LAB_DIR/$1/pghad.log"
}

lab_fresh
check "db1 online on node1" wait_online_on node1 node2
before1=$(view node1)
before2=$(view node2)
echo "# before: $before2"

out=$("$LAB" exec node1 "$PGHA_BUILD/pgha-cpgintruder" -o db1 2>&1)
echo "$out" | sed 's/^/#   intruder: /'
pid=$(sed -n 's/^joined nodeid=[0-9]* pid=\([0-9]*\)$/\1/p' <<<"$out")
check "the intruder joined, sent its request and left" \
    grep -q '^left$' <<<"$out"
[[ -n $pid ]] || pid=unknown

check "node1's pghad logs the intruder with its node id and pid" \
    wait_until 30 logs_name node1 "$pid"
check "node2's pghad logs the intruder with its node id and pid" \
    wait_until 30 logs_name node2 "$pid"
check "node1's pghad logs that the intruder left" \
    wait_until 30 logs_left node1 "$pid"
check "node2's pghad logs that the intruder left" \
    wait_until 30 logs_left node2 "$pid"
grep -h "intruder" "$LAB_DIR"/node*/pghad.log | sed 's/^/#   log: /'

# The intruder's messages and its leave were delivered before the lines
# above were logged; what they could have changed has been applied.
is "$(view node1)" "$before1" "node1's status is unchanged"
is "$(view node2)" "$before2" "node2's status is unchanged"
check "node2 sees node1 online" node_is node2 node1 online
check "db1 stays online on node1 (asked of node2)" \
    holds_for 3 online_on node1 node2
for k in 1 2; do
	check "node$k logged no change of node1 (daemon-down, offline)" \
	    not grep -qE 'node node1: [a-z-]+ -> (daemon-down|offline)' \
	    "$LAB_DIR/node$k/pghad.log"
done
done_testing
