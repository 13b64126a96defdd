#!/bin/bash
# faults.sh - inject faults into a lab cluster, one after another, while a
# client keeps writing through the access point, and check what must
# always hold (../shared/PRODUCT.md):
#   - never two nodes with the disk mounted, the address, or a server on
#     the data directory (sampled continuously, lib.sh's sampler);
#   - no acknowledged commit lost (the writer's log against the table);
#   - after each fault is healed, the group is back online within a bound.
#
#	tests/lab/faults.sh [--seed N] [--duration SECONDS] [--bound SECONDS]
#	                    [--kinds k1,k2,...] [--report FILE]
#
# The faults are drawn from the seed: the same seed replays the same
# sequence of (fault, target).  Kinds: power, partition, link, freeze,
# pghad-kill, pghad-stop, pg-kill, pg-stop, witness, umount.
set -uo pipefail
. "$(dirname "$0")/scenario.sh"

SEED=$(( $(date +%s) % 100000 ))
DURATION=180
BOUND=60
KINDS="power,partition,link,freeze,pghad-kill,pghad-stop,pg-kill,pg-stop,witness,umount"
REPORT=
while (( $# )); do
	case $1 in
	--seed) SEED=${2:?}; shift 2 ;;
	--duration) DURATION=${2:?}; shift 2 ;;
	--bound) BOUND=${2:?}; shift 2 ;;
	--kinds) KINDS=${2:?}; shift 2 ;;
	--report) REPORT=${2:?}; shift 2 ;;
	*) echo "usage: faults.sh [--seed N] [--duration S] [--bound S]" \
	    "[--kinds LIST] [--report FILE]" >&2; exit 2 ;;
	esac
done
IFS=, read -r -a KIND_LIST <<<"$KINDS"
RANDOM=$SEED
say() { echo "# $(date +%T.%3N) $*"; }

declare -A COUNT=() BACK=()
RESULTS=()
VIOLATIONS=0
NOT_BACK=0

owner() { status_q "$1" '.groups[0].owner // empty' 2>/dev/null; }
# PICK = a number in [0, N) from the seeded sequence.  Never in a $(...):
# bash reseeds RANDOM in subshells, which would lose the replay.
pick() { PICK=$(( RANDOM % $1 )); }

# Any node that answers; empty if none.
some_node() {
	local n
	for n in $(lab_nodes); do
		lab_init_pid "$n" >/dev/null 2>&1 || continue
		pgha_on "$n" status >/dev/null 2>&1 && { echo "$n"; return; }
	done
}

# Steady: every node up and online, db1 online somewhere.  A node found
# powered off (by the fault, or fenced meanwhile) is powered on again.
steady() {
	local n a
	restore_all
	a=$(some_node)
	[[ -n $a ]] || return 1
	for n in $(lab_nodes); do
		lab_init_pid "$n" >/dev/null 2>&1 || return 1
		node_is "$a" "$n" online 2>/dev/null || return 1
	done
	online_on "$(owner "$a")" "$a"
}

# Power back what a fault or a fence left off.
restore_all() {
	local n
	for n in $(lab_nodes); do
		lab_init_pid "$n" >/dev/null 2>&1 && continue
		say "restoring $n (powered off)"
		"$LAB" restore "$n" >/dev/null 2>&1 || say "restore $n failed"
	done
}

group_back() {	# db1 online on a node
	local a
	a=$(some_node)
	[[ -n $a ]] && online_on "$(owner "$a")" "$a"
}

# The client's longest gap between acknowledged commits within [t0, t1].
client_gap() {
	awk -v t0="$1" -v t1="$2" '
	    $2 == "ok" { if (prev && $1 >= t0 && $1 <= t1 && $4 - pm > best)
			    best = $4 - pm
			 prev = $1; pm = $4 }
	    END { print best + 0 }' "$WRITER_LOG"
}

inject() {	# inject KIND: applies it; TARGET = what it hit
	local kind=$1 a o t nodes
	mapfile -t nodes < <(lab_nodes)
	a=$(some_node)
	o=$(owner "$a")
	# Half the time the owner, else any node.
	pick 2
	if (( PICK == 0 )) && [[ -n $o ]]; then t=$o
	else pick ${#nodes[@]}; t=${nodes[$PICK]}; fi
	case $kind in
	power) "$LAB" crash "$t" >/dev/null ;;
	partition) "$LAB" isolate "$t" >/dev/null ;;
	link) pick 2; "$LAB" link "$t" "$PICK" down >/dev/null ;;
	freeze) "$LAB" freeze "$t" >/dev/null ;;
	pghad-kill) "$LAB" kill-pghad "$t" >/dev/null ;;
	pghad-stop) "$LAB" freeze-pghad "$t" >/dev/null ;;
	pg-kill) t=$o; "$LAB" kill-postmaster "$t" >/dev/null ;;
	pg-stop) t=$o; "$LAB" freeze-postmaster "$t" >/dev/null ;;
	witness) t=witness; "$LAB" witness-down >/dev/null ;;
	umount) t=$o; "$LAB" exec "$t" umount -l /srv/db1 ;;
	esac
	TARGET=$t
}

