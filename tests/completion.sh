#!/bin/bash
# completion.sh BUILD - drives contrib/bash-completion/pgha as bash does
# (COMP_WORDS, COMP_CWORD, then _pgha, then COMPREPLY): commands,
# subcommands and options with BUILD/pgha and no daemon (names complete
# to nothing, quietly), then the names of a cluster from a stand-in pgha
# that prints tests/golden/cli/status-basic.json.  The lab test
# t_json_errors.sh checks the names against a running cluster.  TAP.
set -u

[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd) || exit 1
[ -x "$build/pgha" ] || { echo "Bail out! $build/pgha not built"; exit 1; }
command -v jq >/dev/null || { echo "Bail out! jq is needed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PGHA_SOCKET=$tmp/none.sock
# shellcheck source=../contrib/bash-completion/pgha
. "$top/contrib/bash-completion/pgha"

n=0 failed=0
# comp WANT WORD...: completing the last WORD gives exactly WANT (sorted)
comp() {
	local want=$1 got
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(( $# - 1 ))
	COMPREPLY=()
	_pgha 2>"$tmp/err"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	got=${got% }
	want=$(printf '%s\n' $want | sort | tr '\n' ' ')
	want=${want% }
	n=$((n + 1))
	shift
	if [ "$got" = "$want" ] && [ ! -s "$tmp/err" ]; then
		echo "ok $n - pgha $*"
	else
		echo "not ok $n - pgha $*: got \"$got\", want \"$want\""
		sed 's/^/# stderr: /' "$tmp/err"
		failed=$((failed + 1))
	fi
}

p=$build/pgha
W='--wait --wait= --no-wait'
comp "status group node resource events validate db keystore cluster -s --socket --json --help --version" "$p" ""
comp "group" "$p" gr
comp "--json" "$p" --js
comp "online offline move unmanage manage --help" "$p" group ""
comp "stop start pause resume confirm-down --help" "$p" node ""
comp "online offline --help" "$p" --json resource ""
comp "init" "$p" db i
comp "create passwd fingerprint auto-open copy status --help" "$p" keystore ""
comp "--json --help --to $W" "$p" group move db1 --
comp "--json --help --force $W" "$p" node stop node2 -
comp "--json --help --drain $W" "$p" node pause node2 --
comp "--json --help --follow --group --node --since --limit --local" "$p" events -
comp "--json --help --all --keystore --force" "$p" keystore copy -
comp "setup --help" "$p" cluster ""
comp "--json --help --witness --no-start --dry-run --force" "$p" cluster setup db node1=10.0.0.11 -
comp "" "$p" cluster setup db --witness ""
comp "" "$p" group move ""
comp "" "$p" node stop ""
comp "" "$p" events --since ""
comp "" "$p" nosuch ""

# names from a stand-in pgha that answers status like a running pghad
cat >"$tmp/pgha" <<STUB
#!/bin/sh
for a; do [ "\$a" = "-s" ] && echo "\$*" >"$tmp/socket-arg"; done
cat "$top/tests/golden/cli/status-basic.json"
STUB
chmod +x "$tmp/pgha"
s=$tmp/pgha
comp "db1" "$s" group move ""
comp "db1" "$s" group online d
comp "node1 node2" "$s" group move db1 --to ""
comp "node1 node2" "$s" node stop ""
comp "db1-disk db1-address db1-pg" "$s" resource offline ""
comp "db1-pg" "$s" resource online db1-p
comp "db1" "$s" validate ""
comp "db1" "$s" db init ""
comp "db1" "$s" events --group ""
comp "node1 node2" "$s" keystore copy ""
comp "--json --help --to $W" "$s" group move db1 ""
comp "db1" "$s" -s /run/x.sock group offline ""
n=$((n + 1))
if grep -q -- "-s /run/x.sock" "$tmp/socket-arg" 2>/dev/null; then
	echo "ok $n - names are asked of the socket given with -s"
else
	echo "not ok $n - names are asked of the socket given with -s"
	failed=$((failed + 1))
fi
echo "1..$n"
[ $failed -eq 0 ]
