#!/bin/bash
# pghad out of file descriptors (RLIMIT_NOFILE lowered with prlimit) while
# a local client holds control connections open: pghad stops polling the
# control socket for a moment after each failed accept, instead of waking
# at once for the connection it cannot take, says so once per episode, and
# accepts again once descriptors are free.  Its CPU time while at the
# limit is shown (not asserted: the lab shares its cores).
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap 'rm -f "$release"; on_fail_dump' EXIT

HOLD=40
release=$LAB_DIR/node2/emfile-release
log=$LAB_DIR/node2/pghad.log
full_msg="control: accept: not accepting connections"
again_msg="control: accepting connections again"

lab_fresh
check "db1 online on node1" online_on node1
check "node2 online" node_is node2 node2 online
pid=$(cat "$LAB_DIR/node2/pghad.pid")
# Room for a few connections above the highest descriptor in use.
maxfd=$(ls "/proc/$pid/fd" | sort -n | tail -1)
lim=$((maxfd + 9))
prlimit --pid "$pid" --nofile="$lim:$lim" &&
    ok "node2's pghad limited to $lim descriptors" ||
    not_ok "node2's pghad limited to $lim descriptors"

rm -f "$release"
"$LAB" exec node2 python3 -c '
import os, socket, sys, time
cs = []
for i in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[2])
    cs.append(s)
print("holding", len(cs), flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
' "$HOLD" /run/pgha/pgha.sock "$release" >"$OUT_DIR/emfile-hold.out" 2>&1 &
holder=$!
check "a local client holds $HOLD control connections" wait_until 30 \
    grep -q "holding $HOLD" "$OUT_DIR/emfile-hold.out"
check "pghad says it is out of descriptors" wait_until 30 \
    grep -q "$full_msg" "$log"

hz=$(getconf CLK_TCK)
t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
ms0=$(lab_ms)
sleep 5		# a measurement window, not a wait for readiness
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
ms1=$(lab_ms)
echo "# pghad CPU at the descriptor limit: $(( (t1 - t0) * 1000 / hz )) ms" \
    "in $((ms1 - ms0)) ms"
check "node2's pghad still runs" kill -0 "$pid"

touch "$release"
wait "$holder"
check "the client let its connections go" \
    grep -q "holding $HOLD" "$OUT_DIR/emfile-hold.out"
check "pghad accepts again: pgha status answers on node2" wait_until 60 \
    node_is node2 node2 online
full=$(grep -c "$full_msg" "$log")
again=$(grep -c "$again_msg" "$log")
echo "# episodes: $full out of descriptors, $again accepting again"
is "$again" "$full" "one line when it runs out, one when it accepts again"
check "db1 still online on node1" online_on node1
done_testing
