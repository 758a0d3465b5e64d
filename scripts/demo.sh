#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make run`, inside the guest: show tuntap_rs loaded and working.
set -e
echo "== modinfo"
modinfo "$TUNTAP_KO"
echo "== loaded"
grep '^tuntap_rs ' /proc/modules
echo "== cloning nodes"
ls -l /dev/tun /dev/tap /dev/vmnet
grep tuntap_rs_ /proc/misc
echo "== opening /dev/tun clones a unit: interface tun0 and node /dev/tun0"
exec 3<>/dev/tun
ls -l /dev/tun0
ip link show tun0
grep tuntap /proc/$$/fdinfo/3
ip addr add 10.99.0.1 peer 10.99.0.2 dev tun0
ip link set tun0 up
ip addr show tun0
echo "== closing it brings tun0 down; the unit persists (FreeBSD semantics)"
exec 3>&-
ip link show tun0
echo "== kernel log"
dmesg | grep -i tuntap_rs
echo "== unload destroys the units"
rmmod tuntap_rs
[ ! -e /dev/tun ] && [ ! -e /dev/tun0 ] && ! ip link show tun0 2>/dev/null && echo "tun0 and the nodes are gone"
