#!/bin/bash
# t_encrypt.sh - encrypted shared storage (issue 7, guide 3.3): db1's disk
# is ext4 with fscrypt v2 on its data directory, the master key in a
# keystore on each node's own /etc/pgha, opened by automatic opening.
#
#	tests/lab/t_encrypt.sh		(TAP; PGHA_LAB_NAME, PGHA_BUILD as usual)
#
# What a user sees: a value written through the access point reads back
# but is nowhere on the raw device, also after the group goes offline (the
# disk is then ciphertext: its names encrypted, its files unreadable);
# planned move, server crash and power loss lose no acknowledged commit; a
# node whose keystore holds another master key fails to start the disk
# with a clear error and the group goes to a node that can (a move there); a wrong
# passphrase, a damaged keystore, a keystore on the shared disk and a node
# without automatic opening each give a clear error and change nothing.
# At the end: pgbench TPS through the access point with and without
# encryption (TPS_RUNS runs, default 3, of TPS_SECONDS, default 10; 0
# skips it), reported, not asserted.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

TPS_SECONDS=${TPS_SECONDS:-10}
KS=/etc/pgha/keystore

# ---------------------------------------------------------------- helpers

# The raw device read past the page cache (O_DIRECT), as an attacker with
# the disk would: 0 if the text is on it.  Not grep -q: its early exit
# would kill dd with SIGPIPE, and pipefail would take a hit for a miss.
on_raw_disk() {	# on_raw_disk TEXT
	local n
	n=$(dd if="$LOOPDEV" bs=1M iflag=direct status=none | grep -acF "$1")
	(( ${n:-0} > 0 ))
}

node_etc() { echo "$LAB_DIR/$1/etc-pgha"; }	# the node's /etc/pgha, from the host

sums() {	# sums NODE: checksums of the node's keystore files
	( cd "$(node_etc "$1")" && sha256sum keystore* 2>/dev/null )
}

owner() { group_field "$1" owner; }
jq_e() { jq -e "$@" >/dev/null; }

# db1 online, every resource, on some node but NODE (asked of ASKER).
online_not_on() {	# online_not_on NODE ASKER
	local o
	o=$(owner "$2")
	[[ -n $o && $o != null && $o != "$1" ]] && online_on "$o" "$2"
}

# Anything of the lab's that says NODE's disk agent failed with TEXT:
# the events' causes (pghad keeps the agent's last stderr line).
node_said() {	# node_said ASKER TEXT
	pgha_on "$1" events --json --group db1 2>/dev/null |
	    jq -e --arg t "$2" '[.events[] | select((.cause // "") |
		contains($t))] | length > 0' >/dev/null ||
	    grep -qF "$2" "$LAB_DIR"/node*/pghad.log
}

# Encrypted names on a read-only mount of the offline disk, made in a
# mount namespace of its own on the host (no key there: a fresh mount).
offline_view() {	# prints "names=<ls of data>" and "read=<ok|error>"
	local mp
	mp=$(mktemp -d /var/tmp/"$LAB_NAME"-ro.XXXXXX)
	unshare -m --propagation private sh -c '
	    mount -o ro,noload "$1" "$2" || exit 1
	    echo "names=$(ls "$2/data" | head -5 | tr "\n" " ")"
	    if cat "$2/data/PG_VERSION" >/dev/null 2>&1 ||
	       [ -n "$(find "$2/data" -maxdepth 1 -name PG_VERSION)" ]; then
		echo read=ok
	    else
		echo read=error
	    fi
	    umount "$2"' sh "$LOOPDEV" "$mp"
	rmdir "$mp"
}

# ---------------------------------------------------------------- up
lab_fresh --encrypt --nodes 3
eval "$("$LAB" env)"
trap on_fail_dump EXIT
wait_online_on node1 node1 60 || { not_ok "db1 online"; done_testing; exit 1; }
ok "lab up --encrypt: db1 online on node1 with an encrypted disk"

check "the same keystore on every node (copied from node1)" \
    test "$(sha256sum <"$(node_etc node1)/keystore")" == \
    "$(sha256sum <"$(node_etc node3)/keystore")"
