#!/bin/bash
# Group offline, then online: everything stops in reverse order and comes
# back with the data.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
sampler_start
writer_start offon
writer_wait_more 50
check "pgha group offline db1" pgha_on node2 group offline db1 --wait=60
is "$(group_field node1 state)" offline "db1 is offline"
check "nothing mounted, no address, no server anywhere" holds_none node1 node2
check "pgha group online db1" pgha_on node2 group online db1 --wait=60
check "db1 online on node1 (preferred owner)" online_on node1
check "the client commits again" writer_wait_more 50 60
assert_client_and_invariants offon
done_testing
