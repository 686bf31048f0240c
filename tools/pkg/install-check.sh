#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck disable=SC2317 # the helpers are called through check()
# The guest half of install-test.sh, run at each boot of the install guest
# by sodp-install-check.service (a test unit, not one of sodp's).
#   boot 1: install the two packages with apt, check that DKMS built the
#           module for the running kernel and that the provider is where
#           libibverbs looks, name eth0's link in /etc/sodp/links.conf,
#           enable sodp-links.service, reboot;
#   boot 2: sodp0 is back without anyone's help: module, link, provider,
#           ODP capabilities, perftest with ODP buffers; then everything
#           is stopped and both packages purged, leaving nothing behind.
# Results are TAP lines on ttyS1; the host counts them.
set -u
exec > /dev/ttyS1 2>&1
here=/root/sodp-install
state=/var/lib/sodp-install-check
mkdir -p "$state"
phase=$(cat "$state/phase" 2>/dev/null || echo 1)
kver=$(uname -r)
n=0 failed=0
# A phase runs in one boot only: finding it begun already means the last
# boot ended in the middle of it (a panic, with panic=-1, reboots).
begun=$(cat "$state/begun" 2>/dev/null || true)
echo "$phase" > "$state/begun"
sync

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION CMD...: CMD's output is shown only when it fails.
check() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/#   /'
	fi
}
finish() {
	echo "# boot $phase: $((n - failed)) passed, $failed failed"
	echo "$1" > "$state/phase"
	rm -f "$state/begun"
	sync
	if [ "$1" = 2 ]; then
		systemctl reboot
	else
		echo "# install-check: finished at boot $phase"
		systemctl poweroff
	fi
	exit 0
}

