#!/bin/bash
# pgha validate checks what a real cluster needs from Corosync and from the
# fence devices, on every node: crypto on, an authkey only root can read,
# the token and knet timings docs/deploy.md recommends, a witness that
# votes, and every other node's fence agent answering "status".  Each
# broken on purpose is an error that names it; put back, it passes again.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

V=$OUT_DIR/validate.json
validate_json() {	# validate_json NODE: exit status; the JSON in $V
	pgha_on "$1" validate --json >"$V" 2>"$V.err"
}
# has NODE KIND CHECK-OR-RESOURCE REGEX: a line of NODE's findings
has() {
	jq -e --arg n "$1" --arg k "$2" --arg c "$3" --arg re "$4" '
	    [.nodes[] | select(.node == $n) | .findings[] |
	     select(.kind == $k and ((.check // .resource) == $c) and
	       (.message | test($re)))] | length > 0' "$V" >/dev/null
}

# ------------------------------------------------ two nodes, a witness
lab_fresh --witness
validate_json node1; rc=$?
is "$rc" 0 "validate on a lab cluster set up as docs/deploy.md says: exit 0"
for n in node1 node2; do
	check "$n: crypto on" has "$n" ok crypto 'encrypted \(aes256\) and signed \(sha256\)'
	check "$n: authkey owned by root, 0400" has "$n" ok keyfile 'owned by root, mode 0400'
	check "$n: token and knet timings as recommended" has "$n" ok token 'as docs/deploy.md recommends'
	check "$n: the witness gives its vote" has "$n" ok quorum.device 'gives this node its vote'
done
check "node1 asked node2's fence agent: on" has node1 ok fence_agent "node2's fence agent answers status: on"
check "node2 asked node1's fence agent: on" has node2 ok fence_agent "node1's fence agent answers status: on"

# The witness machine loses power: no vote, an error on every node.
check "lab witness-down" "$LAB" witness-down
validate_json node1; rc=$?
is "$rc" 1 "witness down: validate exit 1"
check "node1: the witness does not give its vote" \
    has node1 finding corosync 'does not give this node its vote'
check "lab witness-up" "$LAB" witness-up
validate_json node1; rc=$?
is "$rc" 0 "witness back: validate exit 0 again"

# The authkey readable by everyone (the lab's nodes share one file).
key=$(awk '/keyfile:/ { print $2; exit }' "$LAB_DIR/node1/corosync.conf")
check "the lab's authkey is a file" test -f "$key"
chmod 0644 "$key"
validate_json node1; rc=$?
chmod 0400 "$key"
is "$rc" 1 "authkey mode 0644: validate exit 1"
check "node2: the authkey error names the mode and the fix" \
    jq -e --arg k "$key" '[.nodes[] | select(.node == "node2") |
      .findings[] | select(.setting == "keyfile" and .path == $k and
      (.message | test("mode 0644")) and (.fix | test("chmod 0400")))] |
      length == 1' "$V"

# ------------------------------------------------- two nodes, two_node
lab_fresh
validate_json node1; rc=$?
is "$rc" 0 "two nodes without a witness: validate exit 0 (a warning)"
check "node1: warned that two_node leaves a fencing race" \
    has node1 finding corosync 'two nodes without a witness: two_node'
done_testing
