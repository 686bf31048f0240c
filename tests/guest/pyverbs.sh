#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run rdma-core's own pyverbs tests (python3-pyverbs, in the guest root) on
# an RDMA device, one process per test module, and print a table of
# ok/fail/error/skip counts per module with totals.  Runs inside the guest:
#
#   tools/vm/run.sh -- tests/guest/pyverbs.sh [options] [MODULE...]
#
#   --dev DEV          device (default sodp0)
#   --compare A,B      run on both devices and print them side by side,
#                      then every test whose outcome differs
#   -k PATTERN         only tests whose names contain PATTERN (repeatable)
#   --timeout SEC      per module and device (default 600)
#   --iters N          repeat each test's traffic N times instead of the
#                      module's own count (100 in most): same checks, faster
#   --skips            also print each skipped test with its reason
#   --gdb              run each module under gdb: a crash prints a backtrace
#   --quiet            no per-module output on failures
#   --skip-module M    leave module M out of the default list (repeatable)
#   --jobs N           N module processes at a time (default 1); the
#                      table is printed once all have run
#
# MODULE is a name like test_odp; default: every vendor-neutral module (see
# vendor_specific below).  A module whose process dies (signal, timeout) is
# marked so in the table, with the test it died in; its counts are those
# recorded before the crash.  Per-test records and full output stay in
# $PYVERBS_WORK (default /tmp/pyverbs): DEV/MODULE.log and DEV/MODULE.out.
# Exit status: 0 if no module failed, errored or crashed on any device.
set -u
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the repository
# A crash (SIGSEGV in a provider, say) prints the Python stack of each thread.
export PYTHONFAULTHANDLER=1

src=/usr/share/doc/rdma-core/tests
here=$(cd "$(dirname "$0")" && pwd)
work=$(realpath -m "${PYVERBS_WORK:-/tmp/pyverbs}")
devs=sodp0 compare=0 timeout=600 show_skips=0 use_gdb=0 quiet=0 njobs=1
patterns=() iters=() skip_mods=" "
while [ $# -gt 0 ]; do
	case $1 in
	--dev) devs=$2; shift ;;
	--compare) devs=$(echo "$2" | tr , ' '); compare=1; shift ;;
	-k) patterns+=(-k "$2"); shift ;;
	--timeout) timeout=$2; shift ;;
	--iters) iters=(--iters "$2"); shift ;;
	--skips) show_skips=1 ;;
	--gdb) use_gdb=1 ;;
	--quiet) quiet=1 ;;
	--skip-module) skip_mods="$skip_mods$2 "; shift ;;
	--jobs) njobs=$2; shift ;;
	-h|--help) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "pyverbs.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done

# Modules for one vendor's hardware or that need what no software device
# has; test_flow and test_parent_domain crash the interpreter on rxe as
# well (VM-NOTES.md), so they say nothing about a driver.
vendor_specific() {
	case $1 in
	test_mlx5*|test_efa*|test_hns*|test_mana*|test_bnxt*|test_irdma*) ;;
	test_cuda*|test_flow|test_parent_domain) ;;
	*) return 1 ;;
	esac
}

# A private copy of rdma-core's tests: most files ship gzipped, and the
# folder must be called `tests` (it is imported as a package).
prepare() {
	[ -d "$src" ] || { echo "pyverbs.sh: $src missing (python3-pyverbs)" >&2; exit 2; }
	rm -rf "$work/tests"
	mkdir -p "$work"
	cp -r "$src" "$work/tests"
	find "$work/tests" -name '*.gz' -exec gunzip -f {} +
}

prepare
if [ $# -eq 0 ]; then
	for f in "$work"/tests/test_*.py; do
		m=$(basename "$f" .py)
		case $skip_mods in *" $m "*) continue ;; esac
		vendor_specific "$m" || set -- "$@" "$m"
	done
fi
for m in "$@"; do
	[ -e "$work/tests/$m.py" ] || { echo "pyverbs.sh: no module $m" >&2; exit 2; }
