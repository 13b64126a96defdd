#!/bin/bash
# package.sh - build the Debian package the way an operator would and check
# what it holds, without touching the tree or the machine:
#   - the tree (tracked and new files, not build/) is copied to a
#     temporary directory and `dpkg-buildpackage -us -uc -b` runs there;
#   - the .deb's version is the Makefile's VERSION, and debian/changelog
#     agrees with it;
#   - the .deb holds every program, the agent, the unit, every man page,
#     the example, the completion, and none of the lab's tools; its
#     Depends/Recommends are what debian/control promises;
#   - the packaged programs say the version, and pghad looks for its
#     agent in /usr/lib/pgha (no environment, no agent_path);
#   - lintian: no E: or W: tag (the remaining ones are overridden in
#     debian/pgha.lintian-overrides, each with its reason);
#   - `systemd-analyze verify` of the packaged unit;
#   - `make install DESTDIR=` installs what the .deb holds; PREFIX moves
#     it (and pghad's agent path); `make uninstall` removes it again;
#   - maintainer scripts pass `sh -n`; then `dpkg -i` into a throwaway
#     root (an overlay of / in a private mount namespace; nothing reaches
#     the real /): /etc/pgha and /var/lib/pgha (0700) made, a second
#     install keeps an administrator's mode, `dpkg -r` removes the files.
# Needs root (mount namespace, chroot) and the packages that
# scripts/setup-deps.sh installs.  Ends with "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
# check DESC CMD...: one test line for a command's exit status.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

for t in dpkg-buildpackage dh lintian systemd-analyze; do
	if ! command -v "$t" >/dev/null 2>&1; then
		not_ok "$t is not installed: run scripts/setup-deps.sh"
	fi
done
[ "$failed" -eq 0 ] || finish

tmp=$(mktemp -d /var/tmp/pgha-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
mkdir -p "$src"

# The working tree as git sees it (what a commit would hold, without
# build/), so that the worktree itself stays clean; without git (a
# tarball), everything but the build directories.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
	    (cd "$top" && while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	    done) | tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . |
	    tar -C "$src" -xf -
fi

version=$(sed -n 's/^VERSION[[:space:]]*?=[[:space:]]*//p' "$src/Makefile")
debversion=$(cd "$src" && dpkg-parsechangelog -S Version)
if [ -n "$version" ] && [ "$version" = "$debversion" ]; then
	ok "debian/changelog version $debversion is the Makefile's VERSION"
else
	not_ok "debian/changelog says '$debversion', Makefile VERSION is" \
	    "'$version': add a changelog entry (dch -v $version)"
fi

if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	not_ok "dpkg-buildpackage -us -uc -b failed; its last lines:"
	tail -n 30 "$tmp/build.log" | sed 's/^/#   /'
	finish
fi
arch=$(dpkg --print-architecture)
deb=$tmp/pgha_${debversion}_${arch}.deb
changes=$tmp/pgha_${debversion}_${arch}.changes
check "built $(basename "$deb") and its .changes" test -f "$deb" -a -f "$changes"
[ -f "$deb" ] || finish

# --- what the .deb holds ------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/deb.list"
# The unit's directory is the one the build host's systemd.pc names.
unit=$(grep -E '^/(usr/)?lib/systemd/system/pghad\.service$' "$tmp/deb.list")
want=(/usr/sbin/pghad /usr/bin/pgha /usr/lib/pgha/pgha-agent
    /usr/share/doc/pgha/examples/example.conf
    /usr/share/bash-completion/completions/pgha
    /usr/share/doc/pgha/copyright /usr/share/doc/pgha/README.md.gz
    /etc/pgha/)
for m in "$src"/man/*.[1-8]; do
	m=${m##*/}
	want+=("/usr/share/man/man${m##*.}/$m.gz")
done
for f in "${want[@]}"; do
	check "the .deb holds $f" grep -qxF "$f" "$tmp/deb.list"
done
check "the .deb holds the unit (${unit:-none})" test -n "$unit"
for f in pgha-labinit pgha-writer pgha-cpgintruder pgha-vdisk; do
	check "the .deb holds no lab tool $f" \
	    bash -c "! grep -q '/$f\$' '$tmp/deb.list'"
done

field() { dpkg-deb -f "$deb" "$1"; }
check "Version: is $version" test "$(field Version)" = "$version"
for d in corosync 'libpq5 (' e2fsprogs \
    'postgresql-15 | postgresql-17 | postgresql-16 | postgresql-14 | postgresql-13'; do
	check "Depends: has $d" bash -c 'grep -qF -- "$1" <<<"$2"' _ "$d" \
	    "$(field Depends)"
