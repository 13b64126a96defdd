#!/bin/bash
# demo.sh - set up a fresh Debian 12 machine, build pgha, bring up a
# two-node lab cluster with a real PostgreSQL on a shared disk, and show
# what a client sees when the active node loses power, when its server
# crashes, and when the group is moved back with `pgha group move`.
#
#	./demo.sh [--runs N]		as root (or with sudo)
#
# Nothing here calls sudo: a fresh Debian image used as root has none.
# The lab stays up afterwards: `eval "$(tests/lab/lab env)"`, then e.g.
# `tests/lab/lab pgha node1 status`; `tests/lab/lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: the lab needs root: run it as root (or: sudo $0)" >&2
	exit 1
fi
scripts/setup-deps.sh
make -j2 all >/dev/null
exec tests/lab/figures.sh --keep "$@"
