#!/bin/bash
# pgha cluster setup from bare nodes, as an operator runs it: a real sshd
# in each lab node (its own host key, a test key for root, listening only
# on the node's 198.18 address), `pgha cluster setup --no-start` on node1,
# then on every node the same corosync.conf (accepted by `corosync -t`),
# the same authkey (mode 0400) and the same cluster file (accepted by
# `pghad -n`); corosync started by hand in each node from the generated
# /etc/corosync/corosync.conf forms a quorate membership of both nodes
# under the generated cluster name; a second run says "up to date" and
# touches no file (mtimes); a changed file on node2 is refused, named,
# and nothing changes anywhere until --force; a node ssh cannot log in
# to is named with exit 7.  Then with a witness: setup makes the qnetd
# CA, the cluster certificate and each node's database; qnetd, corosync
# and corosync-qdevice from the generated files count the witness's vote
# over TLS with verified client certificates; a second run is up to date.
#
# The lab's own corosync and pghad are stopped first (by their recorded
# pids): the generated configuration must form the membership alone.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

S=$OUT_DIR/cluster-setup.d
SSHD_PIDS=()	# "NODE PIDFILE"
CS_PIDS=()	# "NODE PID" (pids inside the node)

stop_ours() {
	local e node f pid
	for e in "${SSHD_PIDS[@]}"; do
		read -r node f <<<"$e"
		pid=$(cat "$f" 2>/dev/null) || continue
		"$LAB" exec "$node" kill "$pid" 2>/dev/null || true
	done
	for e in "${CS_PIDS[@]}"; do
		read -r node pid <<<"$e"
		"$LAB" exec "$node" kill "$pid" 2>/dev/null || true
	done
}
trap 'stop_ours; on_fail_dump' EXIT

PGHA_LAB_AUTOSTART=no PGHA_LAB_NO_DB=1 lab_fresh --nodes 2 --no-fencing
eval "$("$LAB" env)"

# --- the lab's corosync and pghad out of the way --------------------------
for node in node1 node2; do
	"$LAB" kill-pghad "$node" >/dev/null 2>&1 || true
	pid=$(cat "$LAB_DIR/$node/corosync.pid")
	kill "$pid"
	wait_until 10 not kill -0 "$pid" ||
	    { not_ok "$node: the lab's corosync ended"; done_testing; exit 1; }
done

# --- sshd in each node ---------------------------------------------------
rm -rf "$S"
mkdir -p "$S"
chmod 700 "$S"
ssh-keygen -q -t ed25519 -N '' -C pgha-setup-test -f "$S/id"
cp "$S/id.pub" "$S/authorized_keys"
: >"$S/known_hosts"
cat >"$S/sshd_config" <<EOF
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $S/authorized_keys
StrictModes no
UsePAM no
PrintMotd no
EOF
cat >"$S/ssh_config" <<EOF
Host *
	IdentityFile $S/id
	IdentitiesOnly yes
	UserKnownHostsFile $S/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
EOF
for k in 1 2; do
	node=node$k
	ip_var=NODE${k}_IP
	ip=${!ip_var}
	ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey$k"
	echo "$ip $(cut -d' ' -f1,2 "$S/hostkey$k.pub")" >>"$S/known_hosts"
	"$LAB" exec "$node" mkdir -p /run/sshd
	if "$LAB" exec "$node" /usr/sbin/sshd -f "$S/sshd_config" \
	    -h "$S/hostkey$k" -o "ListenAddress=$ip:22" \
	    -o "PidFile=$S/sshd$k.pid" -E "$S/sshd$k.log"; then
		SSHD_PIDS+=("$node $S/sshd$k.pid")
	fi
	wait_until 10 test -s "$S/sshd$k.pid" ||
	    { not_ok "$node: sshd started"; done_testing; exit 1; }
