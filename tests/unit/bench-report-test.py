#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""bench-report-test.py: perftest/bench-report.py on made-up samples.

    bench-report-test.py PATH/TO/bench-report.py

Checks the cells it writes: the median of the rounds with their min-max,
the sodp/rxe ratio, sizes outside 64 B-1 MiB left out, a failed run's
cells FAILED (and the exit status 1), a perftest 0.00 left out and
marked, and the plot data and gnuplot script it writes for gnuplot.
"""
import os
import subprocess
import sys
import tempfile

HEAD = "topo\tmem\top\ttype\tround\tsize\tvalue\tunit\n"


def sample(topo, mem, op, typ, rnd, size, value):
    return "%s\t%s\t%s\t%s\t%s\t%s\t%s\tMiB/sec\n" % (
        topo, mem, op, typ, rnd, size, value)


def run(script, rows):
    d = tempfile.mkdtemp(prefix="bench-report-test.")
    with open(os.path.join(d, "samples.tsv"), "w") as f:
        f.write(HEAD + "".join(rows))
    p = subprocess.run([sys.executable, script, "--title", "T", d],
                       capture_output=True, text=True)
    with open(os.path.join(d, "report.md")) as f:
        return p.returncode, f.read(), d


def row_of(md, size):
    for line in md.splitlines():
        if line.startswith("| %s |" % size):
            return [c.strip() for c in line.strip("|").split("|")]
    return None


def main():
    script = sys.argv[1]
    failures = 0

    def check(ok, what):
        nonlocal failures
        print("%s - %s" % ("ok" if ok else "not ok", what))
        failures += not ok

    rows = []
    for rnd, (s, x) in enumerate([(100, 10), (300, 30), (200, 20)], 1):
        for size in (2, 64, 65536, 8388608):
            rows.append(sample("loopback", "pinned", "write", "sodp", rnd,
                               size, s))
            rows.append(sample("loopback", "pinned", "write", "rxe", rnd,
                               size, x))
    # one 0.00 from perftest in round 2 of sodp at 1 MiB
    for rnd, v in ((1, 500), (2, "0.00"), (3, 700)):
        rows.append(sample("loopback", "pinned", "write", "sodp", rnd,
                           1048576, v))
        rows.append(sample("loopback", "pinned", "write", "rxe", rnd,
                           1048576, 50))
    rc, md, d = run(script, rows)
    check(rc == 0, "a complete set exits 0")
    r = row_of(md, "64 KiB")
    check(r == ["64 KiB", "200 (100-300)", "20.0 (10.0-30.0)", "10.00"],
          "median (min-max) and ratio: %s" % r)
    check(row_of(md, "2 B") is None and row_of(md, "8 MiB") is None,
          "sizes outside 64 B-1 MiB left out")
    r = row_of(md, "1 MiB")
    check(r is not None and r[1] == "600 (500-700) *",
          "a 0.00 left out and marked: %s" % r)
    check("perftest printed 0.00" in md, "the mark is explained")
    with open(os.path.join(d, "plot", "loopback-pinned-write-sodp.dat")) as f:
        dat = f.read().split("\n")
    check("65536 200 100 300" in dat, "plot data: size median min max")
    with open(os.path.join(d, "plot", "bw.gp")) as f:
        gp = f.read()
    check("set output" in gp and "bw.png" in gp and "yerrorlines" in gp,
          "a gnuplot script for bw.png")

    rows.append(sample("loopback", "pinned", "write", "rxe", 2, "-",
                       "FAILED"))
    rc, md, d = run(script, rows)
    r = row_of(md, "64 KiB")
    check(rc == 1, "a failed run exits 1")
    check(r is not None and r[2] == "FAILED" and r[3] == "-",
          "a failed run's cells say FAILED: %s" % r)

    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
