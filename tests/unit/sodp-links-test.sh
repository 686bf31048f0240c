#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# packaging/sodp-links against stand-ins for rdma, modprobe and udevadm:
# which links it creates and deletes for which links.conf, and its status.
set -u
script=${1:?path to sodp-links}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/links" "$dir/net"
failures=0

# rdma link show NAME/1 | add NAME type sodp netdev DEV | delete NAME,
# kept as files in $dir/links; netdevs are files in $dir/net.
cat > "$dir/bin/rdma" <<'STUB'
#!/bin/bash
echo "rdma $*" >> "$STUB_DIR/calls"
case "$1 $2" in
"link show") n=${3%/1}; [ -e "$STUB_DIR/links/$n" ] || exit 1
	echo "link $n/1 state ACTIVE physical_state LINK_UP netdev $(cat "$STUB_DIR/links/$n") " ;;
"link add") [ -e "$STUB_DIR/net/$7" ] || exit 1; echo "$7" > "$STUB_DIR/links/$3" ;;
"link delete") rm "$STUB_DIR/links/$3" ;;
*) exit 2 ;;
esac
STUB
printf '#!/bin/sh\nexit 0\n' > "$dir/bin/modprobe"
printf '#!/bin/sh\nexit 1\n' > "$dir/bin/udevadm"	# no "udevadm wait": poll
chmod +x "$dir/bin/"*

# run ACTION CONF: sodp-links' status; its stderr in $dir/err
run() {
	printf '%s\n' "$2" > "$dir/conf"
	STUB_DIR=$dir PATH="$dir/bin:$PATH" SODP_LINKS_CONF=$dir/conf \
		SODP_LINKS_NETDIR=$dir/net \
		SODP_LINKS_WAIT=1 "$script" "$1" 2> "$dir/err" > /dev/null
}
expect() {	# expect DESCRIPTION WANT GOT
	if [ "$2" != "$3" ]; then
		echo "$1: got '$3', expected '$2'"
		sed 's/^/    /' "$dir/err"
		failures=$((failures + 1))
	fi
}
links() { (cd "$dir/links" && for f in *; do [ -e "$f" ] && echo "$f=$(cat "$f")"; done) | tr '\n' ' '; }

touch "$dir/net/eth0" "$dir/net/eth1"
run start "# a comment

sodp0 eth0
sodp1 eth1"
expect "two links: status" 0 $?
expect "two links: created" "sodp0=eth0 sodp1=eth1 " "$(links)"

: > "$dir/calls"
run start "sodp0 eth0"
expect "again: status" 0 $?
expect "again: nothing added" "" "$(grep -c 'link add' "$dir/calls" | grep -v '^0$')"

run start "sodp2 eth9
sodp3 eth1"
expect "missing netdev: status" 1 $?
expect "missing netdev: the next line still done" "sodp0=eth0 sodp1=eth1 sodp3=eth1 " "$(links)"
grep -q 'no netdev eth9' "$dir/err"
expect "missing netdev: said so" 0 $?

run start "sodp0 eth1"
expect "a link on another netdev: status" 1 $?
expect "a link on another netdev: left alone" "sodp0=eth0 sodp1=eth1 sodp3=eth1 " "$(links)"

run start "rxe7 eth0"
expect "an rxe name: refused" 1 $?
run start "sodp4"
expect "a line without a netdev: refused" 1 $?
run start "sodp4 eth0 extra"
expect "a line with three words: refused" 1 $?
expect "refused lines created nothing" "sodp0=eth0 sodp1=eth1 sodp3=eth1 " "$(links)"

run stop "sodp0 eth0
sodp1 eth1
sodp5 eth0"
expect "stop: status (sodp5 never existed)" 0 $?
expect "stop: deleted" "sodp3=eth1 " "$(links)"

# A last line without its newline is a line.
printf 'sodp6 eth0' > "$dir/conf"
STUB_DIR=$dir PATH="$dir/bin:$PATH" SODP_LINKS_CONF=$dir/conf \
	SODP_LINKS_NETDIR=$dir/net SODP_LINKS_WAIT=1 "$script" start 2> "$dir/err" > /dev/null
expect "no final newline: status" 0 $?
expect "no final newline: created" "sodp3=eth1 sodp6=eth0 " "$(links)"

run bogus ""
expect "an unknown action" 2 $?

[ "$failures" = 0 ] && echo "sodp-links: all checks passed"
exit "$((failures > 0))"
