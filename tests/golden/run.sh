#!/bin/sh
# run.sh BUILD [-update] - golden tests of the configuration parser.
#
# For each tests/golden/conf/NAME.in, `BUILD/pghad -n -v -f NAME.in` runs
# from that directory (so messages say "NAME.in:LINE:").  A file with
# NAME.ok must be accepted (exit 0) and print exactly NAME.ok, with
# exactly NAME.warn (its warnings) or else nothing on stderr; a file with
# NAME.err must be rejected (exit 1) with exactly NAME.err on stderr and
# nothing on stdout.  -update rewrites NAME.ok (and NAME.warn) or NAME.err
# from what pghad does now.  Output is TAP.
set -u

usage() {
	echo "usage: $0 BUILD [-update]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$1
update=0
[ "${2:-}" = "-update" ] && update=1
[ $# -le 2 ] || usage
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
pghad=$build/pghad
[ -x "$pghad" ] || { echo "Bail out! $pghad not built"; exit 1; }

dir=$(cd "$(dirname "$0")/conf" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir" || exit 1

n=0
failed=0
for in in *.in; do
	name=${in%.in}
	n=$((n + 1))
	"$pghad" -n -v -f "$in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $update = 1 ]; then
		rm -f "$name.ok" "$name.err" "$name.warn"
		case $rc in
		0) cp "$tmp/out" "$name.ok"
		   [ -s "$tmp/err" ] && cp "$tmp/err" "$name.warn" ;;
		1) cp "$tmp/err" "$name.err" ;;
		esac
	fi
	why=
	if [ -f "$name.ok" ]; then
		if [ $rc -ne 0 ]; then
			why="exit $rc, want 0"
		elif [ -f "$name.warn" ] && ! cmp -s "$tmp/err" "$name.warn"
		then
			why="stderr differs from $name.warn"
			diff -u "$name.warn" "$tmp/err" | sed 's/^/# /'
		elif [ ! -f "$name.warn" ] && [ -s "$tmp/err" ]; then
			why="stderr not empty"
		elif ! cmp -s "$tmp/out" "$name.ok"; then
			why="stdout differs from $name.ok"
			diff -u "$name.ok" "$tmp/out" | sed 's/^/# /'
		fi
	elif [ -f "$name.err" ]; then
		if [ $rc -ne 1 ]; then
			why="exit $rc, want 1"
		elif [ -s "$tmp/out" ]; then
			why="stdout not empty"
		elif ! cmp -s "$tmp/err" "$name.err"; then
			why="stderr differs from $name.err"
			diff -u "$name.err" "$tmp/err" | sed 's/^/# /'
		fi
	else
		why="no $name.ok or $name.err (exit $rc; run with -update)"
	fi
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		echo "not ok $n - conf/$in: $why"
		sed 's/^/# stderr: /' "$tmp/err" | head -20
	else
		echo "ok $n - conf/$in"
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
