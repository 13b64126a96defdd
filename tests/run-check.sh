#!/bin/sh
# run-check.sh BUILD - runs every test of `make check`:
#   - BUILD/tests/test_X for each tests/unit/test_X.c (TAP: every
#     assertion counts),
#   - tests/golden/run.sh BUILD (TAP: every golden file counts),
#   - tests/golden/cli-run.sh BUILD (TAP: what the programs print with no
#     daemon: --help, --version, usage and connect errors),
#   - tests/doc-examples.sh BUILD (TAP: every cluster-file example of the
#     README, docs/ and man/ passes pghad -n),
#   - tests/completion.sh BUILD (TAP: bash completion of pgha),
#   - tests/golden/run_decide.sh BUILD (TAP: every decide scenario counts),
#   - BUILD/fuzz/replay_X for each tests/fuzz/fuzz_X.c, over
#     tests/fuzz/corpus/X/ (one count per program).
# A program that was not built counts as a failure.
# A program also fails if it exits non-zero, prints a plan that does not
# match its assertions, or prints a sanitizer report.  Ends with the line
# "N passed, N failed"; exits 1 if anything failed.
set -u

[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
cd "$top" || exit 2
PGHA_TOP=$top
export PGHA_TOP
TIMEOUT=${TEST_TIMEOUT:-600}

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sanitizer_report() {
	grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' \
	    "$1"
}

# run_tap NAME CMD...: count the "ok"/"not ok" lines of a TAP program.
run_tap() {
	name=$1
	shift
	timeout "$TIMEOUT" "$@" >"$tmp/out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$tmp/out")
	f=$(grep -c '^not ok ' "$tmp/out")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tmp/out" | tail -1)
	grep -E '^not ok |^# ' "$tmp/out" | sed "s|^|$name: |"
	why=
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		why="exit status $rc"
	elif [ -z "$plan" ]; then
		why="no plan line"
	elif [ "$plan" -ne $((p + f)) ]; then
		why="planned $plan, ran $((p + f))"
	elif sanitizer_report "$tmp/out"; then
		why="sanitizer report"
	fi
	if [ -n "$why" ]; then
		tail -30 "$tmp/out" | sed "s|^|$name: |"
		f=$((f + 1))
		echo "FAIL $name: $why ($p passed, $f failed)"
	elif [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p passed, $f failed)"
	else
		echo "PASS $name ($p passed)"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# missing: a source file whose program was not built is a failure
missing() {
	echo "FAIL $1: not built ($2 missing)"
	failed=$((failed + 1))
}

for src in tests/unit/test_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	if [ -x "$build/tests/$name" ]; then
		run_tap "$name" "$build/tests/$name"
	else
		missing "$name" "$build/tests/$name"
	fi
done

run_tap golden tests/golden/run.sh "$build"
run_tap golden-cli tests/golden/cli-run.sh "$build"
run_tap doc-examples tests/doc-examples.sh "$build"
run_tap completion tests/completion.sh "$build"
run_tap golden-decide tests/golden/run_decide.sh "$build"

for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	r=$build/fuzz/replay_$name
	if [ ! -x "$r" ]; then
		missing "replay_$name" "$r"
		continue
	fi
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ]; then
		echo "FAIL replay_$name: no corpus $corpus"
		failed=$((failed + 1))
		continue
	fi
	if timeout "$TIMEOUT" "$r" "$corpus" >"$tmp/out" 2>&1 &&
	    ! sanitizer_report "$tmp/out"; then
		echo "PASS replay_$name ($(tail -1 "$tmp/out"))"
		passed=$((passed + 1))
	else
		tail -30 "$tmp/out" | sed "s|^|replay_$name: |"
		echo "FAIL replay_$name"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
