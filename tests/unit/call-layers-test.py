#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The module's files call each other in layers, with no cycle.

The verbs and the QP state machine (sodp_qp.c) sit above the work item
(sodp_work.c), which sits above the requester, responder and completer,
which sit above the QP state helpers, the MR layer, the network and the
CQs.  A call from a lower file back up into a higher one (say, the
responder calling a verb to change the QP's state) makes the order in
which things happen depend on who called whom; this test fails on the
first such cycle and names the calls that close it.

A file "calls" another when its code, comments and strings removed, names
a function followed by "(" that the other file defines.  Calls through
function pointers (the ib_device_ops table) are not seen, which is what
is wanted: those are the core calling in, not the module calling around.

Usage: call-layers-test.py KERNEL_DIR
       call-layers-test.py --selftest   (a made-up cycle must be found)
"""
import glob
import os
import re
import sys
import tempfile

DEF = re.compile(r'^[a-z][^\n;=(]*?\b(\w+)\(', re.M)
CALL = re.compile(r'\b(\w+)\s*\(')


def strip(src):
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    src = re.sub(r'//[^\n]*', ' ', src)
    return re.sub(r'"(\\.|[^"\\])*"', '""', src)


def graph(kdir):
    srcs = {os.path.basename(f): strip(open(f).read())
            for f in sorted(glob.glob(os.path.join(kdir, '*.c')))}
    defined = {}
    for f, src in srcs.items():
        for m in DEF.finditer(src):
            defined.setdefault(m.group(1), f)
    edges = {f: {} for f in srcs}
    for f, src in srcs.items():
        for m in CALL.finditer(src):
            to = defined.get(m.group(1))
            if to and to != f:
                edges[f].setdefault(to, set()).add(m.group(1))
    return edges


def find_cycle(edges):
    """Return a list of files [a, b, ..., a] forming a cycle, or None."""
    state = {}

    def visit(v, path):
        state[v] = 1
        path.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state:
                c = visit(w, path)
                if c:
                    return c
        path.pop()
        state[v] = 2
        return None

    for v in sorted(edges):
        if v not in state:
            c = visit(v, [])
            if c:
                return c
    return None


def check(kdir):
    edges = graph(kdir)
    if len(edges) < 2:
        print(f'no C files in {kdir}')
        return 1
    cycle = find_cycle(edges)
    if not cycle:
        print(f'{len(edges)} files, no call cycle')
        return 0
    print('call cycle:')
    for a, b in zip(cycle, cycle[1:]):
        print(f'  {a} -> {b}: {", ".join(sorted(edges[a][b]))}')
    return 1


def selftest():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, 'a.c'), 'w') as f:
            f.write('void a_one(void)\n{\n\tb_one(); /* c_one() */\n}\n')
        with open(os.path.join(d, 'b.c'), 'w') as f:
            f.write('void b_one(void)\n{\n\tc_one();\n}\n')
        with open(os.path.join(d, 'c.c'), 'w') as f:
            f.write('void c_one(void)\n{\n\tprintk("a_one()");\n}\n')
        if check(d) != 0:
            print('selftest: a false cycle was reported')
            return 1
        with open(os.path.join(d, 'c.c'), 'a') as f:
            f.write('static void c_two(void)\n{\n\ta_one();\n}\n')
        if check(d) != 1:
            print('selftest: the cycle a -> b -> c -> a was missed')
            return 1
    print('selftest passed')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(selftest() if sys.argv[1] == '--selftest' else check(sys.argv[1]))
