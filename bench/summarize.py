#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Makes the benchmark table from bench/run.sh's output (the VM console log) and, when the
insncount plugin ran, its window log (instructions per measurement, in order) and profiles.

  summarize.py CONSOLE_LOG [WINDOW_LOG SYSTEM_MAP PROFILE_OUT]

Table: workload x size x driver, median over repetitions and spread (min..max); "ours/linux"
compares tuntap_rs with Linux's tun so that above 1 is better for tuntap_rs (packets/s: ours
over linux; times: linux over ours); "x floor" is a per-packet cost over the system-call floor
of the same size (write(/dev/null) for writes, read(/dev/zero) for reads, both for a round
trip); "insn/pkt" is the median instruction count per packet from the plugin."""
import bisect
import re
import statistics
import sys
from collections import defaultdict

# One measurement per line, in order; "windows" is how many plugin windows it made.
LINE = re.compile(r"rep (\d+): (\w+)\s+(\w+)\s+(\d+) (B|units)\s+(.*)")


def parse(console):
    rows = []
    for line in open(console, errors="replace"):
        m = LINE.match(line.strip())
        if not m:
            continue
        rep, work, driver, size, _, rest = m.groups()
        row = {"work": work, "driver": driver, "size": int(size), "rest": rest}
        n = re.search(r"n=(\d+)", rest)
        row["n"] = int(n[1]) if n else int(size)
        if work in ("rtt", "rttpoll"):
            for q in ("p50", "p99", "p99.9"):
                row[q] = int(re.search(re.escape(q) + r"\s+(\d+) ns", rest)[1])
        elif work in ("inject", "egress", "pair"):
            row["pps"] = float(re.search(r"([\d.]+) packets/s", rest)[1])
            row["ns"] = float(re.search(r"([\d.]+) ns/packet", rest)[1])
            if work == "egress":
                for k in ("sent", "delivered", "refused", "tx_dropped"):
                    row[k] = int(re.search(k + r" (\d+)", rest)[1])
        elif work == "floor":
            row["ns"] = float(re.search(r"([\d.]+) ns/call", rest)[1])
            row["work"] = "floor " + driver
            row["driver"] = "-"
        elif work in ("bulk", "bulkudp"):
            row["mbps"] = float(re.search(r"([\d.]+) MB/s", rest)[1])
            row["delivered"] = int(re.search(r"delivered (\d+)", rest)[1])
        elif work == "create":
            row["create_us"] = float(re.search(r"([\d.]+) us/unit create", rest)[1])
            row["destroy_us"] = float(re.search(r"([\d.]+) us/unit destroy", rest)[1])
            row["kb"] = float(re.search(r"([-\d.]+) kB/unit", rest)[1])
            row["slab_kb"] = float(re.search(r"slab\s+([-\d.]+) kB/unit", rest)[1])
        rows.append(row)
    return rows


def windows_of(row):
    return 2 if row["work"] == "create" else 1


def attach_windows(rows, window_log):
    """Gives each row its instruction counts and its profile (list of (pc, insns))."""
    wins = []
    for line in open(window_log, errors="replace"):
        if line.startswith("insn_window:"):
            wins.append([int(line.split()[1]), []])
        elif line.startswith("insn_pc:") and wins:
            pc, count = line.split()[1:3]
            wins[-1][1].append((int(pc, 16), int(count)))
    want = sum(windows_of(r) for r in rows)
    if len(wins) != want:
        print(f"summarize: {len(wins)} plugin windows for {want} expected; "
              "instruction counts left out", file=sys.stderr)
        return False
    i = 0
    for r in rows:
        k = windows_of(r)
        r["windows"] = wins[i:i + k]
        i += k
        if r["work"] == "create":
            r["create_insn"] = r["windows"][0][0] / r["n"]
            r["destroy_insn"] = r["windows"][1][0] / r["n"]
        else:
            r["insn"] = r["windows"][0][0] / r["n"]
    return True


def med(values):
    return statistics.median(values) if values else None


def table(rows, have_insn):
    groups = defaultdict(list)
    for r in rows:
        groups[(r["work"], r["size"], r["driver"])].append(r)
    floor = {(w, s): med([r["ns"] for r in groups[(w, s, "-")]])
             for (w, s, d) in groups if d == "-"}
    floor_insn = {(w, s): med([r["insn"] for r in groups[(w, s, "-")]])
                  for (w, s, d) in groups if d == "-" and have_insn}
    out = []
    out.append(f"{'workload':<14}{'size':>5}  {'driver':<6}{'median':>12}  {'spread':>21}"
               f"  {'ours/linux':>10}  {'x floor':>7}  {'insn/pkt':>8}  {'x floor':>7}"
               f"  {'insn ours/linux':>15}")

    def floor_of(work, size):
        if work in ("inject", "pair"):
            return floor.get(("floor write", size)), floor_insn.get(("floor write", size))
        if work == "egress":
            return floor.get(("floor read", size)), floor_insn.get(("floor read", size))
        if work.startswith("rtt"):
            w, r = floor.get(("floor write", size)), floor.get(("floor read", size))
            wi, ri = floor_insn.get(("floor write", size)), floor_insn.get(("floor read", size))
            return (w + r if w and r else None), (wi + ri if wi and ri else None)
        return None, None

    metrics = []
    for (work, size, driver) in groups:
        if work in ("create", "bulk", "bulkudp"):
            continue
        if work in ("inject", "egress", "pair"):
            metrics.append((work, size, driver, "pps", "packets/s", True))
        elif work.startswith("rtt"):
            for q in ("p50", "p99", "p99.9"):
                metrics.append((work, size, driver, q, "ns " + q, False))
        else:
            metrics.append((work, size, driver, "ns", "ns/call", False))
    for work, size, driver, key, label, higher_better in sorted(set(metrics)):
        vals = [r[key] for r in groups[(work, size, driver)]]
        m = med(vals)
        ratio = times_floor = insn = insn_floor = insn_ratio = ""
        other = groups.get((work, size, "linux"))
        if driver == "ours" and other:
            o = med([r[key] for r in other])
            ratio = f"{(m / o if higher_better else o / m):.2f}"
        f, fi = floor_of(work, size)
        if f and driver != "-" and key in ("pps", "p50"):
            ns = 1e9 / m if key == "pps" else m
            times_floor = f"{ns / f:.2f}"
        if have_insn and key in ("pps", "p50", "ns"):
            mi = med([r["insn"] for r in groups[(work, size, driver)]])
            insn = f"{mi:.0f}"
            if fi and driver != "-":
                insn_floor = f"{mi / fi:.2f}"
            if driver == "ours" and other:
                insn_ratio = f"{mi / med([r['insn'] for r in other]):.3f}"
        name = work if key in ("pps", "ns") else f"{work} {key}"
        unit = "pps" if key == "pps" else "ns"
        out.append(f"{name:<14}{size:>5}  {driver:<6}{m:>10.0f}{unit:>3}"
                   f"{min(vals):>10.0f}..{max(vals):<10.0f}  {ratio:>10}  {times_floor:>7}"
                   f"  {insn:>8}  {insn_floor:>7}  {insn_ratio:>15}")

    eg = [r for r in rows if r["work"] == "egress"]
    if eg:
        out.append("")
        out.append("egress losses (all repetitions): driver size: sent, delivered, refused "
                   "by the qdisc (ENOBUFS), interface tx_dropped")
        for driver in ("ours", "linux"):
            for size in sorted({r["size"] for r in eg}):
                rs = [r for r in eg if r["driver"] == driver and r["size"] == size]
                if rs:
                    tot = {k: sum(r[k] for r in rs)
                           for k in ("sent", "delivered", "refused", "tx_dropped")}
                    out.append(f"  {driver:<6}{size:>5} B: sent {tot['sent']}, delivered "
                               f"{tot['delivered']}, refused {tot['refused']}, tx_dropped "
                               f"{tot['tx_dropped']}")
    bulk = [r for r in rows if r["work"] in ("bulk", "bulkudp")]
    if bulk:
        out.append("")
        out.append("W5 bulk: a stream from one namespace to another through two units and a "
                   "relay (one thread each way);")
        out.append("bytes delivered to the receiving socket per guest instruction (all CPUs), "
                   "packets crossing the files, medians")
        out.append(f"{'workload':<9}{'driver':<11}{'MB/s':>8}{'delivered':>11}{'packets':>9}"
                   + (f"{'bytes/insn':>11}{'x ours':>8}{'x linux':>9}" if have_insn else ""))
        drivers = ("ours", "linux", "ours_off", "linux_off")
        for work in ("bulk", "bulkudp"):
            sel = {d: [r for r in bulk if r["work"] == work and r["driver"] == d] for d in drivers}
            bpi = {d: med([r["delivered"] / r["windows"][0][0] for r in rs])
                   for d, rs in sel.items() if rs and have_insn}
            for d, rs in sel.items():
                if not rs:
                    continue
                line = (f"{work:<9}{d:<11}{med([r['mbps'] for r in rs]):>8.1f}"
                        f"{med([r['delivered'] for r in rs]):>11.0f}"
                        f"{med([r['n'] for r in rs]):>9.0f}")
                if d in bpi:
                    # ours_off against ours (target >= 5), ours against Linux's tun alike
                    # (ours_off against linux_off: target >= 1).
                    x_ours = f"{bpi[d] / bpi['ours']:.2f}" if d == "ours_off" and "ours" in bpi else ""
                    twin = d.replace("ours", "linux")
                    x_linux = (f"{bpi[d] / bpi[twin]:.2f}"
                               if d.startswith("ours") and twin in bpi else "")
                    line += f"{bpi[d]:>11.3f}{x_ours:>8}{x_linux:>9}"
                out.append(line)
    created = [r for r in rows if r["work"] == "create"]
    if created:
        out.append("")
        out.append(f"{'units':<14}{'count':>5}  {'driver':<6}{'create us/unit':>15}"
                   f"{'destroy us/unit':>16}{'kB/unit':>9}{'slab kB/unit':>13}"
                   + (f"{'insn/create':>12}" if have_insn else ""))
        for driver in ("ours", "linux"):
            rs = [r for r in created if r["driver"] == driver]
            if not rs:
                continue
            line = (f"{'create':<14}{rs[0]['n']:>5}  {driver:<6}"
                    f"{med([r['create_us'] for r in rs]):>15.0f}"
                    f"{med([r['destroy_us'] for r in rs]):>16.0f}"
                    f"{med([r['kb'] for r in rs]):>9.1f}{med([r['slab_kb'] for r in rs]):>13.1f}")
            if have_insn:
                line += f"{med([r['create_insn'] for r in rs]):>12.0f}"
            out.append(line)
    return "\n".join(out)


def symbolizer(system_map, console):
    """Address -> symbol from System.map (nokaslr) and the modules' ksym: lines."""
    syms = []
    for line in open(system_map):
        addr, kind, name = line.split()[:3]
        if kind in "tTwW":
            syms.append((int(addr, 16), name))
    for line in open(console, errors="replace"):
        m = re.match(r"ksym: ([0-9a-f]+) [tTwW] (\S+)\s+\[(\w+)\]", line.strip())
        if m:
            syms.append((int(m[1], 16), f"{m[2]} [{m[3]}]"))
    syms.sort()
    addrs = [a for a, _ in syms]

    def name(pc):
        if pc < 0xffff000000000000:
            return "(user)"
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else hex(pc)
    return name


