#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the benchmark VM (scripts/vm loads tuntap_rs.ko): both drivers in the same boot,
# interleaved (ours, linux, ours, linux, ...), REPS repetitions after a warm-up inside each
# run. Prints one line per measurement; bench/summarize.py makes the table.
#   run.sh TUNBENCH REPS COUNT TUN_KO
# TUN_KO is a copy of Linux's tun.ko from the booted kernel tree (the guest's /lib/modules does
# not have it, and the kernel cache is not visible inside the guest).
bin=$1 reps=${2:-10} count=${3:-2000} tun_ko=$4
modprobe -q tun 2>/dev/null || insmod "$tun_ko" ||
	{ echo "bench: Linux's tun module is not available"; exit 1; }
echo "bench: kernel $(uname -r), $(nproc) CPU(s); both drivers: no packet-information header," \
	"MTU 1500, txqueuelen 500, qdisc pfifo_fast"
for rep in $(seq "$reps"); do
	for size in 64 1400; do
		for driver in ours linux; do
			echo "rep $rep: $("$bin" rtt "$driver" "$size" "$count")"
			echo "rep $rep: $("$bin" inject "$driver" "$size" "$count")"
		done
		echo "rep $rep: $("$bin" floor "$size" "$count" | head -1)"
		echo "rep $rep: $("$bin" floor "$size" "$count" | tail -1)"
	done
done