done

# test_odp's huge-page tests need 2 MiB pages reserved; put back what was
# there on exit.
hp=/proc/sys/vm/nr_hugepages
hp_old=$(cat "$hp")
[ "$hp_old" -ge 16 ] || echo 16 > "$hp"
trap 'echo "$hp_old" > "$hp"' EXIT

signame() {
	if [ "$1" = 124 ] || [ "$1" = 137 ]; then
		echo timeout
	elif [ "$1" -gt 128 ]; then
		echo "SIG$(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128)))"
	else
		echo "exit $1"
	fi
}

# run_module DEV MODULE: one process; leaves DEV/MODULE.{log,out,rc}.
run_module() {
	local dev=$1 m=$2 d=$work/$1
	local cmd=(python3 "$here/pyverbs-run.py" --results "$d/$m.log"
		"${iters[@]}" --dev "$dev" -v "${patterns[@]}" "tests.$m")

	mkdir -p "$d"
	: > "$d/$m.log"
	if [ "$use_gdb" = 1 ]; then
		cmd=(gdb -q -batch -ex 'set pagination off' -ex run
		     -ex 'bt 40' -ex 'info registers rip' --args "${cmd[@]}")
	fi
	(cd "$work" && timeout -k 10 "$timeout" "${cmd[@]}") > "$d/$m.out" 2>&1
	echo $? > "$d/$m.rc"
	# gdb exits 0 whatever happened to the program: read the verdict
	# from its own report.
	if [ "$use_gdb" = 1 ] && grep -q '^Program received signal' "$d/$m.out"; then
		echo 139 > "$d/$m.rc"
	fi
}

# counts DEV MODULE: "ok fail error skip state"; state is "ok", "failed",
# or how the process died and in which test.
counts() {
	local d=$work/$1 m=$2 rc last
	rc=$(cat "$d/$m.rc")
	awk -F'\t' -v rc="$rc" -v sig="$(signame "$rc")" '
		$1 == "start" { cur = $2; next }
		$1 == "ok" || $1 == "xfail" { ok++; cur = ""; next }
		$1 == "fail" || $1 == "upass" { f++; cur = ""; next }
		$1 == "error" { e++; cur = ""; next }
		$1 == "skip" { s++; cur = ""; next }
		END {
			if (rc == 0 || rc == 1)
				st = (f + e) ? "failed" : "ok"
			else if (cur != "")
				st = sig " in " cur
			else
				st = sig
			sub(/^tests\./, "", st)
			printf "%d %d %d %d %s\n", ok, f, e, s, st
		}' "$d/$m.log"
}

bad=0
declare -A tot
for dev in $devs; do
	rm -rf "${work:?}/$dev"
	for k in ok fail error skip; do tot[$dev.$k]=0; done
done

# timed_run DEV MODULE: run_module, and how long it took in DEV/MODULE.secs.
timed_run() {
	local start
	start=$(date +%s)
	run_module "$1" "$2"
	echo $(($(date +%s) - start)) > "$work/$1/$2.secs"
}

# With --jobs, every module first, N at a time; the table below reads
# what they left.  The processes share nothing but the device.
if [ "$njobs" -gt 1 ]; then
	for m in "$@"; do
		for dev in $devs; do
			while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do
				wait -n || true
			done
			timed_run "$dev" "$m" &
		done
	done
	wait
fi