# Helpers for the checks; each fails with a message saying what it saw.
dkms_built() {
	s=$(dkms status sodp)
	echo "$s"
	echo "$s" | grep -q "^sodp/[^,]*, $kver, [^:]*: installed"
}
module_for_kernel() {
	f=$(modinfo -k "$kver" -F filename sodp) || return 1
	echo "$f"
	case $f in "/lib/modules/$kver/updates/dkms/"*|"/usr/lib/modules/$kver/updates/dkms/"*) ;; *) return 1 ;; esac
	[ "$(modinfo -k "$kver" -F vermagic sodp | cut -d' ' -f1)" = "$kver" ]
}
provider_installed() {
	d=$(dirname "$(readlink -f /usr/lib/*/libibverbs/librxe-rdmav34.so 2>/dev/null ||
		echo /usr/lib/x86_64-linux-gnu/libibverbs/x)")
	ls -l "$d/libsodp-rdmav34.so" /etc/libibverbs.d/sodp.driver &&
		grep -qx 'driver sodp' /etc/libibverbs.d/sodp.driver
}
unit_state() {
	s=$(systemctl "$1" sodp-links.service)
	echo "$s"
	[ "$s" = "$2" ]
}
link_on() {
	rdma link show "$1/1" && rdma link show "$1/1" | grep -q " netdev $2 "
}
devinfo_clean() {
	# A provider that libibverbs cannot load is a warning on stderr,
	# and the device then does not appear at all.
	err=$(ibv_devinfo -d sodp0 2>&1 >/tmp/devinfo) || { cat /tmp/devinfo; echo "$err"; return 1; }
	cat /tmp/devinfo
	[ -z "$err" ] || { echo "stderr: $err"; return 1; }
	grep -q 'hca_id:[[:space:]]*sodp0' /tmp/devinfo &&
		grep -q 'state:[[:space:]]*PORT_ACTIVE' /tmp/devinfo
}
odp_caps() {
	ibv_devinfo -v -d sodp0 | grep -A3 -i 'odp' | tee /tmp/odp
	grep -q ODP_SUPPORT /tmp/odp
}
# The index of sodp0's RoCE v2 GID for $1 (an IPv4 address), once it exists.
gid_index() {
	old_ifs=$IFS
	IFS=.
	# shellcheck disable=SC2086 # split into its four octets
	set -- $1
	IFS=$old_ifs
	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$1" "$2" "$3" "$4")
	for _ in $(seq 40); do
		for g in /sys/class/infiniband/sodp0/ports/1/gids/*; do
			i=${g##*/}
			[ "$(cat "$g" 2>/dev/null)" = "$want" ] || continue
			[ "$(cat "/sys/class/infiniband/sodp0/ports/1/gid_attrs/types/$i" 2>/dev/null)" = "RoCE v2" ] || continue
			echo "$i"
			return 0
		done
		sleep 0.5
	done
	return 1
}
port_active() {
	for _ in $(seq 40); do
		grep -q ACTIVE /sys/class/infiniband/sodp0/ports/1/state 2>/dev/null && return 0
		sleep 0.5
	done
	cat /sys/class/infiniband/sodp0/ports/1/state
	return 1
}
# perftest_odp TOOL PORT ARGS: server and client on sodp0.  The server is
# bounded by its own timeout, and the client starts only once the server
# listens: a client that finds no listener gives up at once.
perftest_odp() {
	tool=$1 port=$2
	shift 2
	timeout 180 "$tool" -d sodp0 -x "$gid" --odp -F -n 200 -p "$port" "$@" > /tmp/srv 2>&1 &
	srv=$!
	for _ in $(seq 100); do
		ss -ltn "sport = :$port" | grep -q LISTEN && break
		sleep 0.2
	done
	timeout 120 "$tool" -d sodp0 -x "$gid" --odp -F -n 200 -p "$port" "$@" 10.0.2.15 > /tmp/cli 2>&1
	crc=$?
	[ "$crc" = 0 ] || kill "$srv" 2>/dev/null
	wait "$srv"
	src=$?
	cat /tmp/cli
	if [ "$crc" != 0 ] || [ "$src" != 0 ]; then
		echo "client status $crc, server status $src; server:"
		cat /tmp/srv
		return 1
	fi
	# A result row: the message size first, then numbers.
	grep -Eq '^ *[0-9]+ +[0-9]+ +[0-9.]+' /tmp/cli
}
purged() {
	s=$(dkms status sodp)
	[ -z "$s" ] || { echo "dkms still has: $s"; return 1; }
	left=$(ls -d /usr/src/sodp-* /var/lib/dkms/sodp /lib/modules/*/updates/dkms/sodp.ko* \
		/usr/lib/*/libibverbs/libsodp-rdmav*.so /etc/libibverbs.d/sodp.driver \
		/usr/lib/modules-load.d/sodp.conf /etc/sodp /usr/libexec/sodp \
		/usr/lib/systemd/system/sodp-links.service \
		/etc/systemd/system/*.wants/sodp-links.service 2>/dev/null)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

echo "# boot $phase of the install guest, kernel $kver"
if [ -n "$begun" ]; then
	not_ok "the boot before this one ended in the middle of phase $begun (a panic?)"
	finish end
fi
case $phase in
1)
	cd "$here/debs" || { not_ok "no packages in $here/debs"; finish end; }
	check "apt install ./sodp-dkms_*.deb ./libsodp1_*.deb" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		-o Dpkg::Use-Pty=0 ./sodp-dkms_*.deb ./libsodp1_*.deb
	[ "$failed" = 0 ] || {
		tail -n 40 /var/lib/dkms/sodp/*/build/make.log 2>/dev/null | sed 's/^/#   /'
		finish end
	}
	check "DKMS built and installed sodp for the running kernel $kver" dkms_built
	check "modinfo finds DKMS's sodp.ko, built for $kver" module_for_kernel
	check "the provider is in libibverbs' directory, with its .driver file" provider_installed
	check "installing enabled no unit: sodp-links.service is disabled" unit_state is-enabled disabled
	echo "sodp0 eth0" >> /etc/sodp/links.conf
	check "systemctl enable sodp-links.service" systemctl enable sodp-links.service
	check "sodp-links.service is enabled" unit_state is-enabled enabled
	finish 2
	;;
2)
	# sodp-links.service loads it too: the journal says who did.  By
	# the identifier, not -u: systemd-modules-load runs before journald,
	# and its lines are read off the socket after it has exited, too
	# late for journald to find its unit, so they carry no _SYSTEMD_UNIT.
	check "sodp was loaded at boot by systemd-modules-load (modules-load.d)" \
		sh -c "journalctl -b -o cat -t systemd-modules-load | grep \"Inserted module 'sodp'\""
	check "sodp-links.service is active" unit_state is-active active
	check "sodp0 came back on eth0" link_on sodp0 eth0
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	check "sodp0's port goes ACTIVE with eth0 up" port_active
	check "ibv_devinfo -d sodp0: the provider loads, the port is active" devinfo_clean
	check "sodp0 reports ODP capabilities" odp_caps
	if gid=$(gid_index 10.0.2.15); then
		ok "sodp0 has a RoCE v2 GID for 10.0.2.15 (index $gid)"
		check "ib_write_bw --odp, sodp0 to itself" perftest_odp ib_write_bw 18515 -s 65536
		check "ib_atomic_bw --odp, sodp0 to itself" perftest_odp ib_atomic_bw 18516
	else
		not_ok "sodp0 has a RoCE v2 GID for 10.0.2.15"
	fi
	check "systemctl stop sodp-links.service deletes sodp0" \
		sh -c 'systemctl stop sodp-links.service && ! rdma link show sodp0/1'
	check "modprobe -r sodp" modprobe -r sodp
	check "apt purge sodp-dkms libsodp1" \
		env DEBIAN_FRONTEND=noninteractive apt-get purge -y -o Dpkg::Use-Pty=0 sodp-dkms libsodp1
	check "purging left no module, source, provider or configuration behind" purged
	finish end
	;;
*)
	not_ok "an unexpected boot (phase '$phase'): did the guest panic and reboot?"
	finish end
	;;
esac
