# lib.sh - helpers for lab tests (source it; bash).
#
#	wait_until TIMEOUT_S CMD...	poll CMD every 50 ms; 0 once it succeeds,
#					1 (and a message) when the time is up
#	ok DESC / not_ok DESC		TAP lines, counted
#	check DESC CMD...		ok or not_ok on CMD's status
#	is GOT WANT DESC		ok if equal, else not_ok showing both
#	done_testing			prints the plan; status 1 if anything failed
#	node_has_mount|ip|pg NODE	the facts of invariant 1, read from outside
#	sampler_start / sampler_stop	background check of invariant 1 every
#					~100 ms; sampler_stop prints the
#					violation count on stdout (details on
#					stderr) and, unless run in $(...), sets
#					SAMPLER_SAMPLES and SAMPLER_VIOLATIONS
#	lab_dump_logs			tails of every node's logs (on failure)
#
# Needs the lab up: it reads the state the `lab` script keeps in LAB_DIR.
# The lab is the one named by $PGHA_LAB_NAME (default pgha), as for `lab`.

LAB_NAME=${PGHA_LAB_NAME:-pgha}
LAB_DIR=${LAB_DIR:-${PGHA_LAB_DIR:-/var/tmp/$LAB_NAME-lab}}
LAB=${LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab}
LAB_ACCESS_IP=${ACCESS_IP:-198.18.0.100}
LAB_DATA=/srv/db1/data
LAB_MOUNT=/srv/db1

_tap_n=0
_tap_failed=0

lab_ms() { date +%s%3N; }

wait_until() {
	local timeout=$1 deadline
	shift
	deadline=$(( $(lab_ms) + timeout * 1000 ))
	until "$@" >/dev/null 2>&1; do
		if (( $(lab_ms) >= deadline )); then
			echo "# wait_until: timed out after ${timeout}s: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

ok() {
	_tap_n=$(( _tap_n + 1 ))
	echo "ok $_tap_n - $*"
}

not_ok() {
	_tap_n=$(( _tap_n + 1 ))
	_tap_failed=$(( _tap_failed + 1 ))
	echo "not ok $_tap_n - $*"
}

not() { ! "$@"; }	# not CMD...: for check / wait_until

# holds_for SECONDS CMD...: CMD holds at every poll for SECONDS (an
# observation window: it can only fail early, never wait on readiness).
holds_for() {
	local secs=$1 deadline
	shift
	deadline=$(( $(lab_ms) + secs * 1000 ))
	while (( $(lab_ms) < deadline )); do
		"$@" >/dev/null 2>&1 || return 1
		sleep 0.1
	done
}

check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

is() {
	if [[ $1 == "$2" ]]; then
		ok "$3"
	else
		not_ok "$3"
		echo "#   got: '$1'"
		echo "#  want: '$2'"
	fi
}

done_testing() {
	echo "1..$_tap_n"
	(( _tap_failed == 0 )) || { echo "# $_tap_failed of $_tap_n failed"; return 1; }
}

# ---------------------------------------------------------------- facts

lab_nodes() {
	local k n
	n=$(cat "$LAB_DIR/nodes" 2>/dev/null || echo 0)
	for (( k = 1; k <= n; k++ )); do echo "node$k"; done
}

# Host pid of the node's init, if the node runs.
lab_init_pid() {
	local pid
	pid=$(cat "$LAB_DIR/$1/init.pid" 2>/dev/null) || return 1
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == pgha-labinit ]] || return 1
	echo "$pid"
}

# The disk is mounted in the node's mount namespace.
node_has_mount() {
	local pid
	pid=$(lab_init_pid "$1") || return 1
	awk -v m="$LAB_MOUNT" '$2 == m { f = 1 } END { exit !f }' "/proc/$pid/mounts" 2>/dev/null
}

# The access point is assigned in the node's network namespace (also when
# the node's processes are gone: an address outlives them).
# Not `ip | grep -q`: under pipefail, grep exiting at its first match
# makes ip die of SIGPIPE and the pipeline fail although it matched.
node_has_ip() {
	local out
	out=$(ip -n "$LAB_NAME-$1" -4 -o addr show 2>/dev/null)
	[[ $out == *" ${2:-$LAB_ACCESS_IP}/"* ]]
}

