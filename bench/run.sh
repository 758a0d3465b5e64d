#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the benchmark VM (scripts/vm loads tuntap_rs.ko): both drivers in the same boot,
# interleaved (ours, linux, ours, linux, ...), REPS repetitions, each workload with its own
# warm-up. Prints one line per measurement; bench/summarize.py makes the table.
#   run.sh TUNBENCH REPS COUNT TUN_KO UNITS CREATE_REPS [BULK_BYTES [WORKS]]
# WORKS: the workloads to run, of "inject egress rtt rttpoll pair floor bulk create" (all).
# TUN_KO is a copy of Linux's tun.ko from the booted kernel tree (the guest's /lib/modules does
# not have it, and the kernel cache is not visible inside the guest). UNITS units are created
# and destroyed in each of the first CREATE_REPS repetitions.
bin=$1 reps=${2:-10} count=${3:-2000} tun_ko=$4 units=${5:-1000} create_reps=${6:-2}
bulk_bytes=${7:-16777216} works=${8:-"inject egress rtt rttpoll pair floor bulk create"}
# Whether workload $1 is one of those asked for.
wants() {
	case " $works " in *" $1 "*) return 0 ;; esac
	return 1
}
# udevd would react to every unit created (and its workers' memory would count as ours).
udevadm control --exit >/dev/null 2>&1
modprobe -q tun 2>/dev/null || insmod "$tun_ko" ||
	{ echo "bench: Linux's tun module is not available"; exit 1; }
echo "bench: kernel $(uname -r), $(nproc) CPU(s); both drivers: no packet-information header," \
	"MTU 1500, txqueuelen 500, qdisc pfifo_fast; one thread on CPU 0 except pair"
# For the plugin's profiles: where the two modules' code lies (the kernel runs with nokaslr,
# so the rest is in the tree's System.map).
grep -E '\[(tuntap_rs|tun)\]$' /proc/kallsyms | sed 's/^/ksym: /'
for rep in $(seq "$reps"); do
	for size in 64 1400; do
		for work in inject egress rtt rttpoll pair; do
			wants "$work" || continue
			for driver in ours linux; do
				echo "rep $rep: $("$bin" "$work" "$driver" "$size" "$count")"
			done
		done
		if wants floor; then
			"$bin" floor "$size" "$count" | sed "s/^/rep $rep: /"
		fi
	done
	# W5: bulk through two units and a relay, both drivers, without and with offloads.
	for mode in tcp udp; do
		wants bulk || continue
		for driver in ours linux ours_off linux_off; do
			echo "rep $rep: $("$bin" bulk "$driver" "$mode" "$bulk_bytes")"
		done
	done
	if wants create && [ "$rep" -le "$create_reps" ]; then
		for driver in ours linux; do
			echo "rep $rep: $("$bin" create "$driver" "$units")"
		done
	fi
done
echo "bench: done"
