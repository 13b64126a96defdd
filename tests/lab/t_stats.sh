#!/bin/bash
# Cumulative statistics (guide 5.2, "non-transferable features"): a
# planned move shuts the server down cleanly, which writes them to the
# shared disk, so they survive; after a crash, recovery starts them
# afresh.  Asserted on what an application reads: pg_stat_user_tables.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
inserts() {	# n_tup_ins of the test table, as the server counts it now
	client_sql "SELECT n_tup_ins FROM pg_stat_user_tables
	    WHERE relname = 'pgha_stats'" 2>/dev/null
}
inserts_are() { [[ $(inserts) == "$1" ]]; }

check "create a table and insert 100 rows" \
    client_sql "CREATE TABLE pgha_stats (i int);
	 INSERT INTO pgha_stats SELECT generate_series(1, 100)"
# The statistics are flushed to shared memory within a second or so.
check "pg_stat_user_tables counts 100 inserts" wait_until 20 inserts_are 100

check "planned move: pgha group move db1 --to node2" \
    pgha_on node1 group move db1 --to node2
check "db1 online on node2" online_on node2 node1
is "$(inserts)" 100 "after a planned move the counts are still there"

"$LAB" kill-postmaster node2 >"$OUT_DIR/stats.kill" 2>&1
check "db1 online on node1 after the server crashed on node2" \
    wait_online_on node1 node1 60
is "$(client_sql "SELECT count(*) FROM pgha_stats")" 100 \
    "the rows are all there (committed before the crash)"
is "$(inserts)" 0 "after a crash (recovery) the counts start from 0"
done_testing
