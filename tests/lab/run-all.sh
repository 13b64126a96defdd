#!/bin/bash
# Lab (integration) tests: real corosync, PostgreSQL and pghad in network
# namespaces (see tests/lab/README.md).  Root only.  Usage:
#	tests/lab/run-all.sh [BUILD] [TEST...]
# Prints each test's TAP, then "N passed, N failed"; exits 1 on failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$(cd "${1:-$root/build}" && pwd)
shift || true
export PGHA_BUILD=$BUILD
# Which lab: every name the lab uses derives from it (tests/lab/README.md).
export PGHA_LAB_NAME=${PGHA_LAB_NAME:-pgha}
LAB_DIR=${PGHA_LAB_DIR:-/var/tmp/$PGHA_LAB_NAME-lab}
export OUT_DIR=${OUT_DIR:-/var/tmp/$PGHA_LAB_NAME-lab-out}
mkdir -p "$OUT_DIR"

if [ "$(id -u)" -ne 0 ]; then
	echo "run-all: the lab needs root" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=("$here/test_agents.sh" "$here/test_pgcheck.sh" "$here"/t_*.sh)
fi

pass=0 fail=0 failed_tests=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "# ---- $name"
	rm -f "$OUT_DIR"/*.verify "$OUT_DIR"/*.out
	start=$(date +%s)
	if [ "$name" = test_agents ] || [ "$name" = test_pgcheck ]; then
		# Their scratch names (pghaT-*, /var/tmp/pgha-*-test) are
		# not per lab: one run at a time on this machine.
		flock -w 600 "/var/tmp/pgha-$name.lock" \
		    "$t" "$BUILD" 2>"$OUT_DIR/$name.stderr" | tee "$OUT_DIR/$name.tap"
	else
		"$t" "$BUILD" 2>"$OUT_DIR/$name.stderr" | tee "$OUT_DIR/$name.tap"
	fi
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$OUT_DIR/$name.tap")
	f=$(grep -c '^not ok ' "$OUT_DIR/$name.tap")
	# A sanitizer report in any daemon's or client's output fails the test.
	if grep -lE 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' \
	    "$LAB_DIR"/node*/*.log "$OUT_DIR"/*.verify \
	    "$OUT_DIR"/*.out "$OUT_DIR/$name.stderr" 2>/dev/null; then
		echo "not ok - $name: sanitizer report (files above)"
		f=$(( f + 1 ))
		rc=1
		mkdir -p "$OUT_DIR/sanitizer-$name"
		cp "$LAB_DIR"/node*/*.log "$OUT_DIR/sanitizer-$name/" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# died without saying why: count it
		echo "not ok - $name exited $rc" 
		tail -n 30 "$OUT_DIR/$name.stderr" | sed 's/^/# /'
	fi
	pass=$(( pass + p ))
	fail=$(( fail + f ))
	[ "$f" -eq 0 ] || failed_tests+=("$name")
	echo "# $name: $p passed, $f failed in $(( $(date +%s) - start )) s"
done
"$here/lab" down >/dev/null 2>&1 || true
[ ${#failed_tests[@]} -eq 0 ] || echo "# failed: ${failed_tests[*]}"
echo "lab: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
