#!/bin/bash
# build.sh - build the client probes and retry examples of tests/clients
# into a scratch directory (never into the repo):
#
#	tests/clients/build.sh OUTDIR [DRIVER...]
#
# DRIVER: libpq ecpg odbc jdbc node (default: all).  Makes
#	OUTDIR/libpq/{probe,retry}	cc + pkg-config libpq
#	OUTDIR/ecpg/{probe,retry}	ecpg preprocessor, then cc -lecpg
#	OUTDIR/odbc/{probe,retry}	cc -lodbc (unixODBC; psqlODBC at run time)
#	OUTDIR/jdbc/{Probe,Retry}.class	javac against /usr/share/java/postgresql.jar
#	OUTDIR/node/{probe,retry}.js + node_modules/pg
#					`npm install pg` from the npm registry;
#					without npm, Debian's node-pg
# OUTDIR/node/pg-source says which pg the node programs use.
# Exit 1 if anything did not build; the log of each step is in OUTDIR.
set -uo pipefail

src=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR [DRIVER...]}
shift
drivers=("$@")
(( ${#drivers[@]} )) || drivers=(libpq ecpg odbc jdbc node)
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O1 -g -Wall -Wno-unused-function}
JDBC_JAR=${JDBC_JAR:-/usr/share/java/postgresql.jar}
fail=0

step() {	# step NAME CMD...: run, log, count a failure
	local name=$1
	shift
	if ! "$@" >>"$out/build.log" 2>&1; then
		echo "build.sh: $name failed (see $out/build.log)" >&2
		fail=1
		return 1
	fi
}

build_libpq() {
	local p
	mkdir -p "$out/libpq"
	for p in probe retry; do
		# shellcheck disable=SC2046,SC2086
		step "libpq/$p" $CC $CFLAGS -o "$out/libpq/$p" "$src/libpq/$p.c" \
		    $(pkg-config --cflags --libs libpq)
	done
}

build_ecpg() {
	local p
	mkdir -p "$out/ecpg"
	for p in probe retry; do
		step "ecpg/$p (ecpg)" ecpg -o "$out/ecpg/$p.c" "$src/ecpg/$p.pgc" ||
		    continue
		# shellcheck disable=SC2086
		step "ecpg/$p (cc)" $CC $CFLAGS -I "$src/ecpg" \
		    -I "$(pg_config --includedir)" -o "$out/ecpg/$p" \
		    "$out/ecpg/$p.c" -lecpg
	done
}

build_odbc() {
	local p
	mkdir -p "$out/odbc"
	for p in probe retry; do
		# shellcheck disable=SC2086
		step "odbc/$p" $CC $CFLAGS -o "$out/odbc/$p" "$src/odbc/$p.c" -lodbc
	done
}

build_jdbc() {
	mkdir -p "$out/jdbc"
	step "jdbc (javac)" javac -nowarn -cp "$JDBC_JAR" -d "$out/jdbc" \
	    "$src/jdbc/Probe.java" "$src/jdbc/Retry.java"
}

# npm from the registry if there is an npm; else Debian's node-pg.
build_node() {
	mkdir -p "$out/node"
	cp "$src/node/probe.js" "$src/node/retry.js" "$out/node/"
	if [[ -d $out/node/node_modules/pg ]]; then
		return 0
	fi
	if command -v npm >/dev/null; then
		(cd "$out/node" && [[ -e package.json ]] ||
		    echo '{"name":"pgha-client-probes","private":true}' >package.json)
		step "node (npm install pg)" npm install --prefix "$out/node" \
		    --no-audit --no-fund --loglevel=error pg &&
		echo "npm pg $(node -p "require('$out/node/node_modules/pg/package.json').version")" \
		    >"$out/node/pg-source"
	elif [[ -d /usr/share/nodejs/pg ]]; then
		mkdir -p "$out/node/node_modules"
		ln -sfn /usr/share/nodejs/pg "$out/node/node_modules/pg"
		echo "debian node-pg $(dpkg-query -W -f='${Version}' node-pg)" \
		    >"$out/node/pg-source"
	else
		echo "build.sh: node: neither npm nor Debian's node-pg" >&2
		fail=1
	fi
}

: >"$out/build.log"
for d in "${drivers[@]}"; do
	case $d in
	libpq | ecpg | odbc | jdbc | node) "build_$d" ;;
	*) echo "build.sh: unknown driver $d" >&2; exit 2 ;;
	esac
done
exit "$fail"
