#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make run`, inside the guest (scripts/vm loaded the module; TUNTAP_KO names it): a live BSD
# tunnel. Two network namespaces joined by a veth pair; in each, examples/tunvpn (a BSD-style
# VPN: /dev/tun, TUNSIFHEAD, poll(), UDP) clones a unit and forwards its packets to the other
# over UDP; pings go through the tunnel, over IPv4 and IPv6, then through a tap tunnel
# (tunvpn -t, Ethernet frames over UDP). Exits non-zero when a step or a ping fails.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
examples=$top/examples
# shellcheck source-path=SCRIPTDIR source=../examples/tunnel.sh
. "$examples/tunnel.sh"
TUNNEL_TRACE=1

ns1=tuntap1 ns2=tuntap2
tmp=$(mktemp -d)
pids=""

cleanup() {
	# shellcheck disable=SC2086 # a list of pids
	[ -z "$pids" ] || tunnel_stop $pids
	pids=""
	tunnel_down "$ns1" "$ns2"
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "demo: FAILED: $*"
	exit 1
}

# The two forwarders of one tunnel: tunvpn in each namespace, then the addresses.
# $1: 4789 (tun) or 4790 (tap); $2: -t for tap. Sets $if1 and $if2.
tunnel() {
	tunnel_start "$ns1" "10.200.0.1:$1" "10.200.0.2:$1" "$tmp/vpn1.$1" ${2:+"$2"}
	rc=$? pids="$pids $tunnel_pid" if1=$tunnel_if
	[ "$rc" = 0 ] || fail "tunvpn in $ns1"
	tunnel_start "$ns2" "10.200.0.2:$1" "10.200.0.1:$1" "$tmp/vpn2.$1" ${2:+"$2"}
	rc=$? pids="$pids $tunnel_pid" if2=$tunnel_if
	[ "$rc" = 0 ] || fail "tunvpn in $ns2"
	echo "tunvpn cloned $if1 (/dev/$if1) in $ns1 and $if2 (/dev/$if2) in $ns2"
	tunnel_addr "$ns1" "$if1" 1 ${2:+"$2"} || fail "configuring $if1"
	tunnel_addr "$ns2" "$if2" 2 ${2:+"$2"} || fail "configuring $if2"
	ip -n "$ns1" -br addr show dev "$if1"
	ip -n "$ns2" -br addr show dev "$if2"
}

# Stops the forwarders of port $1; they print their counters (and any warning they had).
stop() {
	# shellcheck disable=SC2086 # a list of pids
	tunnel_stop $pids
	pids=""
	for f in "$tmp/vpn1.$1" "$tmp/vpn2.$1"; do
		sed 1d "$f"
		cat "$f.err"
	done
}

echo "== tuntap_rs, loaded"
modinfo "$TUNTAP_KO" | grep -E '^(filename|version|description|parm):'
echo "== cloning nodes: opening one creates a unit"
ls -l /dev/tun /dev/tap /dev/vmnet || fail "no cloning nodes"

echo "== two network namespaces joined by a veth pair"
tunnel_underlay "$ns1" "$ns2" || fail "namespaces and veth"

echo "== a tun tunnel: examples/tunvpn in each namespace, IP packets in UDP over the veth"
tunnel 4789
echo "== ping 10.201.0.2 from $ns1: IPv4 through $if1, UDP over the veth, $if2"
tunnel_ping "$ns1" 10.201.0.2 5 || fail "IPv4 ping through the tun tunnel"
echo "== ping fd01::2 from $ns1: IPv6 (TUNSIFHEAD: the address family before each packet)"
tunnel_ping "$ns1" fd01::2 5 || fail "IPv6 ping through the tun tunnel"
echo "== stopping the tun forwarders"
stop 4789

echo "== a tap tunnel: tunvpn -t, Ethernet frames in UDP (ARP goes through it too)"
tunnel 4790 -t
echo "== ping 10.202.0.2 from $ns1: through $if1, UDP over the veth, $if2"
tunnel_ping "$ns1" 10.202.0.2 5 || fail "IPv4 ping through the tap tunnel"
echo "== stopping the tap forwarders"
stop 4790

echo "== deleting the namespaces destroys their units (FreeBSD: a vnet jail's clones)"
tunnel_down "$ns1" "$ns2"
i=0
while ls /dev/tun[0-9]* /dev/tap[0-9]* >/dev/null 2>&1; do
	[ "$i" -lt 300 ] || fail "units left: $(ls /dev/tun[0-9]* /dev/tap[0-9]* 2>/dev/null)"
	sleep 0.1
	i=$((i + 1))
done
echo "no unit left"

echo "== rmmod tuntap_rs"
rmmod tuntap_rs || fail "rmmod"
if [ -e /dev/tun ] || [ -e /dev/tap ] || [ -e /dev/vmnet ]; then
	fail "cloning nodes left"
fi
echo "the cloning nodes are gone"
echo "== demo passed"
