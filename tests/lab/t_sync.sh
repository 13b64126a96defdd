#!/bin/bash
# Three nodes: the cluster's state survives daemons restarting around it.
#  - db1's owner loses its pghad (node stays up); another node's pghad
#    restarts and syncs from the third: it must learn that db1 still runs
#    on the owner and not start it anywhere else;
#  - two pghads restarting at once must not reset an operator's intent.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT


lab_fresh --nodes 3
check "db1 online on node1" online_on node1
pid0=$(postmaster_pid node1)
sampler_start
writer_start sync
writer_wait_more 50

"$LAB" kill-pghad node1 >/dev/null
check "node3 sees node1's pghad down" wait_until 30 node_is node3 node1 daemon-down
"$LAB" kill-pghad node2 >/dev/null
"$LAB" start-pghad node2 >/dev/null
check "node2's pghad rejoins" wait_until 60 node_is node3 node2 online
check "node2 learnt that node1's pghad is down" node_is node2 node1 daemon-down
check "db1 was started neither on node2 nor on node3" holds_none node2 node3
is "$(group_field node2 owner)" node1 "node2 sees db1 on node1"
check "the client kept committing" writer_wait_more 50 30
"$LAB" start-pghad node1 >/dev/null
check "node1's pghad rejoins and adopts db1" wait_online_on node1 node3 60
is "$(postmaster_pid node1)" "$pid0" "the same postmaster runs on node1"

check "pgha group offline db1" pgha_on node3 group offline db1 --wait=60
"$LAB" kill-pghad node2 >/dev/null
"$LAB" kill-pghad node3 >/dev/null
"$LAB" start-pghad node2 >/dev/null
"$LAB" start-pghad node3 >/dev/null
check "node2 and node3 rejoin" wait_until 60 sh -c \
    "$LAB exec node1 $PGHA_BUILD/pgha status --json | jq -e '[.nodes[] | select(.state == \"online\")] | length == 3'"
is "$(group_field node1 intent)" offline "the operator's offline intent survived"
is "$(group_field node2 intent)" offline "and node2 has it too"
check "db1 stays offline everywhere" holds_none node1 node2 node3
check "pgha group online db1" pgha_on node2 group online db1 --wait=60
check "db1 online on node1" online_on node1 node3
check "the client commits again" writer_wait_more 50 60
assert_client_and_invariants sync
done_testing
