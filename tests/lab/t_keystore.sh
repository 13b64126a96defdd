#!/bin/bash
# The keystore of encrypted disks (guide 3.3): made on one node, copied to
# the other through the cluster with `pgha keystore copy`, automatic
# opening enabled on each node, and what is refused: another master key
# without --force, a path the cluster file does not name, an unknown node.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

lab_fresh
PASS=$OUT_DIR/keystore.pass
echo "keystore passphrase for the lab" >"$PASS"
chmod 600 "$PASS"
ks() {	# ks NODE ARGS...: pgha keystore ARGS on NODE, output as comments
	local node=$1 rc
	shift
	pgha_on "$node" keystore "$@" 2>&1 | sed 's/^/#   /'
	rc=${PIPESTATUS[0]}
	return "$rc"
}
fpr() { pgha_on "$1" keystore fingerprint 2>/dev/null; }

check "node1: keystore create" ks node1 create --passphrase-file "$PASS"
check "node2 has no keystore yet (status fails)" not ks node2 status
check "node1: keystore copy node2" ks node1 copy node2
is "$(fpr node2)" "$(fpr node1)" "node2's keystore has node1's fingerprint"
is "$("$LAB" exec node2 stat -c %a /etc/pgha/keystore)" 600 \
    "written with mode 600"
check "node2: status says automatic opening is not enabled" \
    not ks node2 status
check "node1: auto-open" ks node1 auto-open --passphrase-file "$PASS"
check "node2: auto-open" ks node2 auto-open --passphrase-file "$PASS"
check "node2: status is fine" ks node2 status
check "node1: status is fine" ks node1 status
# node2's automatic-opening file is bound to node2: useless on node1.
"$LAB" exec node1 cp /etc/pgha/keystore.auto /etc/pgha/keystore.auto.mine
"$LAB" exec node2 cat /etc/pgha/keystore.auto |
    "$LAB" exec node1 sh -c 'cat >/etc/pgha/keystore.auto'
out=$(pgha_on node1 keystore status 2>&1)
check "node2's auto-open file does not open on node1" \
    grep -q "node2" <<<"$out"
"$LAB" exec node1 mv /etc/pgha/keystore.auto.mine /etc/pgha/keystore.auto
check "node1: status is fine again" ks node1 status

# Another master key on node2: left alone without --force.
"$LAB" exec node2 mv /etc/pgha/keystore /etc/pgha/keystore.old
check "node2: another keystore" ks node2 create --passphrase-file "$PASS"
other=$(fpr node2)
out=$(pgha_on node1 keystore copy node2 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "copy over another master key fails (exit 1)"
check "and says --force replaces it" grep -q -- "--force" <<<"$out"
is "$(fpr node2)" "$other" "node2's keystore is unchanged"
check "copy --all --force replaces it" ks node1 copy --all --force
is "$(fpr node2)" "$(fpr node1)" "node2 has node1's master key again"

out=$(pgha_on node1 keystore copy node7 2>&1)
is "$?" 4 "copy to an unknown node: exit 4"
"$LAB" exec node1 cp /etc/pgha/keystore /tmp/ks
out=$(pgha_on node1 keystore copy --keystore /tmp/ks node2 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 1 "copy to a path the cluster file does not name: exit 1"
check "and the message names the path" grep -q "/tmp/ks" <<<"$out"
check "nothing written there on node2" \
    not "$LAB" exec node2 test -e /tmp/ks
done_testing
