#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Where the samples of profile.sh's cases went, as one Markdown table.

    profile-table.py DIR/*.folded

Each row is one case (a .folded file from perftest/profile.sh); each
column the share of its samples (idle left out) whose stack holds one of
the frames named below, counted once per sample, so a row's columns can
overlap (a copy inside the work item counts in both).  The buckets are
the costs docs/performance.md talks about.
"""
import collections
import os
import sys

# column: frames that put a sample in it (any frame of the stack)
BUCKETS = [
    ("perftest+provider", None),      # user-space leaf frame
    ("work item", ["sodp`sodp_qp_work", "k`rxe_sender", "k`rxe_receiver",
                   "k`do_task", "k`do_work"]),
    ("ICRC", ["k`crc32_le", "k`crc32_lsb_pclmul_sse"]),
    ("copies", ["k`memcpy_orig", "k`memcpy", "k`memcpy_erms",
                "k`rep_movs_alternative", "k`copy_page"]),
    ("clearing", ["k`clear_highpages_kasan_tagged", "k`clear_page_erms",
                  "k`clear_page_orig", "k`memset_orig"]),
    ("net stack", ["k`__dev_queue_xmit", "k`net_rx_action",
                   "k`ip_output", "k`udp_rcv"]),
    ("doorbell", ["k`ib_uverbs_write"]),
    ("gettimeofday", ["k`__x64_sys_gettimeofday"]),
    ("sched", ["k`__schedule", "k`queue_work_on"]),
]


def shares(path):
    tot = 0
    hit = collections.Counter()
    for line in open(path):
        stack, n = line.rsplit(" ", 1)
        n = int(n)
        tot += n
        frames = stack.split(";")
        fs = set(frames)
        for name, keys in BUCKETS:
            if keys is None:
                if not frames[-1].startswith(("k`", "sodp`")):
                    hit[name] += n
            elif fs.intersection(keys):
                hit[name] += n
    return tot, {k: 100.0 * v / max(tot, 1) for k, v in hit.items()}


def main():
    files = sorted(sys.argv[1:])
    if not files:
        sys.exit(__doc__)
    head = ["case", "samples"] + [b[0] for b in BUCKETS]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for f in files:
        tot, s = shares(f)
        name = os.path.basename(f).rsplit(".", 1)[0]
        cells = [name, str(tot)] + ["%.0f%%" % s.get(b[0], 0.0)
                                    for b in BUCKETS]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