done
SSH="ssh -F $S/ssh_config"
check "node1 reaches node2 over ssh as root with the test key" \
    "$LAB" exec node1 $SSH -o BatchMode=yes root@"$NODE2_IP" true

# setup ARGS...: pgha cluster setup on node1; output in $OUT, status $RC.
setup() {
	OUT=$("$LAB" exec node1 env PGHA_SSH="$SSH" "$PGHA_BUILD/pgha" \
	    cluster setup labc "node1=$NODE1_IP" "node2=$NODE2_IP" "$@" 2>&1)
	RC=$?
	sed 's/^/#   /' <<<"$OUT"
}
host_file() { echo "$LAB_DIR/$1/etc-${2%%/*}/${2#*/}"; }	# NODE corosync/X
mtimes() {
	local n f
	for n in node1 node2; do
		for f in corosync/corosync.conf corosync/authkey pgha/pgha.conf; do
			stat -c "$n $f %y" "$(host_file "$n" "$f")"
		done
	done
}

# --- first run -------------------------------------------------------------
setup --no-start
is "$RC" 0 "cluster setup --no-start: exit 0"
check "it says node2's corosync.conf was written" \
    grep -qx "node2: /etc/corosync/corosync.conf written" <<<"$OUT"
for f in corosync/corosync.conf corosync/authkey pgha/pgha.conf; do
	check "$f is the same on node1 and node2" \
	    cmp "$(host_file node1 "$f")" "$(host_file node2 "$f")"
done
for n in node1 node2; do
	is "$(stat -c '%a %U %s' "$(host_file "$n" corosync/authkey)")" \
	    "400 root 256" "$n: authkey mode 0400, root's, 256 bytes"
	is "$(stat -c '%a %U' "$(host_file "$n" pgha/pgha.conf)")" \
	    "600 root" "$n: cluster file mode 0600, root's"
	check "$n: corosync -t accepts the generated corosync.conf" \
	    "$LAB" exec "$n" corosync -t
	check "$n: pghad -n accepts the cluster file" \
	    "$LAB" exec "$n" "$PGHA_BUILD/pghad" -n -f /etc/pgha/pgha.conf
done
conf=$(cat "$(host_file node1 corosync/corosync.conf)")
check "corosync.conf: knet, aes256, sha256, token 300, two_node" \
    grep -qzP 'transport: knet\n\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n(.*\n)*\ttoken: 300\n(.*\n)*\ttwo_node: 1\n' <<<"$conf"
