#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads bench/run.sh output (a VM console log) and prints the benchmark table:
workload x size x driver, median over repetitions, spread (min..max), and ratio to Linux's
tun and to the system-call floor."""
import re
import statistics
import sys
from collections import defaultdict

samples = defaultdict(list)
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"rep \d+: rtt\s+(\w+)\s+(\d+) B .*p50\s+(\d+) ns\s+p99\s+(\d+) ns", line)
    if m:
        samples[("rtt p50", int(m[2]), m[1])].append(int(m[3]))
        samples[("rtt p99", int(m[2]), m[1])].append(int(m[4]))
        continue
    m = re.match(r"rep \d+: inject\s+(\w+)\s+(\d+) B .*?([\d.]+) ns/packet", line)
    if m:
        samples[("inject", int(m[2]), m[1])].append(float(m[3]))
        continue
    m = re.match(r"rep \d+: floor\s+(\w+)\s+(\d+) B .*?([\d.]+) ns/call", line)
    if m:
        samples[("floor " + m[1], int(m[2]), "-")].append(float(m[3]))

if not samples:
    sys.exit("summarize: no benchmark lines found")
med = {k: statistics.median(v) for k, v in samples.items()}
print(f"{'workload':<12}{'size':>6}  {'driver':<7}{'median ns':>11}  {'spread':>19}"
      f"  {'ours/linux':>10}  {'x floor':>8}")
for (work, size, driver), values in sorted(samples.items()):
    ratio = ""
    if driver == "ours" and (work, size, "linux") in med:
        ratio = f"{med[(work, size, driver)] / med[(work, size, 'linux')]:.2f}"
    floor = med.get(("floor write", size, "-"))
    times_floor = ""
    if work == "inject" and floor:
        times_floor = f"{med[(work, size, driver)] / floor:.2f}"
    print(f"{work:<12}{size:>6}  {driver:<7}{med[(work, size, driver)]:>11.0f}  "
          f"{min(values):>9.0f}..{max(values):<9.0f}  {ratio:>10}  {times_floor:>8}")
