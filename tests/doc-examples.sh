#!/bin/sh
# doc-examples.sh BUILD - every cluster-file example in README.md,
# docs/*.md and man/*.5, man/*.8, and every shipped example file
# docs/*.conf, is checked with `BUILD/pghad -n`.
#
# An example is a block of text: in Markdown a fenced block (```) or an
# indented one (four spaces or a tab, after a blank line); in a man page a
# .Bd -literal ... .Ed display.  A block is a cluster-file example when it
# has a section header line ([cluster], [node N], [group G],
# [resource R]), or when it is a fenced ```ini block, or when a line of it
# reads "key = value" with a key of pgha.conf(5) (a fragment).
#
# The line before a block (blank lines aside) may say what it is, in
# Markdown as an HTML comment, in a man page as a roff comment:
#
#   <!-- example: fragment [resource db1-disk] -->   .\" example: fragment ...
#   <!-- example: wrong -->                          .\" example: wrong
#   <!-- example: not-a-cluster-file -->
#
# A full example (no marker) must pass `pghad -n` as it stands.  A fragment
# is merged into a small valid file (BASE below): its keys go into the
# section the marker names (which it may leave out if the fragment starts
# with a header) until a header of its own names another one, a
# key replaces the base's key of that name, "..." lines are dropped; the
# result must pass `pghad -n`.  A "wrong" example must be refused.  A
# block that looks like a fragment but has no marker fails, so that a new
# partial example is either marked or whole.  Output is TAP.
set -u