fpr=$(pgha_on node1 keystore fingerprint --keystore "$KS" 2>/dev/null | grep -Eo '[0-9a-f]{64}' | head -1)
check "pgha keystore fingerprint shows the master key's fingerprint" test -n "$fpr"
check "data directory is fscrypt v2 encrypted (lsattr shows E)" \
    "$LAB" exec node1 sh -c 'lsattr -d /srv/db1/data | grep -q "^[^ ]*E"'

# ---------------------------------------------------------------- plaintext
MARK="pgha-plain-$(date +%s%N)-$RANDOM"
client_sql "CREATE TABLE secret (v text); INSERT INTO secret VALUES ('$MARK')" >/dev/null
is "$(client_sql "SELECT v FROM secret")" "$MARK" \
    "a value written through the access point reads back"
client_sql "CHECKPOINT" >/dev/null
"$LAB" exec node1 sync
# The method must be able to see plaintext: a control file outside the
# encrypted directory, on the same disk.
CONTROL="pgha-control-$(date +%s%N)"
"$LAB" exec node1 sh -c "echo $CONTROL >/srv/db1/control.txt && sync"
check "control: plaintext outside encrypted_dirs is found on the raw device" \
    on_raw_disk "$CONTROL"
check "the value is not on the raw device after a CHECKPOINT" \
    not on_raw_disk "$MARK"
"$LAB" exec node1 rm -f /srv/db1/control.txt

# ---------------------------------------------------------------- offline
check "pgha group offline db1" pgha node1 group offline db1 --wait=60
check "offline: no node mounts the disk" holds_none node1 node2 node3
check "offline: the value is not on the raw device" not on_raw_disk "$MARK"
view=$(offline_view)
echo "# offline disk mounted read-only without the key: $view"
check "offline: the data directory's names are encrypted" \
    test -n "$view" -a "${view/PG_VERSION/}" == "$view"
check "offline: its files cannot be read without the key" \
    grep -q '^read=error' <<<"$view"
check "pgha group online db1" pgha node1 group online db1 --wait=60
wait_online_on node1 node1 60
is "$(client_sql "SELECT v FROM secret")" "$MARK" "online again: the value reads back"

# ---------------------------------------------------------------- failover
sampler_start
writer_start encrypt
writer_wait_more 50
check "planned move to node2" pgha node1 group move db1 --to node2 --wait=60
wait_online_on node2 node1 60 && writer_wait_more 50
check "moved: db1 online on node2" online_on node2 node1
"$LAB" kill-postmaster node2 >/dev/null 2>&1
wait_until 60 online_on node1 node1 && writer_wait_more 50
check "server killed on node2: db1 online on node1" online_on node1 node1
# node2 is banned for db1 after the crash: moving there by name clears it.
check "move back to node2" pgha node1 group move db1 --to node2 --wait=60
writer_wait_more 50
"$LAB" crash node2 --hard >/dev/null 2>&1
wait_until 60 online_on node1 node1 && writer_wait_more 50
check "power loss of node2: db1 online on node1" online_on node1 node1
"$LAB" restore node2 >/dev/null 2>&1
wait_until 60 node_is node1 node2 online
assert_client_and_invariants encrypt

# ---------------------------------------------------------------- another key
# node2's keystore replaced by one with another master key (its automatic
# opening made for it); db1, on node1, is moved there.
mkdir -p "$OUT_DIR/node2-keystore"
cp -a "$(node_etc node2)"/keystore* "$OUT_DIR/node2-keystore/"
rm -f "$(node_etc node2)"/keystore*
pgha_on node2 keystore create --keystore "$KS" --passphrase-file "$KEYSTORE_PASS" >/dev/null 2>&1 &&
    pgha_on node2 keystore auto-open --keystore "$KS" --passphrase-file "$KEYSTORE_PASS" >/dev/null 2>&1
check "node2 has a keystore with another master key" \
    test "$(pgha_on node2 keystore fingerprint --keystore "$KS" 2>/dev/null | grep -Eo '[0-9a-f]{64}' | head -1)" != "$fpr"
