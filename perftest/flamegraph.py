#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Fold `perf script` output into stacks and draw them as a flame graph.

    perf script -F comm,tid,ip,sym,dso -i perf.data |
        flamegraph.py --title T [--folded F] [--svg S] [--summary M]
                      [--kallsyms SNAPSHOT] [--keep-idle]

Debian packages no flame graph tool and perf's own flamegraph report
writes HTML that loads its JavaScript from the network, so this draws
the SVG itself, with the standard library only.

A sample is a header line (command, thread id) then one line per frame,
leaf first, and a blank line.  perf names sodp.ko's functions from
/proc/kallsyms; any frame of the module it leaves [unknown] is named
from --kallsyms, a copy of `grep '\\[sodp\\]' /proc/kallsyms` taken
while the module was loaded.
"""
import argparse
import bisect
import collections
import re
import sys
import zlib
from xml.sax.saxutils import escape

FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)$")
WIDTH, ROW, FONT_W = 1200, 16, 7


def load_kallsyms(path):
    """Sorted (address, name) of the module's symbols."""
    table = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                table.append((int(parts[0], 16), parts[2]))
    table.sort()
    return table


def name_from(table, ip):
    i = bisect.bisect_right(table, (ip, "\uffff")) - 1
    return table[i][1] if i >= 0 else None


def comm_key(comm):
    """kworker/u8:3 -> kworker, swapper/1 -> idle."""
    if comm.startswith("swapper"):
        return "idle"
    return comm.split("/")[0] or comm


def frame_name(ip, sym, dso, table):
    if sym.startswith("[unknown]") and dso == "[sodp]" and table:
        sym = name_from(table, int(ip, 16)) or sym
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    if dso == "[unknown]":		# a user address perf could not place
        return sym
    kernel = dso.startswith("[")
    # perf files the module's symbols, found in kallsyms, under the
    # kernel's map; libsodp's functions are sodp_* too, but in user space
    if dso == "[sodp]" or (kernel and sym.startswith("sodp_")):
        return "sodp`" + sym
    if kernel:			# the kernel and its other modules
        return "k`" + sym
    return sym


def read_samples(stream, table):
    """Yield (comm, [frames root first]) per sample."""
    comm, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, frames[::-1]
            comm, frames = None, []
            continue
        m = FRAME.match(line)
        if m and comm is not None:
            frames.append(frame_name(*m.groups(), table))
        elif not line[0].isspace():
            comm = comm_key(line.split()[0])
    if comm is not None:
        yield comm, frames[::-1]


def colour(name):
    h = zlib.crc32(name.encode()) & 0xFF
    if name.startswith("sodp`"):
        return "rgb(%d,%d,40)" % (230, 120 + h % 60)
    if name.startswith("k`"):
        return "rgb(%d,%d,60)" % (200 + h % 40, 170 + h % 40)
    if name == "idle":
        return "rgb(190,190,190)"
    return "rgb(%d,%d,%d)" % (90 + h % 40, 190 + h % 40, 90)


def build_tree(folded):
    root = {"n": 0, "kids": {}}
    for stack, n in folded.items():
        node = root
        node["n"] += n
        for f in stack.split(";"):
            node = node["kids"].setdefault(f, {"n": 0, "kids": {}})
            node["n"] += n
    return root