# A PostgreSQL process of the node works on the shared data directory
# (a postmaster, or a backend that outlived a killed postmaster: both touch
# the data).  Postgres chdirs into its data directory.
node_has_pg() {
	local p
	for p in $(ip netns pids "$LAB_NAME-$1" 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == postgres* ]] || continue
		[[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$LAB_DATA" ]] && return 0
	done
	return 1
}

# ---------------------------------------------------------------- sampler

# One pass over the nodes in the given order: "node:mip" flags per node.
_sampler_pass() {
	local node m i p
	for node in "$@"; do
		m=0 i=0 p=0
		node_has_mount "$node" && m=1
		node_has_ip "$node" && i=1
		node_has_pg "$node" && p=1
		echo "$node $m $i $p"
	done
}

# A node holds a fact in a sample only if both passes saw it: the forward
# pass and the reverse pass bracket the reads of every other node, so two
# nodes holding it means they held it at the same moment, not merely one
# after the other during a hand-over that fell between two reads.
_sampler_loop() {
	local samples=0 violations=0 next nodes rev fwd bwd line fact col who t
	trap 'echo "samples=$samples violations=$violations" >"$SAMPLER_DIR/result"; exit 0' TERM
	next=$(lab_ms)
	while :; do
		mapfile -t nodes < <(lab_nodes)
		rev=()
		for (( t = ${#nodes[@]} - 1; t >= 0; t-- )); do rev+=("${nodes[t]}"); done
		fwd=$(_sampler_pass "${nodes[@]}")
		bwd=$(_sampler_pass "${rev[@]}")
		samples=$(( samples + 1 ))
		for col in 2:mount 3:address 4:postgres; do
			who=$(printf '%s\n%s\n' "$fwd" "$bwd" |
			    awk -v c="${col%%:*}" '$c == 1 { n[$1]++ }
				END { for (k in n) if (n[k] == 2) printf "%s ", k }')
			if (( $(wc -w <<<"$who") > 1 )); then
				violations=$(( violations + 1 ))
				echo "$(lab_ms) VIOLATION ${col#*:} on: $who" >>"$SAMPLER_DIR/log"
			fi
		done
		next=$(( next + 100 ))
		t=$(lab_ms)
		(( next > t )) || next=$t
		sleep "$(printf '0.%03d' $(( next - t )))"
	done
}

sampler_start() {
	SAMPLER_DIR=$(mktemp -d /tmp/pgha-sampler.XXXXXX)
	: >"$SAMPLER_DIR/log"
	_sampler_loop &
	SAMPLER_PID=$!
}

sampler_stop() {
	local r
	[[ -n ${SAMPLER_PID:-} ]] || { echo "# sampler not running" >&2; return 1; }
	kill -TERM "$SAMPLER_PID"
	# In $(...) the sampler is not our child: wait for its result file.
	# Its TERM trap runs once the pass in progress ends: on a loaded
	# machine a pass over every node can take seconds.
	wait_until 30 test -e "$SAMPLER_DIR/result" ||
	    echo "# sampler: no result 30 s after TERM" >&2
	SAMPLER_PID=
	r=$(cat "$SAMPLER_DIR/result" 2>/dev/null || echo "samples=0 violations=-1")
	SAMPLER_SAMPLES=${r#samples=}; SAMPLER_SAMPLES=${SAMPLER_SAMPLES%% *}
	SAMPLER_VIOLATIONS=${r#*violations=}
	{
		echo "# sampler: $SAMPLER_SAMPLES samples, $SAMPLER_VIOLATIONS violations"
		sed 's/^/# /' "$SAMPLER_DIR/log"
	} >&2
	rm -rf "$SAMPLER_DIR"
	echo "$SAMPLER_VIOLATIONS"
}

lab_dump_logs() {
	local f
	for f in "$LAB_DIR"/node*/{pghad,corosync,qdevice}.log \
	    "$LAB_DIR"/node*/labinit.log "$LAB_DIR"/witness/qnetd.log \
	    "$LAB_DIR"/power.log; do
		[[ -s $f ]] || continue
		echo "# ---- $f (last 40 lines)"
		tail -n 40 "$f" | sed 's/^/# /'
	done
}
