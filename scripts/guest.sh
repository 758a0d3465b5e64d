#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest (see scripts/vm): load the module, run the command, and optionally
# unload it and have kmemleak scan. Prints `guest: command exit N` for the host to read.
#   guest.sh MODULE_KO KMEMLEAK COMMAND [ARG...]
ko=$1 kmemleak=$2
shift 2
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
echo "guest: kernel $(uname -r), $(nproc) CPUs"
if [ -n "$ko" ]; then
	if ! insmod "$ko"; then
		echo "guest: insmod $ko failed"
		echo "guest: command exit 99"
		exit 99
	fi
	export TUNTAP_KO="$ko"
fi
"$@"
rc=$?
if [ "$kmemleak" = 1 ] && [ -e /sys/kernel/debug/kmemleak ]; then
	grep -q '^tuntap_rs ' /proc/modules && rmmod tuntap_rs
	# kmemleak reports objects only once they are 5 s old; scan twice to be sure.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	echo "guest: kmemleak report follows"
	cat /sys/kernel/debug/kmemleak
	echo "guest: kmemleak report ends"
fi
echo "guest: command exit $rc"
exit $rc
