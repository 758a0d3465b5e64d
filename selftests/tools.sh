#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tuntap_rs and Linux's own tools (inside the guest, the module loaded): ethtool -i/-S,
# tcpdump on tunN (raw IP) and tapN (Ethernet), /proc/<pid>/fdinfo of a tuntap_rs file.
# Prints TAP lines; exits non-zero if one failed.
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "failed: $*"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "TAP version 13"

# send_udp ADDR PORT: one datagram (bash's /dev/udp; busybox nc has no UDP).
send_udp() { bash -c "printf x >/dev/udp/$1/$2" 2>/dev/null; }

# capture IFACE FILE ADDR PORT: tcpdump one UDP packet on IFACE into FILE while sending
# datagrams to ADDR:PORT (at most 20, one a second); tcpdump is stopped if it saw nothing.
capture() {
	tcpdump -Z root -i "$1" -c 1 -U -w "$2" udp 2>"$2.err" &
	_pid=$!
	sleep 2
	_i=0
	while kill -0 $_pid 2>/dev/null && [ $_i -lt 20 ]; do
		send_udp "$3" "$4"
		sleep 1
		_i=$((_i + 1))
	done
	kill $_pid 2>/dev/null
	wait $_pid
}

# The name of the unit behind fd 3 (from its fdinfo).
unit_name() { sed -n 's/^tuntap-iface:\t//p' "/proc/$$/fdinfo/3"; }
field() { sed -n "s/^tuntap-$1:\t//p" "/proc/$$/fdinfo/3"; }

# ---- fdinfo ----
exec 3<>/dev/tun
tun=$(unit_name)
check "fdinfo: tuntap-iface names the interface" ip link show "$tun" >/dev/null
check "fdinfo: tuntap-unit is the unit" test "$(field unit)" = "$tun"
check "fdinfo: mode plain" test "$(field mode)" = plain
check "fdinfo: owner pid is the opener" test "$(field owner-pid)" = $$
check "fdinfo: not transient" test "$(field transient)" = 0
check "fdinfo: queue empty" test "$(field queued)" = 0
echo 1 >"/proc/sys/net/ipv6/conf/$tun/disable_ipv6"
ip addr add 10.77.230.1 peer 10.77.230.2 dev "$tun"
ip link set "$tun" up
# Two datagrams routed out, not read: queued.
send_udp 10.77.230.2 9
send_udp 10.77.230.2 9
check "fdinfo: queue depth counts packets" test "$(field queued)" = 2

# ---- ethtool ----
check "ethtool -i: driver tuntap_rs" sh -c "ethtool -i $tun | grep -qx 'driver: tuntap_rs'"
check "ethtool -i: version" sh -c "ethtool -i $tun | grep -q '^version: [0-9]'"
check "ethtool -S: queue_stops" sh -c "ethtool -S $tun | grep -qE '^ +queue_stops: 0$'"
# A unit created closed, up, with a packet routed to it: it has no carrier, so the stack's idle
# qdisc drops the packet, counted in tx_dropped; it never reaches the unit.
ip link add tun4230 type bsdtun
echo 1 >/proc/sys/net/ipv6/conf/tun4230/disable_ipv6
ip addr add 10.77.233.1 peer 10.77.233.2 dev tun4230
ip link set tun4230 up
check "a unit never opened has no carrier" test "$(cat /sys/class/net/tun4230/carrier)" = 0
send_udp 10.77.233.2 9
check "a packet for a closed unit is dropped and counted (tx_dropped)" \
	test "$(cat /sys/class/net/tun4230/statistics/tx_dropped)" = 1
check "ethtool -S: tx_dropped_closed is 0: the packet never reached the unit" \
	sh -c "ethtool -S tun4230 | grep -qE '^ +tx_dropped_closed: 0$'"
check "ethtool -S: lists every reason" \
	sh -c "test \$(ethtool -S tun4230 | grep -cE '^ +(rx|tx)_(dropped|errors)_[a-z_]+: [0-9]+$') -eq 13"
ip link del tun4230
exec 3>&-
ip link del "$tun"

# ---- tcpdump: link types ----
if ! command -v tcpdump >/dev/null; then
	fail "tcpdump installed" "scripts/setup.sh installs tcpdump"
else
	exec 3<>/dev/tun
	tun=$(unit_name)
	echo 1 >"/proc/sys/net/ipv6/conf/$tun/disable_ipv6"
	ip addr add 10.77.231.1 peer 10.77.231.2 dev "$tun"
	ip link set "$tun" up
	capture "$tun" "$tmp/tun.pcap" 10.77.231.2 4242
	tcpdump -r "$tmp/tun.pcap" -n >"$tmp/tun.txt" 2>&1
	check "tcpdump on tunN: raw IP link type" grep -q 'link-type RAW' "$tmp/tun.txt"
	check "tcpdump on tunN: the datagram to the peer" grep -q '10.77.231.1.* > 10.77.231.2.4242: UDP' "$tmp/tun.txt"
	exec 3>&-
	ip link del "$tun"

	exec 3<>/dev/tap
	tap=$(unit_name)
	echo 1 >"/proc/sys/net/ipv6/conf/$tap/disable_ipv6"
	ip addr add 10.77.232.1/24 dev "$tap"
	ip link set "$tap" up
	ip neigh add 10.77.232.2 lladdr 02:00:00:00:e8:02 dev "$tap"
	capture "$tap" "$tmp/tap.pcap" 10.77.232.2 4242
	tcpdump -r "$tmp/tap.pcap" -n -e >"$tmp/tap.txt" 2>&1
	check "tcpdump on tapN: Ethernet link type" grep -q 'link-type EN10MB' "$tmp/tap.txt"
	check "tcpdump on tapN: the frame to the neighbour" grep -q '> 02:00:00:00:e8:02.*10.77.232.2.4242: UDP' "$tmp/tap.txt"
	exec 3>&-
	ip link del "$tap"
fi

echo "# tools: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
