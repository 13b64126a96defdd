#!/bin/sh
# run_decide.sh BUILD [-update] - golden decide scenarios.
#
# Each tests/golden/decide/NAME.scn (a cluster file, then inputs: see
# decide/README) is replayed by BUILD/tests/golden_decide through the real
# replica_step() and decide_plan(); its output must be exactly NAME.out.
# -update rewrites NAME.out from what the code does now: review the diff,
# every line of it, against PRODUCT.md and pgha.conf(5).  Output is TAP.
set -u

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD [-update]" >&2; exit 2; }
build=$1
update=0
[ "${2:-}" = "-update" ] && update=1
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
run=$build/tests/golden_decide
[ -x "$run" ] || { echo "Bail out! $run not built"; exit 1; }

dir=$(cd "$(dirname "$0")/decide" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir" || exit 1

n=0
failed=0
for scn in *.scn; do
	name=${scn%.scn}
	n=$((n + 1))
	"$run" "$scn" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $update = 1 ] && [ $rc -eq 0 ] && cp "$tmp/out" "$name.out"
	why=
	if [ $rc -ne 0 ]; then
		why="exit $rc: $(grep '^error: ' "$tmp/out" | head -1)"
	elif [ -s "$tmp/err" ]; then
		why="stderr not empty"
	elif [ ! -f "$name.out" ]; then
		why="no $name.out (run make golden-update)"
	elif ! cmp -s "$tmp/out" "$name.out"; then
		why="output differs from $name.out"
		diff -u "$name.out" "$tmp/out" | sed 's/^/# /' | head -40
	fi
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		echo "not ok $n - decide/$scn: $why"
		sed 's/^/# stderr: /' "$tmp/err" | head -20
	else
		echo "ok $n - decide/$scn"
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