echo "pyverbs tests ($(python3 -c 'import pyverbs, os; print(os.path.dirname(pyverbs.__file__))' 2>/dev/null)) on: $devs ($njobs process(es) at a time)"
for m in "$@"; do
	line=$(printf '%-20s' "$m")
	for dev in $devs; do
		[ "$njobs" -gt 1 ] || timed_run "$dev" "$m"
		read -r ok f e s st <<< "$(counts "$dev" "$m")"
		tot[$dev.ok]=$((tot[$dev.ok] + ok))
		tot[$dev.fail]=$((tot[$dev.fail] + f))
		tot[$dev.error]=$((tot[$dev.error] + e))
		tot[$dev.skip]=$((tot[$dev.skip] + s))
		[ "$st" = ok ] || bad=1
		if [ "$compare" = 1 ]; then
			line="$line $(printf '| %4d %4d %4d %4d %-16.16s' "$ok" "$f" "$e" "$s" "$st")"
		else
			line="$line $(printf '%4d %4d %4d %4d %4ss  %s' "$ok" "$f" "$e" "$s" "$(cat "$work/$dev/$m.secs")" "$st")"
		fi
		if [ "$quiet" = 0 ] && [ "$compare" = 0 ] && [ "$st" != ok ]; then
			# Why, in short: each failing test's last line, and a crash's tail.
			awk -F'\t' '$1 == "fail" || $1 == "error" { print "    " $1 " " $2 ": " $3 }' \
				"$work/$dev/$m.log" >> "$work/why"
			case $st in failed) ;; *) tail -n 25 "$work/$dev/$m.out" | sed 's/^/    | /' >> "$work/why" ;; esac
		fi
	done
	if [ "$m" = "$1" ]; then
		if [ "$compare" = 1 ]; then
			hdr=$(printf '%-20s' module)
			for dev in $devs; do hdr="$hdr $(printf '| %-38s' "$dev: ok fail err skip")"; done
		else
			hdr=$(printf '%-20s %4s %4s %4s %4s %5s  %s' module ok fail err skip time result)
		fi
		echo "$hdr"
	fi
	echo "$line"
	if [ -s "$work/why" ]; then cat "$work/why"; rm -f "$work/why"; fi
done

line=$(printf '%-20s' total)
for dev in $devs; do
	if [ "$compare" = 1 ]; then
		line="$line $(printf '| %4d %4d %4d %4d %-16s' "${tot[$dev.ok]}" "${tot[$dev.fail]}" "${tot[$dev.error]}" "${tot[$dev.skip]}" "")"
	else
		line="$line $(printf '%4d %4d %4d %4d' "${tot[$dev.ok]}" "${tot[$dev.fail]}" "${tot[$dev.error]}" "${tot[$dev.skip]}")"
	fi
done
echo "$line"
for dev in $devs; do
	echo "pyverbs $dev: ${tot[$dev.ok]} ok, ${tot[$dev.fail]} failed, ${tot[$dev.error]} errors, ${tot[$dev.skip]} skipped"
done

# Skip reasons, counted per device (and listed per test with --skips).
for dev in $devs; do
	echo "skip reasons on $dev (count, reason):"
	for m in "$@"; do awk -F'\t' '$1 == "skip" { print $3 }' "$work/$dev/$m.log"; done |
		sort | uniq -c | sort -rn | sed 's/^/  /'
	if [ "$show_skips" = 1 ]; then
		for m in "$@"; do
			awk -F'\t' '$1 == "skip" { sub(/^tests\./, "", $2); print "    " $2 ": " $3 }' \
				"$work/$dev/$m.log"
		done
	fi
done

# Side by side: every test whose outcome is not the same on both devices.
if [ "$compare" = 1 ]; then
	read -r a b _ <<< "$devs"
	echo "tests whose outcome differs ($a / $b):"
	# (no process substitution: the guest has no /dev/fd)
	for dev in "$a" "$b"; do
		cat "$work/$dev"/*.log | awk -F'\t' '$1 != "start" { print $2 "\t" $1 }' |
			sort -u -t $'\t' -k1,1 > "$work/$dev.outcomes"
	done
	join -t $'\t' -a1 -a2 -e missing -o 0,1.2,2.2 \
		"$work/$a.outcomes" "$work/$b.outcomes" |
		awk -F'\t' '$2 != $3 { sub(/^tests\./, "", $1); printf "  %-70s %-6s %s\n", $1, $2, $3 }'
fi
exit "$bad"