check "no temporary file left in /etc/corosync" \
    not ls "$(host_file node2 corosync)"/*.pgha-* 2>/dev/null

# --- corosync from the generated file -------------------------------------
for n in node1 node2; do
	pid=$("$LAB" exec "$n" sh -c 'setsid corosync -f </dev/null \
	    >/var/log/corosync/setup-test.out 2>&1 & echo $!')
	CS_PIDS+=("$n $pid")
done
quorate2() {
	local out
	out=$("$LAB" exec "$1" corosync-quorumtool -s 2>/dev/null) || return 1
	grep -Eq '^Quorate:[[:space:]]+Yes' <<<"$out" &&
	    grep -Eq '^Nodes:[[:space:]]+2$' <<<"$out"
}
check "node1: quorate with 2 nodes from the generated config" \
    wait_until 30 quorate2 node1
check "node2: quorate with 2 nodes" wait_until 30 quorate2 node2
is "$("$LAB" exec node2 corosync-cmapctl -g totem.cluster_name 2>&1)" \
    "totem.cluster_name (str) = labc" "the running corosync is cluster labc"
is "$("$LAB" exec node1 corosync-cmapctl -g totem.crypto_cipher 2>&1)" \
    "totem.crypto_cipher (str) = aes256" "with aes256 encryption"

# --- a second run changes nothing ------------------------------------------
before=$(mtimes)
setup --no-start
is "$RC" 0 "second run: exit 0"
check "it says node2's corosync.conf is up to date" \
    grep -qx "node2: /etc/corosync/corosync.conf up to date" <<<"$OUT"
check "and that nothing changed" grep -q "nothing changed" <<<"$OUT"
is "$(mtimes)" "$before" "no file touched on any node (mtimes)"

# --- a changed file on node2 ---------------------------------------------
echo "# changed by hand" >>"$(host_file node2 corosync/corosync.conf)"
changed=$(cat "$(host_file node2 corosync/corosync.conf)")
before=$(mtimes)
setup --no-start
is "$RC" 1 "a differing file on node2: exit 1"
check "the refusal names node2 and the file" \
    grep -q "node2: /etc/corosync/corosync.conf differs" <<<"$OUT"
check "and says --force" grep -q -- "--force" <<<"$OUT"
is "$(mtimes)" "$before" "nothing written on any node"
is "$(cat "$(host_file node2 corosync/corosync.conf)")" "$changed" \
    "node2's file kept as it was"
setup --no-start --force
is "$RC" 0 "--force: exit 0"
check "it says node2's file was replaced" \
    grep -q "^node2: /etc/corosync/corosync.conf replaced (a running corosync keeps the old one until .corosync-cfgtool -R. or a restart)$" <<<"$OUT"
check "node2's corosync.conf is node1's again" \
    cmp "$(host_file node1 corosync/corosync.conf)" \
    "$(host_file node2 corosync/corosync.conf)"

# --- the right content with the wrong mode --------------------------------
chmod 644 "$(host_file node2 corosync/authkey)"
setup --no-start
is "$RC" 0 "node2's authkey readable by all: exit 0"
check "it says the mode was set" grep -qx \
    "node2: /etc/corosync/authkey mode and owner set" <<<"$OUT"
is "$(stat -c %a "$(host_file node2 corosync/authkey)")" 400 \
    "node2's authkey is mode 0400 again"

# --- a node ssh cannot reach ------------------------------------------------
mv "$S/authorized_keys" "$S/authorized_keys.off"
before=$(mtimes)
setup --no-start --force
is "$RC" 7 "node2 refuses the key: exit 7 (unreachable)"
check "the message names node2 and root's ssh" \
    grep -q "node2: ssh root@$NODE2_IP failed" <<<"$OUT"
is "$(mtimes)" "$before" "nothing written on any node"
mv "$S/authorized_keys.off" "$S/authorized_keys"

stop_ours
SSHD_PIDS=() CS_PIDS=()

# === with a witness ========================================================
# A fresh lab whose witness runs nothing with TLS (PGHA_LAB_QNETD_TLS=off:
# the lab makes no certificate); setup makes the CA on the witness, the
# cluster certificate and each node's database; qnetd with TLS required,
# corosync and corosync-qdevice started by hand from the generated files
# count the witness's vote on both nodes over verified TLS.
PGHA_LAB_QNETD_TLS=off PGHA_LAB_AUTOSTART=no PGHA_LAB_NO_DB=1 \
    lab_fresh --nodes 2 --no-fencing --witness
eval "$("$LAB" env)"
for node in node1 node2; do
	"$LAB" kill-pghad "$node" >/dev/null 2>&1 || true
	for d in qdevice corosync; do
		pid=$(cat "$LAB_DIR/$node/$d.pid")
		kill "$pid"
		wait_until 10 not kill -0 "$pid" ||
		    { not_ok "$node: the lab's $d ended"; done_testing; exit 1; }
	done
done
pid=$(cat "$LAB_DIR/witness/qnetd.pid")
kill "$pid"
wait_until 10 not kill -0 "$pid" ||
    { not_ok "the lab's qnetd ended"; done_testing; exit 1; }
"$LAB" exec witness rm -rf /etc/corosync/qnetd
: >"$S/known_hosts"
for k in 1 2 3; do
	if (( k == 3 )); then node=witness ip=$WITNESS_IP
	else node=node$k; ip_var=NODE${k}_IP; ip=${!ip_var}; fi
	echo "$ip $(cut -d' ' -f1,2 "$S/hostkey$k.pub" 2>/dev/null ||
	    { ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey$k";
	      cut -d' ' -f1,2 "$S/hostkey$k.pub"; })" >>"$S/known_hosts"
	rm -f "$S/sshd$k.pid"
	"$LAB" exec "$node" mkdir -p /run/sshd
	"$LAB" exec "$node" /usr/sbin/sshd -f "$S/sshd_config" \
	    -h "$S/hostkey$k" -o "ListenAddress=$ip:22" \
	    -o "PidFile=$S/sshd$k.pid" -E "$S/sshd$k.log" &&
	    SSHD_PIDS+=("$node $S/sshd$k.pid")
	wait_until 10 test -s "$S/sshd$k.pid" ||
	    { not_ok "$node: sshd started"; done_testing; exit 1; }
done

setup --no-start --witness "$WITNESS_IP"
is "$RC" 0 "cluster setup --witness --no-start: exit 0"
check "node1 made the qdevice certificates" \
    grep -qx "node1: qdevice certificates made" <<<"$OUT"
check "node2 imported them" \
    grep -qx "node2: qdevice certificates imported" <<<"$OUT"
check "corosync.conf has the witness with TLS required" \
    grep -qzP 'host: 198.18.0.3\n\t\t\talgorithm: ffsplit\n\t\t\ttls: required\n' \
    "$(host_file node2 corosync/corosync.conf)"
check "no two_node with a witness" \
    not grep -q two_node "$(host_file node1 corosync/corosync.conf)"
pid=$("$LAB" exec witness sh -c 'setsid corosync-qnetd -f -s req \
    -l "$1" </dev/null >/var/log/corosync/qnetd-setup.out 2>&1 & echo $!' \
    sh "$WITNESS_IP")
CS_PIDS+=("witness $pid")
wait_until 10 "$LAB" exec witness corosync-qnetd-tool -s ||
    not_ok "qnetd with TLS answers"
for n in node1 node2; do
	pid=$("$LAB" exec "$n" sh -c 'setsid corosync -f </dev/null \
	    >/var/log/corosync/setup-test.out 2>&1 & echo $!')
	CS_PIDS+=("$n $pid")
done
for n in node1 node2; do
	wait_until 10 "$LAB" exec "$n" corosync-cmapctl -g totem.cluster_name
	pid=$("$LAB" exec "$n" sh -c 'setsid corosync-qdevice -f </dev/null \
	    >/var/log/corosync/qdevice-setup.out 2>&1 & echo $!')
	CS_PIDS+=("$n $pid")
done
voting() {	# the node's votequorum counts its qdevice's vote
	local out
	out=$("$LAB" exec "$1" corosync-quorumtool -s 2>/dev/null) || return 1
	grep -Eq '^Flags:.*Qdevice' <<<"$out" &&
	    grep -Eq '^[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]+A,V,.*\(local\)' <<<"$out"
}
check "node1: the witness's vote counted" wait_until 60 voting node1
check "node2: the witness's vote counted" wait_until 60 voting node2
out=$("$LAB" exec witness corosync-qnetd-tool -l -v 2>&1)
n=$(grep -cE 'TLS active:[[:space:]]+Yes \(client certificate verified\)' \
    <<<"$out")
is "$n" 2 "qnetd: both nodes over TLS with verified client certificates"
[[ $n == 2 ]] || sed 's/^/#   /' <<<"$out"
setup --no-start --witness "$WITNESS_IP"
is "$RC" 0 "second run with the witness: exit 0"
check "node2's certificates up to date" \
    grep -qx "node2: qdevice certificates up to date" <<<"$OUT"
check "nothing changed" grep -q "nothing changed" <<<"$OUT"

stop_ours
SSHD_PIDS=() CS_PIDS=()
done_testing
