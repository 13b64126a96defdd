#!/bin/bash
# demo.sh - set up a fresh Debian 12 machine, build pgha, bring up a
# two-node lab cluster with a real PostgreSQL on a shared disk, and show
# what a client sees when the active node loses power, when its server
# crashes, and when the group is moved back with `pgha group move`.
#
#	sudo ./demo.sh [--runs N]
#
# The lab stays up afterwards: `eval "$(tests/lab/lab env)"`, then e.g.
# `tests/lab/lab pgha node1 status`; `tests/lab/lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-deps.sh
make -j2 all >/dev/null
exec tests/lab/figures.sh --keep "$@"
