#!/bin/bash
# test.sh - set up a fresh Debian 12 machine and run every pgha test:
# unit, golden and fuzz-corpus tests (gcc -Werror), the same under clang
# ASan+UBSan, a short libFuzzer run of each harness, the Debian package
# (tests/package.sh), and the lab (integration) tests with real corosync,
# PostgreSQL and pghad.
#
#	./test.sh            everything		as root (or with sudo)
#	./test.sh --no-lab   without the lab
#
# Nothing here calls sudo: a fresh Debian image used as root has none.
#
# Ends with "N passed, N failed" over all of it; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")"

LAB=1
for a in "$@"; do
	case $a in
	--no-lab) LAB=0 ;;
	*) echo "usage: ./test.sh [--no-lab]" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: installing packages and the lab need root: run it as" \
	    "root (or: sudo $0)" >&2
	exit 1
fi
scripts/setup-deps.sh || exit 1

total_pass=0 total_fail=0
step() {	# step NAME CMD...: run, echo, add up its "N passed, N failed"
	local name=$1 out line p f rc
	shift
	echo "==== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		f=1
		echo "==== $name failed (exit $rc)"
	fi
	total_pass=$(( total_pass + ${p:-0} ))
	total_fail=$(( total_fail + ${f:-0} ))
	rm -f "$out"
}

build() { make -j2 all "$@" 2>&1 | grep -v '^make' ; return "${PIPESTATUS[0]}"; }

echo "==== build (gcc -Werror)"
if ! build; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
step "unit, golden, fuzz corpus (gcc)" make -s check
step "unit, golden, fuzz corpus (clang ASan+UBSan)" make -s SAN=1 check
faults_round() {
	local r
	tests/lab/faults.sh --seed "${FAULT_SEED:-2026}" \
	    --duration "${FAULT_SECONDS:-150}"
	r=$?
	tests/lab/lab down >/dev/null 2>&1
	if [ "$r" -eq 0 ]; then echo "1 passed, 0 failed"
	else echo "0 passed, 1 failed"; fi
	return "$r"
}

fuzz_short() {
	local t p=0 f=0
	make -s $(ls tests/fuzz/fuzz_*.c |
	    sed 's|tests/fuzz/fuzz_\(.*\)\.c|build/fuzz/libfuzzer_\1|') || true
	for t in $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||'); do
		if [ ! -x build/fuzz/libfuzzer_$t ]; then
			echo "not ok - libfuzzer_$t did not build"; f=$(( f + 1 ))
			continue
		fi
		mkdir -p "tests/fuzz/corpus/$t"
		tmpc=$(mktemp -d)
		if build/fuzz/libfuzzer_$t -max_total_time="${FUZZ_SECONDS:-20}" \
		    "$tmpc" "tests/fuzz/corpus/$t" >"$tmpc.log" 2>&1; then
			echo "ok - fuzz $t: $(grep -oE 'Done [0-9]+ runs' "$tmpc.log")"
			p=$(( p + 1 ))
		else
			echo "not ok - fuzz $t found a crash:"
			tail -n 30 "$tmpc.log"
			f=$(( f + 1 ))
		fi
		rm -rf "$tmpc" "$tmpc.log"
	done
	echo "$p passed, $f failed"
	[ "$f" -eq 0 ]
}
step "libFuzzer, ${FUZZ_SECONDS:-20} s per harness" fuzz_short
step "Debian package, make install, unit file" tests/package.sh
if [ "$LAB" -eq 1 ]; then
	step "lab (integration)" tests/lab/run-all.sh build
	# A short seeded round of the fault-injection suite; a failing seed
	# replays with tests/lab/faults.sh --seed N.
	step "fault injection (seed ${FAULT_SEED:-2026}, ${FAULT_SECONDS:-150} s)" \
	    faults_round
	# The daemons themselves under ASan+UBSan, on a short set.
	if make -s SAN=1 -j2 all >/dev/null; then
		step "lab under ASan+UBSan (short set)" env \
		    PGHA_BUILD="$PWD/build-san" tests/lab/run-all.sh build-san \
		    tests/lab/t_move.sh tests/lab/t_pg_crash.sh \
		    tests/lab/t_pghad_restart.sh tests/lab/t_guide_5_4_1.sh \
		    tests/lab/t_unmanage.sh tests/lab/t_dbinit.sh \
		    tests/lab/t_power_stmt.sh
	else
		echo "sanitizer build failed"
		total_fail=$(( total_fail + 1 ))
	fi
fi
echo "==== all tests"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
