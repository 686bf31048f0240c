#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""bench-report.py: bench-report.sh's samples as Markdown and a PNG plot.

    bench-report.py [--title T] [--elapsed SEC] DIR

Reads DIR/samples.tsv (topo, mem, op, type, round, size, value, unit; one
line per perftest -a row, or a FAILED line for a run that failed) and
writes DIR/report.md: one table per topology and registration, a row per
message size from 64 B to 1 MiB, for each operation sodp's and rxe's
median (min-max) over the rounds and their ratio.  Writes the same
medians as DIR/plot/TOPO-MEM-OP-TYPE.dat ("size median min max") and a
gnuplot script, DIR/plot/bw.gp, that draws them into DIR/bw.png: one
panel per operation and topology, bandwidth against message size, a line
per device type and registration with the min-max as error bars.  A cell
with a failed or missing round says FAILED: a median of the rounds that
happened to work would hide it.
"""
import argparse
import collections
import os
import statistics
import sys

MIN_SIZE = 64
MAX_SIZE = 1 << 20
TYPES = ("sodp", "rxe")
ZERO_NOTE = """
\\* fewer rounds than the others: perftest printed 0.00 MiB/s (peak and
average) for this size in a run that otherwise went well, which it does
for sodp and rxe alike, probably its cycle counter read on two vCPUs under
TCG; that round is left out of the cell and the plot.
"""
# gnuplot line styles: colour by device type, dashes by registration.
COLOUR = {"sodp": "#1f77b4", "rxe": "#d62728"}
DASH = {"pinned": 1, "odp": 2}


def fmt_size(n):
    if n % (1 << 20) == 0:
        return "%d MiB" % (n >> 20)
    if n % 1024 == 0:
        return "%d KiB" % (n >> 10)
    return "%d B" % n


def load(path):
    """(topo, mem, op, type) -> size -> {round: value}; failed runs; unit."""
    vals = collections.defaultdict(lambda: collections.defaultdict(dict))
    failed = set()
    rounds = set()
    units = set()
    order = collections.OrderedDict()
    seen = set()
    with open(path) as f:
        next(f)
        for line in f:
            topo, mem, op, typ, rnd, size, value, unit = \
                line.rstrip("\n").split("\t")
            key = (topo, mem, op, typ)
            order.setdefault((topo, mem), []).append(op)
            seen.add(typ)
            rounds.add(rnd)
            if value == "FAILED":
                failed.add((key, rnd))
                continue
            size = int(size)
            if MIN_SIZE <= size <= MAX_SIZE:
                # perftest's BW of 0.00 for a size of a run that went
                # well: not a measurement (see ZERO_NOTE); left out.
                if float(value) > 0:
                    vals[key][size][rnd] = float(value)
                units.add(unit)
    return vals, failed, sorted(rounds), units, order, \
        [t for t in TYPES if t in seen]


def stats(per_round, rounds, key, failed):
    """(median, min, max, rounds left out) over the rounds, or None if
    a round's run failed or none had a value."""
    if any((key, r) in failed for r in rounds):
        return None
    v = [per_round[r] for r in rounds if r in per_round]
    if not v:
        return None
    return statistics.median(v), min(v), max(v), len(rounds) - len(v)


def cell(s):
    if s is None:
        return "FAILED"
    return "%s (%s-%s)%s" % (num(s[0]), num(s[1]), num(s[2]),
                             " *" if s[3] else "")


def num(v):
    """Three significant digits or more, never an exponent."""
    if v >= 100:
        return "%.0f" % v
    return "%.1f" % v if v >= 10 else "%.2f" % v


