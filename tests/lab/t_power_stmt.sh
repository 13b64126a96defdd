#!/bin/bash
# A node loses power (links first: its kernel never resets anything)
# while a client is blocked in a long statement through the access point.
# Without help the client would wait for hours (no keepalives, nothing to
# retransmit); the new owner of the address tickles it, so its statement
# fails right after the takeover, and its retry succeeds on the new node.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
check "db1 online on node1" online_on node1
PSQL=(ip netns exec "$CLIENT_NS" psql -X -At)
BLOCK_OUT=$OUT_DIR/power_stmt.client

# blocked_client: a statement that would take 10 minutes, then its exit
# code and the wall clock in ms when it returned.
blocked_client() {
	"${PSQL[@]}" "$ACCESS_CONNINFO" -c "SELECT pg_sleep(600)" \
	    >"$BLOCK_OUT" 2>&1
	echo "exit=$? at=$(lab_ms)" >>"$BLOCK_OUT"
}
in_statement() {	# the client's backend is running the statement
	[[ $("$LAB" exec node1 runuser -u postgres -- psql -X -At -c \
	    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE
	    'SELECT pg_sleep(600)%' AND state = 'active'" 2>/dev/null) == 1 ]]
}

node2_knows_client() {	# node2's pghad has node1's list of clients
	[[ $(status_q node2 '.groups[0].resources[] |
	    select(.name == "db1-ip") | .clients') -ge 1 ]]
}

blocked_client &
client_pid=$!
check "the client is blocked in its statement on node1" \
    wait_until 20 in_statement
# Connections younger than pghad's scan (500 ms) are not known yet.
check "node2 knows node1's client (status: db1-ip clients)" \
    wait_until 10 node2_knows_client
"$LAB" crash node1 --hard >"$OUT_DIR/power_stmt.lab" 2>&1
check "db1 online on node2 after node1 lost power" \
    wait_online_on node2 node2 60
# Bounded wait: without the reset it would not return for hours.
check "the blocked client got an error instead of hanging" \
    wait_until 60 grep -q '^exit=' "$BLOCK_OUT"
kill "$client_pid" 2>/dev/null
wait "$client_pid" 2>/dev/null
sed 's/^/# client: /' "$BLOCK_OUT"
check "its statement failed (psql exit 2: connection lost)" \
    grep -q '^exit=2 ' "$BLOCK_OUT"
check "with libpq's message that the connection was lost" \
    grep -q 'server closed the connection unexpectedly\|connection to server was lost' \
    "$BLOCK_OUT"

# How long after the takeover: the address's start on node2 (event) to
# the client's error.
at=$(sed -n 's/^exit=[0-9]* at=//p' "$BLOCK_OUT")
ip_ms=$(pgha_on node2 events --json --group db1 2>/dev/null | jq -r '
    [.events[] | select(.object == "resource db1-ip" and
     .node == "node2" and .new == "online")] | last | .ms')
if [[ -n $at && $ip_ms =~ ^[0-9]+$ ]]; then
	echo "# client error $(( at - ip_ms )) ms after db1-ip came online on node2"
fi
check "the retry succeeds on node2" \
    "${PSQL[@]}" "$ACCESS_CONNINFO" -c "SELECT 1"
"$LAB" restore node1 >"$OUT_DIR/power_stmt.restore" 2>&1
check "node1 rejoins" wait_until 60 node_is node1 node1 online

# A node that joins gets the owner's client list at once, not only when
# the list next changes: otherwise node1 could not reset node2's clients.
"${PSQL[@]}" "$ACCESS_CONNINFO" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
client_pid=$!
node2_has_client() {
	[[ $(status_q node2 '.groups[0].resources[] |
	    select(.name == "db1-ip") | .clients') -ge 1 ]]
}
node1_knows_client() {
	[[ $(status_q node1 '.groups[0].resources[] |
	    select(.name == "db1-ip") | .clients') -ge 1 ]]
}
check "node2 lists the new client" wait_until 10 node2_has_client
"$LAB" kill-pghad node1 >/dev/null 2>&1
"$LAB" start-pghad node1 >/dev/null 2>&1
check "node1's restarted pghad knows node2's client (status on node1)" \
    wait_until 10 node1_knows_client
kill "$client_pid" 2>/dev/null
wait "$client_pid" 2>/dev/null
done_testing