# How long a fault stays before it is healed: HOLD (seconds).
hold() {
	case $1 in
	freeze|pghad-stop|pg-stop|partition) pick 4; HOLD=$(( 4 + PICK )) ;;
	link|witness) pick 4; HOLD=$(( 3 + PICK )) ;;
	*) HOLD=0 ;;
	esac
}

# The survivors have seen NODE go (offline: fenced, or it ran nothing).
seen_off() {
	local a
	a=$(some_node)
	[[ -n $a && $a != "$1" ]] && node_is "$a" "$1" offline
}

heal() {	# heal KIND TARGET
	case $1 in
	power)	# as a real machine: back only after the cluster saw it go
		wait_until "$BOUND" seen_off "$2" ||
		    say "survivors never saw $2 go" ;;
	partition) "$LAB" heal "$2" >/dev/null 2>&1 ;;
	link) "$LAB" link "$2" 0 up >/dev/null 2>&1
	      "$LAB" link "$2" 1 up >/dev/null 2>&1 ;;
	freeze) "$LAB" thaw "$2" >/dev/null 2>&1 ;;
	pghad-kill) "$LAB" start-pghad "$2" >/dev/null 2>&1 ;;
	pghad-stop) "$LAB" thaw-pghad "$2" >/dev/null 2>&1 ;;
	pg-stop) "$LAB" thaw-postmaster "$2" >/dev/null 2>&1 ;;
	witness) "$LAB" witness-up >/dev/null 2>&1 ;;
	*) ;;
	esac
	restore_all
}

# A node that failed the group is passed over for 15 s only: long rounds
# fail the server on every node in turn, and each fault is healed.
export PGHA_LAB_BAN_TIMEOUT=${PGHA_LAB_BAN_TIMEOUT:-15s}
say "seed $SEED, duration ${DURATION}s, bound ${BOUND}s, kinds $KINDS"
lab_fresh --witness --links 2 --fencing
sampler_start
writer_start faults
writer_wait_more 50
end=$(( $(lab_ms) + DURATION * 1000 ))
i=0
while (( $(lab_ms) < end )); do
	i=$(( i + 1 ))
	pick ${#KIND_LIST[@]}
	kind=${KIND_LIST[$PICK]}
	hold "$kind"
	h=$HOLD
	t0=$(lab_ms)
	inject "$kind"
	target=$TARGET
	say "fault $i: $kind on $target (held ${h}s)"
	(( h > 0 )) && sleep "$h"	# the fault's duration, not a readiness wait
	heal "$kind" "$target"
	if wait_until "$BOUND" group_back; then back=yes
	else back=no; NOT_BACK=$(( NOT_BACK + 1 )); fi
	wait_until "$BOUND" steady || say "cluster not steady ${BOUND}s after fault $i"
	t1=$(lab_ms)
	gap=$(client_gap "$t0" "$t1")
	COUNT[$kind]=$(( ${COUNT[$kind]:-0} + 1 ))
	RESULTS+=("$i $kind $target gap_ms=$gap back=$back")
	say "fault $i: $kind on $target: client gap ${gap} ms, group back: $back"
	writer_wait_more 20 "$BOUND" || say "client not committing after fault $i"
done

VIOLATIONS=$(sampler_stop)
writer_stop
writer_verify faults >/dev/null
lost=$(kv "$OUT_DIR/faults.verify" lost)
{
	echo "== faults.sh seed=$SEED duration=${DURATION}s faults=$i"
	for k in "${!COUNT[@]}"; do echo "  $k: ${COUNT[$k]}"; done | sort
	echo "  invariant violations (two holders at once): $VIOLATIONS"
	echo "  acknowledged commits: $(kv "$OUT_DIR/faults.verify" acked), lost: $lost"
	echo "  faults after which the group was not back within ${BOUND}s: $NOT_BACK"
	printf '  %s\n' "${RESULTS[@]}"
} | tee "${REPORT:-$OUT_DIR/faults.report}"
(( ${FAULTS_KEEP_LAB:-0} )) || "$LAB" down >/dev/null 2>&1
[[ $VIOLATIONS == 0 && $lost == 0 && $NOT_BACK == 0 ]]