done
check "Recommends: fence-agents, corosync-qdevice" \
    test "$(field Recommends)" = "fence-agents, corosync-qdevice"
check "Suggests: corosync-qnetd" test "$(field Suggests)" = "corosync-qnetd"

root=$tmp/root
dpkg-deb -x "$deb" "$root"
for p in usr/sbin/pghad usr/bin/pgha usr/lib/pgha/pgha-agent; do
	n=${p##*/}
	check "packaged $n --version says $n $version" \
	    test "$("$root/$p" --version 2>&1)" = "$n $version"
done

# pghad without agent_path, and no pgha-agent beside it: it names the
# agent it wanted, then exits 2 before it reaches corosync.  A pgha
# installed on this machine is hidden (private mount namespace), so the
# answer is the compiled-in path and nothing else.
printf '[cluster]\nname = pkgtest\nsocket = %s/run/pgha.sock\nstate_dir = %s/state\n\n[node n1]\nnodeid = 1\n' \
    "$tmp" "$tmp" >"$tmp/pkgtest.conf"
agent_wanted() {	# agent_wanted PGHAD: the agent path it asks for
	unshare -m --propagation private sh -c '
	    if [ -d /usr/lib/pgha ]; then mount -t tmpfs none /usr/lib/pgha; fi
	    if [ -d /usr/local/lib/pgha ]; then
		mount -t tmpfs none /usr/local/lib/pgha
	    fi
	    "$1" -d -f "$2"' _ "$1" "$tmp/pkgtest.conf" 2>&1 |
	    sed -n 's/.*error: resource agent \(.*\): No such file.*/\1/p'
}
a=$(agent_wanted "$root/usr/sbin/pghad")
check "packaged pghad looks for /usr/lib/pgha/pgha-agent (got '$a')" \
    test "$a" = /usr/lib/pgha/pgha-agent

# --- lintian --------------------------------------------------------------
lintian --pedantic -I -E "$changes" >"$tmp/lintian.log" 2>&1
sed -i '/running with root privileges is not recommended/d' "$tmp/lintian.log"
sed 's/^/#   /' "$tmp/lintian.log"
check "lintian: no E: tag" bash -c "! grep -q '^E: ' '$tmp/lintian.log'"
check "lintian: no W: tag (justified ones are overridden)" \
    bash -c "! grep -q '^W: ' '$tmp/lintian.log'"
check "lintian: every override still matches a tag" \
    bash -c "! grep -qE 'unused-override|mismatched-override' '$tmp/lintian.log'"

# --- the unit -------------------------------------------------------------
check "the packaged unit is contrib/systemd/pghad.service" \
    cmp -s "$root$unit" "$src/contrib/systemd/pghad.service"
# Verified as installed: ExecStart pointed at the packaged pghad, man
# pages looked up in the package (Documentation=).
mkdir -p "$tmp/unit"
sed "s|/usr/sbin/pghad|$root/usr/sbin/pghad|" "$root$unit" \
    >"$tmp/unit/pghad.service"
MANPATH=$root/usr/share/man systemd-analyze verify \
    "$tmp/unit/pghad.service" >"$tmp/verify.log" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/verify.log"
check "systemd-analyze verify pghad.service: silent, exit 0" \
    test "$rc" -eq 0 -a ! -s "$tmp/verify.log"

# --- make install / uninstall -----------------------------------------
inst=$tmp/inst
if make -s -C "$src" install DESTDIR="$inst" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	not_ok "make install DESTDIR=... failed:"
	sed 's/^/#   /' "$tmp/install.log"
fi
# The .deb's files, less what debhelper adds (changelog, copyright,
# lintian overrides) and the compression of man pages and docs.
(cd "$inst" && find . -type f | sed 's|^\.||' | sort) >"$tmp/inst.list"
grep -v '/$' "$tmp/deb.list" |
    grep -vE '/changelog\.gz$|/copyright$|^/usr/share/lintian/' |
    while read -r f; do [ -d "$root$f" ] || echo "${f%.gz}"; done |
    sort >"$tmp/deb.files"
if diff -u "$tmp/deb.files" "$tmp/inst.list" >"$tmp/diff" 2>&1; then
	ok "make install installs what the .deb holds"
else
	not_ok "make install and the .deb differ (- deb, + make install):"
	sed 's/^/#   /' "$tmp/diff"
fi
check "make install makes /etc/pgha" test -d "$inst/etc/pgha"
make -s -C "$src" uninstall DESTDIR="$inst" >/dev/null 2>&1
left=$(cd "$inst" && find . -type f)
check "make uninstall removes every file${left:+ (left: $left)}" \
    test -z "$left"

# PREFIX moves everything, pghad's agent path included (pghad.o is
# rebuilt for the new AGENTDIR).
loc=$tmp/local
make -s -C "$src" install PREFIX=/usr/local DESTDIR="$loc" >/dev/null 2>&1
for p in usr/local/sbin/pghad usr/local/bin/pgha \
    usr/local/lib/pgha/pgha-agent usr/local/share/man/man8/pghad.8; do
	check "make install PREFIX=/usr/local: /$p" test -f "$loc/$p"
done
a=$(agent_wanted "$loc/usr/local/sbin/pghad")
check "PREFIX=/usr/local pghad looks for /usr/local/lib/pgha/pgha-agent" \
    test "$a" = /usr/local/lib/pgha/pgha-agent
check "PREFIX=/usr/local unit runs /usr/local/sbin/pghad" \
    grep -q '^ExecStart=/usr/local/sbin/pghad ' \
    "$loc$(dirname "$unit")/pghad.service"

# --- maintainer scripts ---------------------------------------------------
dpkg-deb -e "$deb" "$tmp/control"
for s in preinst postinst prerm postrm; do
	[ -f "$tmp/control/$s" ] || continue
	check "maintainer script $s: sh -n" sh -n "$tmp/control/$s"
done

# dpkg -i into an overlay of /: the real dpkg, real dependencies (the
# ones setup-deps.sh installs), maintainer scripts in a chroot.  The
# upper layer takes every write; it goes away with $tmp.
cat >"$tmp/throwaway.sh" <<'EOF'
set -e
d=$1
deb=$2
mkdir -p "$d/u" "$d/w" "$d/m"
mount -t overlay overlay -o "lowerdir=/,upperdir=$d/u,workdir=$d/w" "$d/m"
mount --rbind /dev "$d/m/dev"
mount -t proc proc "$d/m/proc"
mount -t tmpfs tmpfs "$d/m/run"
mount -t tmpfs tmpfs "$d/m/tmp"
cp "$deb" "$d/m/tmp/pgha.deb"
# As on a fresh node: no pgha, no /etc/pgha, no /var/lib/pgha.
chroot "$d/m" sh -c 'dpkg -r pgha >/dev/null 2>&1 || true
    rm -rf /etc/pgha /var/lib/pgha'
echo "== install"
chroot "$d/m" dpkg -i /tmp/pgha.deb
chroot "$d/m" stat -c 'mode %n %a %U' /etc/pgha /var/lib/pgha
chroot "$d/m" sh -c '[ -e /etc/systemd/system/multi-user.target.wants/pghad.service ] &&
    echo "wants-link present" || echo "wants-link absent"'
echo "== reinstall"
chroot "$d/m" chmod 0750 /etc/pgha
chroot "$d/m" dpkg -i /tmp/pgha.deb
chroot "$d/m" stat -c 'again %n %a' /etc/pgha
echo "== remove"
echo "hold" >"$d/m/etc/pgha/pgha.conf"
chroot "$d/m" dpkg -r pgha
for f in /usr/sbin/pghad /usr/lib/pgha/pgha-agent /etc/pgha/pgha.conf \
    /var/lib/pgha; do
	if [ -e "$d/m$f" ]; then echo "after-remove $f present"
	else echo "after-remove $f absent"; fi
done
EOF
if [ "$(id -u)" -ne 0 ]; then
	not_ok "dpkg -i into a throwaway root needs root"
	finish
fi
unshare -m --propagation private bash "$tmp/throwaway.sh" "$tmp/ov" "$deb" \
    >"$tmp/throwaway.log" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/throwaway.log"
check "dpkg -i, again and dpkg -r in a throwaway root" test "$rc" -eq 0
has() { grep -qxF "$1" "$tmp/throwaway.log"; }
check "postinst made /etc/pgha 0755 root" has "mode /etc/pgha 755 root"
check "postinst made /var/lib/pgha 0700 root" has "mode /var/lib/pgha 700 root"
check "the package does not enable pghad.service" has "wants-link absent"
check "a second install keeps /etc/pgha's mode 0750" has "again /etc/pgha 750"
check "dpkg -r removes pghad" has "after-remove /usr/sbin/pghad absent"
check "dpkg -r removes pgha-agent" \
    has "after-remove /usr/lib/pgha/pgha-agent absent"
check "dpkg -r keeps the cluster file" \
    has "after-remove /etc/pgha/pgha.conf present"
check "dpkg -r keeps /var/lib/pgha (state, node secret)" \
    has "after-remove /var/lib/pgha present"
finish
