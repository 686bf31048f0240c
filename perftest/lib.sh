# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers shared by perftest/bench.sh, perftest/odp-bench.sh and
# tests/demo.sh.  Sourced; runs inside the guest, after tests/guest/topo.sh.
#
#   perf_value FILE bw|rate|lat [typical|avg]
#       "VALUE UNIT" from a perftest client's output (BW average, MsgRate
#       in Mpps, or t_typical / t_avg for latency)
#   perf_sizes FILE
#       "SIZE VALUE UNIT" per message size of a perftest -a bandwidth
#       run's output (BW average)
#   perf_topo two-stacks|loopback TYPE
#       build that topology (tests/guest/topo.sh) of two devices, or one,
#       of TYPE (sodp, rxe)
#   perf_bed_loopback DEV
#       point topo.sh's variables at DEV of the standard bed (sodp0, rxe0)
#       as a loopback topology: topo_exchange then runs server and client
#       on DEV, the server's address being DEV's own IPv4 address
#   perf_exchange SIDE FAMILY PORT OUT TOOL ARGS...
#       topo_exchange, run again (at most twice, on ports 1000 and 2000
#       above PORT) while perftest's clock calibration failed
#   perf_stats V...
#       "MEDIAN MIN MAX" of numbers (odd counts: the middle one)
#   perf_cell V...
#       "MEDIAN (MIN-MAX)", or the first non-number (FAILED, n/a) if any
#   fmt_size BYTES, now_ms

# The header's names contain single spaces ("BW average[MiB/sec]",
# "99% percentile[usec]"): a word without "[" that does not start with
# "#" belongs to the next one.  Columns are read by name, not position:
# perftest versions differ in their columns and units.
perf_value() { _perf_rows "$1" "$2" "${3:-typical}" first; }
perf_sizes() { _perf_rows "$1" bw typical all; }

# _perf_rows FILE KIND STAT first|all
_perf_rows() {
	awk -v kind="$2" -v stat="t_$3" -v rows="$4" '
	/^ *#bytes/ {
		n = split($0, w, /[ \t]+/); nh = 0; pre = ""
		for (i = 1; i <= n; i++) {
			if (w[i] == "") continue
			if (w[i] !~ /^#/ && w[i] !~ /\[/ && i < n) { pre = pre w[i] " "; continue }
			h[++nh] = pre w[i]; pre = ""
		}
		next
	}
	nh && $1 ~ /^[0-9]+$/ {
		for (i = 1; i <= nh; i++) {
			if (kind == "bw") ok = h[i] ~ /^BW average\[/
			else if (kind == "rate") ok = h[i] ~ /^MsgRate\[/
			else ok = index(h[i], stat "[") == 1
			if (ok) {
				u = h[i]; sub(/^[^[]*\[/, "", u); sub(/\].*/, "", u)
				found = 1
				if (rows == "all") { print $1, $i, u; next }
				print $i, u; exit
			}
		}
	}
	END { exit !found }' "$1"
}

# perftest converts cycles to time with a rate it measures at start-up,
# fitting rdtsc against gettimeofday().  Under TCG that fit now and then
# misses its bar (r^2 < 0.9, and perftest says so); the rate is then 0 and
# the run reports 0.00 MiB/s or "inf" us, though it ran as fast as its
# neighbours (measured: one in 40 loopback ib_atomic_bw runs, 1.2 s like
# the others).  Such a run measured nothing: it is run again.
perf_clock_failed() { grep -q 'Correlation coefficient r^2' "$1" 2> /dev/null; }

perf_exchange() {
	local port=$3 try rc
	for try in 0 1 2; do
		topo_exchange "$1" "$2" $((port + 1000 * try)) "${@:4}"
		rc=$?
		if [ $rc != 0 ] || ! perf_clock_failed "$4.client"; then
			return $rc
		fi
		echo "perf_exchange: $5: perftest's clock calibration failed," \
			"run again" >&2
	done
	return 1
}

fmt_size() {
	if [ $(($1 % 1048576)) = 0 ]; then echo "$(($1 / 1048576))MiB"
	elif [ $(($1 % 1024)) = 0 ]; then echo "$(($1 / 1024))KiB"
	else echo "${1}B"; fi
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

perf_topo() {
	if [ "$1" = two-stacks ]; then
		topo_two_stacks "$2" "$2"
	else
		topo_loopback "$2"
	fi
}

perf_bed_loopback() {
	local dev=$1 gids gid g a b ip
	# _topo_ready waits for ACTIVE and both RoCE v2 GIDs: the bed's
	# devices were created moments before the command started.
	gids=$(_topo_ready "$dev") || return 1
	read -r TOPO_A_GID4 TOPO_A_GID6 <<< "$gids"
	read -r gid < "/sys/class/infiniband/$dev/ports/1/gids/$TOPO_A_GID4"
	# ::ffff:a.b.c.d: a.b and c.d are the last two groups, in hex
	IFS=: read -r -a g <<< "$gid"
	a=$((16#${g[6]})) b=$((16#${g[7]}))
	ip=$((a >> 8)).$((a & 255)).$((b >> 8)).$((b & 255))
	TOPO_KIND=loopback TOPO_A_TYPE=${dev%%[0-9]*} TOPO_B_TYPE=${dev%%[0-9]*}
	TOPO_A_DEV=$dev TOPO_B_DEV=$dev TOPO_A_IP4=$ip TOPO_B_IP4=$ip
	TOPO_A_IP6='' TOPO_B_IP6='' TOPO_B_GID4=$TOPO_A_GID4 TOPO_B_GID6=$TOPO_A_GID6
}

perf_stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

perf_cell() {
	local v s
	for v in "$@"; do
		case $v in ''|*[!0-9.]*) echo "${v:-FAILED}"; return ;; esac
	done
	read -r -a s <<< "$(perf_stats "$@")"
	if [ $# = 1 ]; then echo "${s[0]}"; else echo "${s[0]} (${s[1]}-${s[2]})"; fi
}
