#!/bin/bash
# Scale: 3 nodes, 8 groups, each its own database on its own disk and
# address (lab up --groups 8).  Every group runs on exactly one node; the
# node with the most groups loses power, and every group it ran comes back
# on a survivor, each still on exactly one node and answering through its
# own address; the node then rejoins.  Times are not judged here (see
# bench_scale.sh for them).
set -uo pipefail
. "$(dirname "$0")/scenario.sh"
trap on_fail_dump EXIT

NGROUPS=8
PLACEMENT=''

# Group dbK: its address, port, mountpoint and data directory.
g_ip() { echo "198.18.0.$(( 99 + $1 ))"; }
g_port() { echo $(( 5431 + $1 )); }

# groups_of and all_back: scenario.sh.

# The facts of invariant 1 for group dbK on NODE, read from outside.
has_mount() {	# has_mount NODE K
	local pid
	pid=$(lab_init_pid "$1") || return 1
	awk -v m="/srv/db$2" '$2 == m { f = 1 } END { exit !f }' \
	    "/proc/$pid/mounts" 2>/dev/null
}
has_ip() { node_has_ip "$1" "$(g_ip "$2")"; }	# has_ip NODE K
has_pg() {	# has_pg NODE K: a postgres process works on /srv/dbK/data
	local p
	for p in $(ip netns pids "$LAB_NAME-$1" 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == postgres* ]] || continue
		[[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "/srv/db$2/data" ]] &&
		    return 0
	done
	return 1
}

# held_on FACT K: the nodes where group dbK's FACT holds, space-separated.
held_on() {
	local n out=
	for n in $(lab_nodes); do
		"$1" "$n" "$2" && out+="$n "
	done
	echo "${out% }"
}

# Every group's disk, address and server are on exactly one node, its
# owner in PLACEMENT (as the last all_back saw it).
each_on_its_owner() {
	local k owner fact where bad=0
	for (( k = 1; k <= NGROUPS; k++ )); do
		owner=$(awk -v g="db$k" '$1 == g { print $3 }' <<<"$PLACEMENT")
		for fact in has_mount has_ip has_pg; do
			where=$(held_on "$fact" "$k")
			if [[ $where != "$owner" ]]; then
				echo "# db$k: ${fact#has_} on '$where', owner '$owner'"
				bad=1
			fi
		done
	done
	return "$bad"
}

# Every database answers through its own address and port, from the
# client, and is the server of its own data directory.
each_answers() {
	local k got bad=0
	for (( k = 1; k <= NGROUPS; k++ )); do
		got=$(ip netns exec "$CLIENT_NS" psql -X -Atq -v ON_ERROR_STOP=1 \
		    "host=$(g_ip "$k") port=$(g_port "$k") dbname=postgres user=postgres connect_timeout=5" \
		    -c "SELECT current_setting('data_directory')" 2>&1)
		if [[ $got != "/srv/db$k/data" ]]; then
			echo "# db$k at $(g_ip "$k"):$(g_port "$k"): $got"
			bad=1
		fi
	done
	return "$bad"
}

# Nothing of any group on NODE: no disk, address or server.
holds_no_group() {	# holds_no_group NODE
	local k
	for (( k = 1; k <= NGROUPS; k++ )); do
		if has_mount "$1" "$k" || has_ip "$1" "$k" || has_pg "$1" "$k"; then
			echo "# $1 still holds something of db$k"
			return 1
		fi
	done
}