[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
build=$1
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
pghad=$build/pghad
[ -x "$pghad" ] || { echo "Bail out! $pghad not built"; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The keys of pgha.conf(5), from its key list (.It Cm key), for spotting
# fragments without a header.
keys=$(sed -n 's/^\.It Cm \([a-z_][a-z_]*\).*/\1/p' man/pgha.conf.5 |
    sort -u | tr '\n' ' ')
[ -n "$keys" ] || { echo "Bail out! no keys found in man/pgha.conf.5"; exit 1; }

# What a fragment is merged into: two fenced nodes, one group with a disk,
# an address and a server, as the README's example.
cat >"$tmp/base" <<'EOF'
[cluster]
name = example
[node node1]
nodeid = 1
fence_agent = /usr/sbin/fence_ipmilan
[node node2]
nodeid = 2
fence_agent = /usr/sbin/fence_ipmilan
[group db1]
preferred_owners = node1 node2
[resource db1-disk]
group = db1
type = disk
device = /dev/disk/by-id/wwn-0x5000c500a1b2c3d4
mountpoint = /srv/db1
fstype = ext4
[resource db1-ip]
group = db1
type = address
address = 198.18.0.100/24
requires = db1-disk
[resource db1-pg]
group = db1
type = postgresql
data = /srv/db1/data
requires = db1-disk db1-ip
EOF

# extract FILE: write each candidate block to $tmp/ex/K.conf, and a line
# "K FILE LINE KIND [SECTION]" to $tmp/list.  KIND is full, fragment,
# wrong, skip, or unmarked (a fragment without a marker).
mkdir "$tmp/ex"
: >"$tmp/list"
k=0
for f in README.md docs/*.md man/*.5 man/*.8; do
	[ -f "$f" ] || continue
	case $f in
	*.md) mode=md ;;
	*) mode=man ;;
	esac
	k=$(awk -v mode="$mode" -v file="$f" -v k="$k" -v dir="$tmp/ex" \
	    -v keys="$keys" -v list="$tmp/list" '
	BEGIN {
		n = split(keys, ka, " ")
		for (i = 1; i <= n; i++)
			iskey[ka[i]] = 1
	}
	function header(l) {
		return l ~ /^[ \t]*\[(cluster|node [^]]+|group [^]]+|resource [^]]+)\][ \t]*(#.*)?$/
	}
	function keyline(l,   key) {
		if (l !~ /^[ \t]*[a-z_]+[ \t]*=[ \t]*[^=]/ || l ~ /;[ \t]*$/)
			return 0
		key = l
		sub(/^[ \t]*/, "", key)
		sub(/[ \t]*=.*/, "", key)
		return key in iskey
	}
	# the block collected in blk[1..nb], starting at line start
	function flush(info,   i, hdr, kv, kind, sect, m) {
		if (nb == 0)
			return
		hdr = 0; kv = 0
		for (i = 1; i <= nb; i++) {
			if (header(blk[i])) hdr = 1
			else if (keyline(blk[i])) kv = 1
		}
		kind = ""
		sect = ""
		if (marker != "") {
			m = marker
			sub(/^.*example:[ \t]*/, "", m)
			sub(/[ \t]*(-->)?[ \t]*$/, "", m)
			if (m ~ /^fragment/) {
				kind = "fragment"
				sect = m
				sub(/^fragment[ \t]*/, "", sect)
			} else if (m == "wrong")
				kind = "wrong"
			else if (m == "not-a-cluster-file")
				kind = "skip"
			else
				kind = "badmarker:" m
		} else if (hdr || info == "ini")
			kind = "full"
		else if (kv)
			kind = "unmarked"
		if (kind != "") {
			k++
			for (i = 1; i <= nb; i++)
				print blk[i] > (dir "/" k ".conf")
			close(dir "/" k ".conf")
			print k, file, start, kind, sect >> list
		}
		nb = 0
		marker = ""
	}
	function unroff(l) {
		gsub(/\\&/, "", l)
		gsub(/\\e/, "\\", l)
		return l
	}
	mode == "md" && infence {
		if ($0 ~ /^[ \t]*```/) {
			infence = 0
			flush(info)
		} else
			blk[++nb] = $0
		next
	}
	mode == "md" && /^[ \t]*```/ {
		flush("")
		infence = 1
		info = $0
		sub(/^[ \t]*```[ \t]*/, "", info)
		start = NR + 1
		next
	}
	mode == "md" && inind {
		if ($0 ~ /^(    |\t)/) {
			l = $0
			sub(/^(    |\t)/, "", l)
			blk[++nb] = l
			next
		}
		if ($0 ~ /^[ \t]*$/) {
			blk[++nb] = ""
			next
		}
		inind = 0
		flush("")
	}
	mode == "md" && /^(    |\t)/ && prevblank && !inlist {
		inind = 1
		start = NR
		l = $0
		sub(/^(    |\t)/, "", l)
		blk[++nb] = l
		next
	}
	mode == "md" {
		if ($0 ~ /<!--[ \t]*example:/)
			marker = $0
		else if ($0 !~ /^[ \t]*$/)
			marker = ""
		# an indented line right after a list item continues the item
		if ($0 ~ /^[ \t]*([-*+]|[0-9]+\.)[ \t]/)
			inlist = 1
		else if ($0 ~ /^[ \t]*$/)
			;
		else if ($0 !~ /^[ \t]/)
			inlist = 0
		prevblank = $0 ~ /^[ \t]*$/
		next
	}
	mode == "man" && inbd {
		if ($0 ~ /^\.Ed/) {
			inbd = 0
			flush("")
		} else if ($0 !~ /^\.\\"/)
			blk[++nb] = unroff($0)
		next
	}
	mode == "man" && /^\.Bd[ \t]+-literal/ {
		inbd = 1
		start = NR + 1
		next
	}
	mode == "man" {
		if ($0 ~ /^\.\\"[ \t]*example:/)
			marker = $0
		else if ($0 !~ /^\.(Pp|\\")/)
			marker = ""
	}
	END {
		if (inind)
			flush("")
		print k
	}' "$f")
done

# A shipped example file (docs/*.conf) is a whole example.
for f in docs/*.conf; do
	[ -f "$f" ] || continue
	k=$((k + 1))
	cp "$f" "$tmp/ex/$k.conf"
	echo "$k $f 1 full" >>"$tmp/list"
done

# merge FRAGMENT SECTION: BASE with the fragment's keys, on stdout.
merge() {
	awk -v sect="$2" '
	function add(s) {
		if (!(s in seen)) {
			seen[s] = 1
			order[++ns] = s
		}
	}
	function set(s, l,   key, i) {
		key = l
		sub(/^[ \t]*/, "", key)
		sub(/[ \t]*=.*/, "", key)
		for (i = 1; i <= nk[s]; i++)
			if (kname[s, i] == key) {
				kline[s, i] = l
				return
			}
		nk[s]++
		kname[s, nk[s]] = key
		kline[s, nk[s]] = l
	}
	FNR == 1 { cur = (FILENAME == ARGV[1]) ? "" : sect; if (cur != "") add(cur) }
	/^[ \t]*(#.*)?$/ || /^[ \t]*\.\.\.[ \t]*$/ { next }
	/^[ \t]*\[/ {
		cur = $0
		sub(/^[ \t]*/, "", cur)
		sub(/\][ \t]*(#.*)?$/, "]", cur)
		add(cur)
		next
	}
	cur != "" { set(cur, $0); next }
	{ bad = 1; print "a key before any section header: " $0 > "/dev/stderr" }
	END {
		if (bad)
			exit 3
		for (i = 1; i <= ns; i++) {
			print order[i]
			for (j = 1; j <= nk[order[i]]; j++)
				print kline[order[i], j]
		}
	}' "$tmp/base" "$1"
}

n=0
failed=0
while read -r id file line kind sect; do
	n=$((n + 1))
	conf=$tmp/ex/$id.conf
	what="$file:$line ($kind${sect:+ $sect})"
	why=
	case $kind in
	full)
		cp "$conf" "$tmp/check.conf" ;;
	fragment)
		if ! merge "$conf" "$sect" >"$tmp/check.conf" 2>"$tmp/out"
		then
			why="its first keys need a section: <!-- example: fragment [SECTION] -->"
		fi ;;
	wrong)
		cp "$conf" "$tmp/check.conf" ;;
	skip)
		echo "ok $n - $what # skip marked not-a-cluster-file"
		continue ;;
	unmarked)
		why="keys without a section header: make the example whole, or mark it <!-- example: fragment [SECTION] --> (.\\\" example: fragment [SECTION] in a man page)" ;;
	*)
		why="unknown marker \"${kind#badmarker:}\" (fragment [SECTION], wrong or not-a-cluster-file)" ;;
	esac
	if [ -z "$why" ]; then
		chmod 600 "$tmp/check.conf"
		(cd "$tmp" && "$pghad" -n -f check.conf) >"$tmp/out" 2>&1
		rc=$?
		if [ "$kind" = wrong ] && [ $rc -eq 0 ]; then
			why="marked wrong, but pghad -n accepts it"
		elif [ "$kind" != wrong ] && [ $rc -ne 0 ]; then
			why="pghad -n refuses it (exit $rc)"
		fi
	fi
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		echo "not ok $n - $what: $why"
		[ -s "$tmp/out" ] && [ "$kind" != unmarked ] &&
		    sed 's/^/# /' "$tmp/out"
		[ -f "$tmp/check.conf" ] && sed 's/^/#   | /' "$tmp/check.conf"
	else
		echo "ok $n - $what"
	fi
	rm -f "$tmp/check.conf" "$tmp/out"
done <"$tmp/list"
echo "1..$n"
[ $failed -eq 0 ]