def write_gnuplot(d, order, vals):
    """DIR/plot/bw.gp: a row of panels per topology, a column per op."""
    topos = list(collections.OrderedDict.fromkeys(t for t, _ in order))
    mems = list(collections.OrderedDict.fromkeys(m for _, m in order))
    ops = list(collections.OrderedDict.fromkeys(
        op for oplist in order.values() for op in oplist))
    g = ['set terminal pngcairo size %d,%d font "DejaVu Sans,10"'
         % (480 * len(ops), 400 * len(topos)),
         'set output "%s"' % os.path.join(d, "bw.png"),
         'set multiplot layout %d,%d' % (len(topos), len(ops)),
         'set logscale xy 2', 'set format x "%.0b%B"',
         'set xrange [%d:%d]' % (MIN_SIZE * 3 // 4, MAX_SIZE * 4 // 3),
         'set xlabel "message size (bytes)"', 'set ylabel "MiB/s"',
         'set key top left', 'set grid']
    for topo in topos:
        for op in ops:
            g.append('set title "%s, %s"' % (op, topo))
            lines = []
            for typ in TYPES:
                for mem in mems:
                    key = (topo, mem, op, typ)
                    if not vals.get(key):
                        continue
                    path = os.path.join(d, "plot", "%s-%s-%s-%s.dat" % key)
                    lines.append(
                        '"%s" using 1:2:3:4 with yerrorlines lc rgb "%s" '
                        'dt %d pt 7 ps 0.5 title "%s %s"'
                        % (path, COLOUR[typ], DASH[mem], typ, mem))
            if lines:
                g.append("plot " + ", \\\n     ".join(lines))
            else:
                g.append('set label 1 "no data" at graph 0.5,0.5 center')
                g.append("plot [64:1048576] [1:2] NaN notitle")
                g.append("unset label 1")
    g.append("unset multiplot")
    with open(os.path.join(d, "plot", "bw.gp"), "w") as f:
        f.write("\n".join(g) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--title", default="")
    ap.add_argument("--elapsed", default="")
    ap.add_argument("dir")
    a = ap.parse_args()

    vals, failed, rounds, units, order, types = load(
        os.path.join(a.dir, "samples.tsv"))
    if not order:
        sys.exit("bench-report: no samples")
    plotdir = os.path.join(a.dir, "plot")
    os.makedirs(plotdir, exist_ok=True)
    sizes = sorted({s for v in vals.values() for s in v})
    unit = "/".join(sorted(units)) or "MiB/sec"

    out = []
    out.append("# sodp and rxe: bandwidth against message size\n")
    if a.title:
        out.append(a.title + ".  ")
    out.append("BW average in %s (higher is better); a cell is the median "
               "of the rounds (min-max); ratio: sodp/rxe of the medians.  "
               "Each round ran every run on sodp, then on rxe."
               % unit)
    if a.elapsed:
        out.append("  Total %s s." % a.elapsed)
    out.append("\n\n![bandwidth against message size](bw.png)\n")
    bad = 0
    for (topo, mem), oplist in order.items():
        ops = list(collections.OrderedDict.fromkeys(oplist))
        out.append("\n## %s, %s\n\n" % (
            topo, "ODP buffers (--odp)" if mem == "odp" else "pinned buffers"))
        head = ["size"]
        for op in ops:
            head += ["%s %s" % (op, t) for t in types]
            if len(types) == 2:
                head.append("ratio")
        out.append("| " + " | ".join(head) + " |\n")
        out.append("|" + "---|" * len(head) + "\n")
        for size in sizes:
            row = [fmt_size(size)]
            for op in ops:
                st = {}
                for typ in types:
                    key = (topo, mem, op, typ)
                    st[typ] = stats(vals[key].get(size, {}), rounds, key,
                                    failed)
                    bad += st[typ] is None
                    row.append(cell(st[typ]))
                if len(types) < 2:
                    continue
                if st["sodp"] and st["rxe"] and st["rxe"][0] > 0:
                    row.append("%.2f" % (st["sodp"][0] / st["rxe"][0]))
                else:
                    row.append("-")
            out.append("| " + " | ".join(row) + " |\n")
        for op in ops:
            for typ in types:
                key = (topo, mem, op, typ)
                with open(os.path.join(plotdir, "%s-%s-%s-%s.dat" % key),
                          "w") as f:
                    for size in sizes:
                        s = stats(vals[key].get(size, {}), rounds, key,
                                  failed)
                        if s:
                            f.write("%d %g %g %g\n" % ((size,) + s[:3]))
    if "*" in "".join(out):
        out.append(ZERO_NOTE)
    write_gnuplot(a.dir, order, vals)
    with open(os.path.join(a.dir, "report.md"), "w") as f:
        f.write("".join(out))
    sys.stdout.write("".join(out))
    if bad:
        sys.exit("bench-report: %d cells FAILED" % bad)


if __name__ == "__main__":
    main()
