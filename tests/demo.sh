#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The demo, run inside the guest by `tools/sodp-vm demo`: sodp0 next to the
# kernel's rxe0, seen through the stock tools.
set -eu
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step rdma link show
step ibv_devices
step ibv_devinfo -d sodp0
step rdma resource show
echo
echo "A verbs program against sodp0 (open, query, PDs):"
"$SODP_REPO/build/tests/sodp_verbs" basic
echo
echo "Port state follows the netdev:"
ip link set veth1 down
sleep 1
echo "  veth1 down -> sodp0 port: $(cat /sys/class/infiniband/sodp0/ports/1/state)"
ip link set veth1 up
sleep 1
echo "  veth1 up   -> sodp0 port: $(cat /sys/class/infiniband/sodp0/ports/1/state)"