# node_facts NODE: "NODE mount|ip|pg K" for each group dbK whose disk is
# mounted, address assigned or server running (a postgres process working
# on /srv/dbK/data) on NODE; a few processes per node, not per group, so
# that a pass over the nodes stays short.
node_facts() {
	local n=$1 pid p c cwds=()
	if pid=$(lab_init_pid "$n"); then
		awk -v n="$n" '$2 ~ /^\/srv\/db[0-9]+$/ {
			print n, "mount", substr($2, 8) }' "/proc/$pid/mounts" 2>/dev/null
	fi
	ip -n "$LAB_NAME-$n" -4 -o addr show 2>/dev/null | awk -v n="$n" '
	    { split($4, a, "/"); split(a[1], o, ".")
	      if (a[1] ~ /^198\.18\.0\./ && o[4] >= 100 && o[4] < 100 + '"$NGROUPS"')
		print n, "ip", o[4] - 99 }'
	for p in $(ip netns pids "$LAB_NAME-$n" 2>/dev/null); do
		read -r c 2>/dev/null <"/proc/$p/comm" || continue
		[[ $c == postgres* ]] && cwds+=("/proc/$p/cwd")
	done
	(( ${#cwds[@]} )) || return 0
	stat -c '%N' "${cwds[@]}" 2>/dev/null |
	    sed -n "s|.* -> '/srv/db\([0-9]*\)/data'\$|$n pg \1|p" | sort -u
}

# A multi-group sampler like lib.sh's (a forward and a reverse pass over
# the nodes; a fact counts for a node only if both passes saw it), every
# ~200 ms: a group's disk, address or server on two nodes at once is a
# violation.
_scale_sampler() {
	local samples=0 violations=0 nodes rev t fwd bwd bad
	trap 'echo "$samples $violations" >"$SCALE_SAMPLER/result"; exit 0' TERM
	while :; do
		mapfile -t nodes < <(lab_nodes)
		rev=()
		for (( t = ${#nodes[@]} - 1; t >= 0; t-- )); do rev+=("${nodes[t]}"); done
		fwd=$(for t in "${nodes[@]}"; do node_facts "$t"; done)
		bwd=$(for t in "${rev[@]}"; do node_facts "$t"; done)
		bad=$(printf '%s\n%s\n' "$fwd" "$bwd" | awk 'NF == 3 { n[$0]++ }
		    END { for (k in n) if (n[k] == 2) { split(k, f, " ")
			who[f[2] " db" f[3]] = who[f[2] " db" f[3]] " " f[1]
			c[f[2] " db" f[3]]++ }
			for (k in c) if (c[k] > 1) print k ":" who[k] }')
		samples=$(( samples + 1 ))
		if [[ -n $bad ]]; then
			violations=$(( violations + 1 ))
			echo "$(lab_ms) $bad" >>"$SCALE_SAMPLER/log"
		fi
		sleep 0.2
	done
}
scale_sampler_start() {
	SCALE_SAMPLER=$(mktemp -d /tmp/pgha-scale-sampler.XXXXXX)
	: >"$SCALE_SAMPLER/log"
	_scale_sampler &
	SCALE_SAMPLER_PID=$!
}
scale_sampler_stop() {	# sets SAMPLES and VIOLATIONS (not in $(...))
	kill -TERM "$SCALE_SAMPLER_PID" 2>/dev/null
	wait "$SCALE_SAMPLER_PID" 2>/dev/null
	read -r SAMPLES VIOLATIONS <"$SCALE_SAMPLER/result" ||
	    SAMPLES=0 VIOLATIONS=-1
	sed 's/^/# VIOLATION /' "$SCALE_SAMPLER/log"
	rm -rf "$SCALE_SAMPLER"
}

lab_fresh --nodes 3 --groups "$NGROUPS"
check "all $NGROUPS groups online after lab up" wait_until 60 all_back node1
placement=$PLACEMENT
echo "# placement: $(awk '{ printf "%s@%s ", $1, $3 }' <<<"$placement")"
check "every node runs a group" test "$(awk '{ print $3 }' <<<"$placement" |
    sort -u | wc -l)" -eq 3
check "each group's disk, address and server on exactly one node, its owner" \
    each_on_its_owner
check "each database answers through its own address" each_answers

scale_sampler_start

# The node with the most groups (lowest id on ties) loses power.
victim=$(awk '{ c[$3]++ } END { for (n in c) print c[n], n }' <<<"$placement" |
    sort -k1,1nr -k2,2 | head -1 | awk '{ print $2 }')
asker=node1
[[ $victim == node1 ]] && asker=node2
lost=$(awk -v n="$victim" '$3 == n { printf "%s ", $1 }' <<<"$placement")
if [[ -z $victim ]]; then
	not_ok "placement read from pgha status"
	done_testing
	exit 1
fi
echo "# $victim loses power; its groups: $lost"
"$LAB" crash "$victim" --hard >"$OUT_DIR/scale-crash.lab" 2>&1
check "every group online on a survivor after $victim lost power" \
    wait_until 60 all_back "$asker" "$victim"
placement=$PLACEMENT
echo "# placement: $(awk '{ printf "%s@%s ", $1, $3 }' <<<"$placement")"
for g in $lost; do
	is "$(awk -v g="$g" '$1 == g && $2 == "online" { print "moved" }' <<<"$placement")" \
	    moved "$g (was on $victim) is online on $(awk -v g="$g" '$1 == g { print $3 }' <<<"$placement")"
done
check "$asker shows $victim offline" \
    wait_until 30 node_is "$asker" "$victim" offline
check "$victim holds no disk, address or server of any group" \
    holds_no_group "$victim"
check "each group's disk, address and server on exactly one node, its owner" \
    each_on_its_owner
check "each database answers through its own address" each_answers

"$LAB" restore "$victim" >"$OUT_DIR/scale-restore.lab" 2>&1
check "$victim rejoins" wait_until 60 node_is "$asker" "$victim" online
check "$victim sees itself online" wait_until 30 node_is "$victim" "$victim" online
check "all $NGROUPS groups still online" wait_until 30 all_back "$asker"
check "each group's disk, address and server on exactly one node, its owner" \
    each_on_its_owner
scale_sampler_stop
is "$VIOLATIONS" 0 "never a group's disk, address or server on two nodes ($SAMPLES samples)"
check "the sampler took samples" test "$SAMPLES" -gt 0
done_testing
