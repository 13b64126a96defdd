#!/bin/bash
# Install what pgha needs to build, test and run its lab on Debian 12.
# Packages already present are not fetched again.
set -euo pipefail

PKGS=(
	gcc make pkg-config clang libclang-rt-14-dev
	libcpg-dev libquorum-dev libcmap-dev libvotequorum-dev
	libjson-c-dev libpq-dev libssl-dev libmnl-dev libsystemd-dev
	corosync corosync-qdevice corosync-qnetd postgresql-15 postgresql-client-15
	iproute2 e2fsprogs util-linux mount kmod psmisc procps jq
	socat libnss3-tools libfuse3-dev fuse3
	openssh-client openssh-server
	libecpg-dev unixodbc unixodbc-dev odbc-postgresql
	default-jre-headless default-jdk-headless libpostgresql-jdbc-java nodejs
	debhelper dpkg-dev lintian systemd
	# nodes with systemd as PID 1 (tests/lab/sysd/nodes.sh)
	systemd-container mmdebstrap
	resource-agents pgbouncer
)

# The client contract test (tests/lab/t_clients.sh, docs/clients.md) installs
# node-postgres with npm.  Some nodejs packages bring npm along; Debian's
# does not, and then its own npm package is needed.
need_npm() {
	! command -v npm >/dev/null 2>&1
}

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	if ! need_npm; then
		exit 0
	fi
	missing=(npm)
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: missing packages ${missing[*]}; run as root" >&2
	exit 1
fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if need_npm; then
	apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
# Debian starts services from postinst where it can; the lab runs its own.