def svg(folded, title, subtitle, min_px=0.1):
    tree = build_tree(folded)
    total = tree["n"] or 1
    scale = (WIDTH - 20) / total
    boxes = []

    def walk(node, x, depth):
        for name in sorted(node["kids"]):
            kid = node["kids"][name]
            w = kid["n"] * scale
            if w >= min_px:
                boxes.append((name, kid["n"], x, depth, w))
                walk(kid, x, depth + 1)
            x += w

    walk(tree, 10.0, 1)
    depth = max((b[3] for b in boxes), default=0) + 1
    height = (depth + 1) * ROW + 60
    out = ['<?xml version="1.0" standalone="no"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
           'width="%d" height="%d" font-family="monospace" font-size="12">'
           % (WIDTH, height),
           '<rect width="100%" height="100%" fill="rgb(248,248,240)"/>',
           '<text x="%d" y="20" text-anchor="middle" font-size="16">%s</text>'
           % (WIDTH // 2, escape(title)),
           '<text x="%d" y="38" text-anchor="middle" fill="rgb(90,90,90)">%s'
           '</text>' % (WIDTH // 2, escape(subtitle))]
    base = height - 10
    out.append('<g><title>all (%d samples, 100%%)</title><rect x="10" y="%d" '
               'width="%.1f" height="%d" fill="rgb(200,200,200)" rx="2"/>'
               '<text x="13" y="%d">all</text></g>'
               % (total, base - ROW, WIDTH - 20, ROW - 1, base - 4))
    for name, n, x, d, w in boxes:
        y = base - (d + 1) * ROW
        label = name if len(name) * FONT_W < w - 6 else \
            name[:max(0, int((w - 6) / FONT_W) - 2)] + ".."
        text = ('<text x="%.1f" y="%d">%s</text>' % (x + 3, y + 11,
                                                      escape(label))
                if w > 3 * FONT_W else "")
        out.append('<g><title>%s (%d samples, %.2f%%)</title>'
                   '<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="%s" rx="2"/>%s</g>'
                   % (escape(name), n, 100.0 * n / total, x, y, w, ROW - 1,
                      colour(name), text))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def summary(folded, idle, top=15):
    total = sum(folded.values())
    kinds = collections.Counter()
    self_n, incl_n = collections.Counter(), collections.Counter()
    for stack, n in folded.items():
        frames = stack.split(";")
        leaf = frames[-1]
        kind = ("sodp" if leaf.startswith("sodp`") else
                "kernel" if leaf.startswith("k`") else "user")
        kinds[kind] += n
        self_n[leaf] += n
        for f in set(frames[1:]):
            incl_n[f] += n
    lines = ["samples: %d (idle %d left out)" % (total, idle)]
    for k in ("sodp", "kernel", "user"):
        lines.append("  %-6s %5.1f%%  (leaf frame)" %
                     (k, 100.0 * kinds[k] / max(total, 1)))
    lines.append("self (leaf) samples, top %d:" % top)
    for f, n in self_n.most_common(top):
        lines.append("  %5.1f%%  %s" % (100.0 * n / max(total, 1), f))
    lines.append("inclusive, sodp functions, top %d:" % top)
    for f, n in [x for x in incl_n.most_common()
                 if x[0].startswith("sodp`")][:top]:
        lines.append("  %5.1f%%  %s" % (100.0 * n / max(total, 1), f))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--title", default="perf")
    ap.add_argument("--subtitle", default="cpu-clock samples")
    ap.add_argument("--folded")
    ap.add_argument("--svg")
    ap.add_argument("--summary")
    ap.add_argument("--kallsyms")
    ap.add_argument("--keep-idle", action="store_true")
    ap.add_argument("--min-px", type=float, default=0.1,
                    help="leave out frames narrower than this (pixels of "
                    "the 1200-wide graph); 1 keeps files small for docs/")
    a = ap.parse_args()
    table = load_kallsyms(a.kallsyms) if a.kallsyms else []
    folded, idle = collections.Counter(), 0
    for comm, frames in read_samples(sys.stdin, table):
        if comm == "idle" and not a.keep_idle:
            idle += 1
            continue
        folded[";".join([comm] + frames)] += 1
    if not folded:
        sys.exit("flamegraph: no samples read")
    if a.folded:
        with open(a.folded, "w") as f:
            for stack, n in sorted(folded.items()):
                f.write("%s %d\n" % (stack, n))
    if a.svg:
        with open(a.svg, "w") as f:
            f.write(svg(folded, a.title, a.subtitle, a.min_px))
    text = summary(folded, idle)
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
