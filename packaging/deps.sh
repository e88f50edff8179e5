#!/usr/bin/env bash
# packaging/deps.sh - install the Debian 12 packages ferry needs to build and
# test, only those missing.  `make deps` and `make test` run it; when all are
# present it only asks dpkg (no apt call).  Needs root to install.
set -euo pipefail

PKGS=(
	# build
	gcc make pkg-config libpq-dev libmariadb-dev libyaml-dev
	libjansson-dev liblmdb-dev lmdb-utils libsystemd-dev
	# throwaway test servers (tests/servers.sh) and their clients
	postgresql-15 postgresql-client-15 mariadb-server mariadb-client
	# tools: fuzzing (clang + libFuzzer runtime), valgrind, cppcheck;
	# tests/run.sh and tests/servers.sh use ps/pgrep (procps), ss
	# (iproute2), runuser/setsid (util-linux), timeout (coreutils), perl
	clang libclang-rt-14-dev valgrind cppcheck procps iproute2
	util-linux coreutils perl-base
	# the DolphinScheduler fixture checks (tests/integration/ds_fixtures.py)
	python3
)

declare -A have=()
while read -r name status; do
	[[ $status == ii* ]] && have[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)

missing=()
for p in "${PKGS[@]}"; do
	[ -n "${have[$p]:-}" ] || missing+=("$p")
done

if [ ${#missing[@]} = 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root (make deps), or: apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/ferry-deps.XXXXXX)
policy=
cleanup() {
	[ -n "$policy" ] && rm -f "$policy"
	rm -f "$log"
}
trap cleanup EXIT

# Without systemd, the maintainer scripts of mariadb-server and
# postgresql-15 would start system servers through their init scripts and
# leave them running.  The tests start their own, so forbid service starts
# during the install (the usual policy-rc.d, only if there is none).
if [ ! -d /run/systemd/system ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# temporary, packaging/deps.sh of ferry\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi

# system servers running before the install are not ours to stop
sys_running() { # PIDFILE
	local pid
	pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && [ -d "/proc/$pid" ]
}
my_before=0 pg_before=0
sys_running /run/mysqld/mysqld.pid && my_before=1
sys_running /run/postgresql/15-main.pid && pg_before=1

apt_install() {
	apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 \
		"${missing[@]}" >>"$log" 2>&1
}
apt_update() {
	echo "+ apt-get update" >>"$log"
	apt-get update -o DPkg::Lock::Timeout=300 >>"$log" 2>&1
}

t0=$SECONDS
echo -n "deps: installing ${missing[*]} ... "
# no package lists at all (fresh image): update first
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	apt_update || true
fi
if ! apt_install; then
	# stale lists (404 on a superseded version, unknown package): refresh once
	if ! { apt_update && apt_install; }; then
		echo "FAILED"
		tail -n 30 "$log" >&2
		exit 1
	fi
fi

stopped=()
if [ ! -d /run/systemd/system ]; then
	if [ $my_before = 0 ] && sys_running /run/mysqld/mysqld.pid; then
		/etc/init.d/mariadb stop >>"$log" 2>&1 || true
		stopped+=(mariadb)
	fi
	if [ $pg_before = 0 ] && sys_running /run/postgresql/15-main.pid; then
		/etc/init.d/postgresql stop >>"$log" 2>&1 || true
		stopped+=(postgresql)
	fi
fi
echo "done, installed ${#missing[@]} ($((SECONDS - t0))s)${stopped[*]:+; stopped the system ${stopped[*]} service the install started}"