out=$(pgha_on node1 group move db1 --to node2 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /' | tail -3
is "$rc" 1 "pgha group move --to node2 fails (exit 1) once the cluster places db1 elsewhere"
check "and says where db1 went" grep -q "did not come online on node2" <<<"$out"
wait_until 60 node_said node1 "is encrypted with another master key"
wait_until 60 online_not_on node2 node1
own=$(owner node1)
check "move to node2 fails there; db1 online on a node that can ($own)" \
    test "$own" != node2 -a -n "$own"
check "node2's disk start failed with: ... encrypted with another master key ... copy the cluster's keystore here" \
    node_said node1 "is encrypted with another master key"
grep -hF "another master key" "$LAB_DIR"/node*/pghad.log 2>/dev/null | tail -1 | sed 's/^/#   /'
check "node2 does not hold the disk" holds_none node2
is "$(client_sql "SELECT v FROM secret")" "$MARK" "the value reads back on $own"
# node2 gets the cluster's keystore back.
rm -f "$(node_etc node2)"/keystore*
cp -a "$OUT_DIR/node2-keystore"/keystore* "$(node_etc node2)/"

# ---------------------------------------------------------------- operator errors
before=$(sums node3)
echo "not the passphrase" >"$OUT_DIR/wrong.pass"
out=$(pgha_on node3 keystore auto-open --keystore "$KS" --passphrase-file "$OUT_DIR/wrong.pass" 2>&1); rc=$?
echo "#   $out" | tail -1
check "wrong passphrase: auto-open fails" test "$rc" -ne 0
check "wrong passphrase: the error says so" grep -qi "passphrase" <<<"$out"
is "$(sums node3)" "$before" "wrong passphrase: keystore files unchanged"

cp "$(node_etc node3)/keystore" "$(node_etc node3)/damaged"
printf '\xff' | dd of="$(node_etc node3)/damaged" bs=1 seek=200 conv=notrunc status=none
dbefore=$(sha256sum <"$(node_etc node3)/damaged")
out=$(pgha_on node3 keystore fingerprint --keystore /etc/pgha/damaged 2>&1); rc=$?
echo "#   $out" | tail -1
check "damaged keystore: fingerprint fails" test "$rc" -ne 0
check "damaged keystore: the error says damaged" grep -qiE "damaged|corrupt" <<<"$out"
out=$(pgha_on node3 keystore auto-open --keystore /etc/pgha/damaged --passphrase-file "$KEYSTORE_PASS" 2>&1); rc=$?
check "damaged keystore: auto-open fails, no automatic-opening file made" \
    test "$rc" -ne 0 -a ! -e "$(node_etc node3)/damaged.auto"
is "$(sha256sum <"$(node_etc node3)/damaged")" "$dbefore" "damaged keystore: file unchanged"
rm -f "$(node_etc node3)/damaged"

# The cluster file refuses a keystore below a disk's mount point.
sed 's|^encrypt = yes|encrypt = yes\nkeystore = /srv/db1/keystore|' "$LAB_DIR/pgha.conf" >"$OUT_DIR/ks-on-disk.conf"
out=$("$PGHA_BUILD/pghad" -n -f "$OUT_DIR/ks-on-disk.conf" 2>&1); rc=$?
echo "#   $out" | tail -1
check "keystore on the shared disk: the cluster file is refused" \
    test "$rc" -ne 0 -a -n "$(grep -F 'on the shared disk' <<<"$out")"

# validate: clean, then without automatic opening on node3, then with
# node3's keystore reached through a link into the shared disk.
validate_json() { pgha_on "$1" validate --json >"$2" 2>&1; }
validate_json node3 "$OUT_DIR/validate-ok.json"
check "validate: keystore the same on every node" \
    jq_e '.cluster[] | select(.setting == "keystore" and .kind == "ok")' "$OUT_DIR/validate-ok.json"
check "validate: no keystore error" \
    not jq_e '[.nodes[].findings[], .cluster[] | select(.setting == "keystore" and .level == "error")] | length > 0' "$OUT_DIR/validate-ok.json"

mv "$(node_etc node2)/keystore.auto" "$OUT_DIR/node2.auto"
before=$(sums node2)
validate_json node3 "$OUT_DIR/validate-noauto.json"
check "validate: node2 without automatic opening is an error naming the fix" \
    jq_e '.nodes[] | select(.node == "node2") | .findings[] |
	select(.setting == "keystore" and .level == "error" and
	    (.fix | contains("pgha keystore auto-open")))' "$OUT_DIR/validate-noauto.json"
jq -r '.nodes[] | select(.node == "node2") | .findings[] | select(.setting == "keystore" and .level == "error") | "#   node2: \(.message)\n#   fix: \(.fix)"' "$OUT_DIR/validate-noauto.json"
out=$(pgha_on node3 group move db1 --to node2 2>&1)
echo "$out" | sed 's/^/#   /' | tail -3
wait_until 60 node_said node3 "auto-open"
wait_until 60 online_not_on node2 node3
own=$(owner node3)
check "no automatic opening on node2: a move there fails, db1 online on a node that can ($own)" \
    online_on "$own" node3
check "no automatic opening: node2 does not hold the disk" holds_none node2
check "no automatic opening: the error names pgha keystore auto-open" \
    node_said node3 "auto-open"
is "$(sums node2)" "$before" "no automatic opening: node2's keystore unchanged"
mv "$OUT_DIR/node2.auto" "$(node_etc node2)/keystore.auto"

# The owner's keystore path a link into the shared disk.
cp "$(node_etc "$own")/keystore" "$OUT_DIR/owner.keystore"
"$LAB" exec "$own" sh -c "cp $KS /srv/db1/keystore-copy && ln -sf /srv/db1/keystore-copy $KS"
validate_json "$own" "$OUT_DIR/validate-ondisk.json"
check "validate: a keystore on the shared disk is an error on $own" \
    jq_e --arg n "$own" '.nodes[] | select(.node == $n) | .findings[] |
	select(.setting == "keystore" and .level == "error" and
	    (.message | contains("shared disk")))' "$OUT_DIR/validate-ondisk.json"
jq -r --arg n "$own" '.nodes[] | select(.node == $n) | .findings[] | select(.setting == "keystore" and .level == "error") | "#   \($n): \(.message)"' "$OUT_DIR/validate-ondisk.json"
"$LAB" exec "$own" sh -c "rm -f $KS /srv/db1/keystore-copy"
install -m 600 "$OUT_DIR/owner.keystore" "$(node_etc "$own")/keystore"
check "db1 still online on $own after the operator errors" online_on "$own" "$own"

# ---------------------------------------------------------------- TPS
# pgbench through the access point, TPS_RUNS runs of TPS_SECONDS each, on
# this lab and then on a fresh unencrypted one of the same shape.
tps_runs() {	# tps_runs LABEL: one tps figure per line
	local conn="host=198.18.0.100 port=5432 dbname=postgres user=postgres" i
	ip netns exec "$CLIENT_NS" pgbench -i -q -s 10 "$conn" \
	    >"$OUT_DIR/pgbench-init-$1.log" 2>&1 || return 1
	for (( i = 1; i <= TPS_RUNS; i++ )); do
		ip netns exec "$CLIENT_NS" pgbench -c 4 -j 2 -T "$TPS_SECONDS" -n \
		    "$conn" >"$OUT_DIR/pgbench-$1-$i.log" 2>&1 || return 1
		sed -n 's/^tps = \([0-9]*\).*/\1/p' "$OUT_DIR/pgbench-$1-$i.log" | head -1
	done
}
med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "?" }'; }
TPS_RUNS=${TPS_RUNS:-3}
if (( TPS_SECONDS > 0 )); then
	tps_enc=$(tps_runs encrypted | tr '\n' ' ')
	"$LAB" down >/dev/null 2>&1
	lab_fresh --nodes 3
	wait_online_on node1 node1 60
	tps_plain=$(tps_runs plain | tr '\n' ' ')
	echo "# pgbench -s 10 -c 4 -j 2 -T $TPS_SECONDS x $TPS_RUNS through the access point"
	echo "#   encrypted:   median $(tr ' ' '\n' <<<"$tps_enc" | grep . | med) tps (runs: $tps_enc)"
	echo "#   unencrypted: median $(tr ' ' '\n' <<<"$tps_plain" | grep . | med) tps (runs: $tps_plain)"
	check "pgbench ran with and without encryption" \
	    test -n "${tps_enc// /}" -a -n "${tps_plain// /}"
fi

"$LAB" down >/dev/null 2>&1
done_testing
