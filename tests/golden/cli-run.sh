#!/bin/sh
# cli-run.sh BUILD [-update] - golden tests of what the programs print
# when no daemon answers: --help, --version, usage errors, "cannot
# connect", with and without --json.
#
# Each tests/golden/cli/cmd/NAME.cmd holds one shell command line, run by
# sh with BUILD first in PATH, in an empty directory, with PGHA_SOCKET set
# to a socket nobody listens on.  NAME.ok is what it must give: its exit
# status, its standard output and its standard error.  The version the
# Makefile set ($PGHA_VERSION, else VERSION from the Makefile) is written
# @VERSION@ there, so a new version needs no new golden files, and a
# program that says another version fails.  -update rewrites the .ok files.  Output is TAP.
set -u

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD [-update]" >&2; exit 2; }
build=$1
update=0
[ "${2:-}" = "-update" ] && update=1
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
# make check passes the version it built with; run by hand, the Makefile's
if [ -z "${PGHA_VERSION:-}" ]; then
	PGHA_VERSION=$(sed -n 's/^VERSION[ \t]*?=[ \t]*//p' \
	    "$(dirname "$0")/../../Makefile")
fi
[ -n "$PGHA_VERSION" ] || { echo "Bail out! no version (PGHA_VERSION)"; exit 1; }
for p in pghad pgha pgha-agent; do
	[ -x "$build/$p" ] || { echo "Bail out! $build/$p not built"; exit 1; }
done

dir=$(cd "$(dirname "$0")/cli/cmd" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cwd"

# the exact version string, as a sed pattern
vpat=$(printf '%s\n' "$PGHA_VERSION" | sed 's/[].[^$\\*/]/\\&/g')

n=0
failed=0
for cmd in "$dir"/*.cmd; do
	name=$(basename "$cmd" .cmd)
	n=$((n + 1))
	line=$(cat "$cmd")
	(cd "$tmp/cwd" && PATH="$build:$PATH" PGHA_SOCKET="$tmp/none.sock" \
	    sh -c "$line" >"$tmp/out" 2>"$tmp/err" </dev/null)
	rc=$?
	{
		echo "\$ $line"
		echo "exit $rc"
		echo "--- stdout"
		cat "$tmp/out"
		echo "--- stderr"
		cat "$tmp/err"
	} | sed "s/$vpat/@VERSION@/g; s|$tmp|TMP|g" >"$tmp/got"
	[ $update = 1 ] && cp "$tmp/got" "$dir/$name.ok"
	if [ ! -f "$dir/$name.ok" ]; then
		echo "not ok $n - cli/$name: no $name.ok (run with -update)"
		failed=$((failed + 1))
	elif ! cmp -s "$dir/$name.ok" "$tmp/got"; then
		echo "not ok $n - cli/$name: output differs from $name.ok"
		diff -u "$dir/$name.ok" "$tmp/got" | sed 's/^/# /'
		failed=$((failed + 1))
	else
		echo "ok $n - cli/$name"
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