def profiles(rows, name, out_path):
    """Per workload, size and driver: where the instructions go, per packet, by function."""
    groups = defaultdict(list)
    for r in rows:
        if r["driver"] != "-":
            groups[(r["work"], r["size"], r["driver"])].append(r)
    with open(out_path, "w") as out:
        for key in sorted(groups):
            rs = groups[key]
            per_sym = defaultdict(float)
            for r in rs:
                for pc, count in r["windows"][0][1]:
                    per_sym[name(pc)] += count / r["n"] / len(rs)
            if key[0] in ("bulk", "bulkudp"):
                total = med([r["windows"][0][0] for r in rs])
                what = (f"{key[1]} B {key[2]}: {total:.0f} insn per transfer "
                        f"(profile per packet crossing the files)")
            elif key[0] == "create":
                total = med([r["create_insn"] for r in rs])
                what = f"{key[1]} units {key[2]}: {total:.0f} insn/unit created"
            else:
                total = med([r["insn"] for r in rs])
                what = f"{key[1]} B {key[2]}: {total:.0f} insn/packet"
            module = sum(v for sym, v in per_sym.items()
                         if sym.endswith("[tuntap_rs]") or sym.endswith("[tun]"))
            out.write(f"== {key[0]} {what} ({module:.0f} in the driver module); top blocks "
                      "by function (insn per packet or unit)\n")
            for sym, v in sorted(per_sym.items(), key=lambda kv: -kv[1])[:40]:
                out.write(f"  {v:8.1f}  {sym}\n")


def main():
    rows = parse(sys.argv[1])
    if not rows:
        sys.exit("summarize: no benchmark lines found")
    have_insn = len(sys.argv) > 2 and attach_windows(rows, sys.argv[2])
    print(table(rows, have_insn))
    if have_insn and len(sys.argv) > 4:
        profiles(rows, symbolizer(sys.argv[3], sys.argv[1]), sys.argv[4])


main()
