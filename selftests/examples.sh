#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The BSD-style example programs of examples/ (built by `make examples`), run as their users
# would run them: tunreader (bare IPv4, -h with IPv4 and IPv6, -l on a unit made with
# `ip link add`), tapdump, vmnetclient, and tunvpn joining two network namespaces through tun
# and tap tunnels (the `make run` demo's set-up, examples/tunnel.sh) with pings over them.
#
# Needs root, the module loaded, iproute2, bash (to send UDP datagrams) and ping. Each
# test works in network namespaces of its own (tuntap_ex*), so the units it clones are created
# there and destroyed when the namespace is deleted. Prints TAP ("ok N name", "not ok N name"
# with "# " diagnostics) and exits non-zero if a test failed.
cd "$(dirname "$0")" || exit 1
examples=$(cd ../examples 2>/dev/null && pwd)
ntests=11

echo "TAP version 13"
echo "1..$ntests"
for p in tunreader tapdump vmnetclient tunvpn tunnel.sh; do
	if [ ! -e "$examples/$p" ]; then
		echo "not ok 1 examples built"
		echo "# ../examples/$p is missing: make examples"
		exit 1
	fi
done
# shellcheck source-path=SCRIPTDIR source=../examples/tunnel.sh
. "$examples/tunnel.sh"

tmp=$(mktemp -d)
n=0 failed=0
pid="" pids="" namespaces="" units=""

# Stops what is left, deletes the namespaces, and waits (30 s at most) until the units they
# held are destroyed (namespaces go away in the background), so that the next selftest
# program finds no unit of ours.
cleanup() {
	for p in $pid $pids; do
		kill "$p" 2>/dev/null
	done
	# shellcheck disable=SC2086 # lists
	tunnel_down $namespaces
	for u in $units; do
		_i=0
		while [ -e "/dev/$u" ] && [ "$_i" -lt 300 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok NAME / not_ok NAME WHY [FILE...]: a TAP line; for a failure, the reason and the files
# (the programs' output) as diagnostics.
ok() {
	n=$((n + 1))
	echo "ok $n $1"
}
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n $1"
	echo "# $2"
	shift 2
	for f in "$@"; do
		[ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"
	done
}

# A fresh network namespace with IPv6 off for new interfaces (nothing but the test's own
# packets reaches the units); deleted at the end.
netns() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	ip netns exec "$1" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
	namespaces="$namespaces $1"
}

# start NS OUT PROG ARGS...: an example in NS, in the background, stdout in OUT and stderr in
# OUT.err. Waits (30 s at most) for its first line, the interface's name: $ifname, $pid.
start() {
	_ns=$1 _out=$2 _prog=$3
	shift 3
	: >"$_out"
	ip netns exec "$_ns" "$examples/$_prog" "$@" >"$_out" 2>"$_out.err" &
	pid=$!
	ifname=""
	lines "$_out" 1 || return 1
	ifname=$(head -n 1 "$_out")
	units="$units $ifname"
}

# lines FILE N: waits (30 s at most, or until $pid exits) until FILE has N lines.
lines() {
	_i=0
	while [ "$(wc -l <"$1")" -lt "$2" ]; do
		if [ "$_i" -ge 300 ] || exited "$pid"; then
			[ "$(wc -l <"$1")" -ge "$2" ]
			return
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

# udp NS ADDR: one UDP datagram, "tuntap_rs" (9 bytes), from NS to ADDR port 9 (bash's
# /dev/udp/HOST/PORT redirections: a connected UDP socket, IPv4 or IPv6).
udp() {
	# shellcheck disable=SC2016 # $1 of the inner bash
	ip netns exec "$1" bash -c 'printf tuntap_rs >"/dev/udp/$1/9"' udp "$2" 2>>"$tmp/udp.err"
}

# send_until NS ADDR CMD...: a datagram to ADDR every 2 s, 15 times at most, until CMD
# succeeds (the first one may leave before the route is there).
send_until() {
	_ns=$1 _addr=$2
	shift 2
	_k=0
	while [ "$_k" -lt 15 ]; do
		udp "$_ns" "$_addr"
		_j=0
		while [ "$_j" -lt 20 ]; do
			"$@" && return 0
			sleep 0.1
			_j=$((_j + 1))
		done
		_k=$((_k + 1))
	done
	return 1
}

exited() {
	! kill -0 "$1" 2>/dev/null
}

has_line() {
	grep -qxF "$2" "$1"
}

# finish: waits for $pid (it should have exited; else it is killed) and returns its status.
finish() {
	[ -n "$pid" ] || return 0
	exited "$pid" || kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	_rc=$?
	pid=""
	return "$_rc"
}

# The second line of FILE, the first packet.
line2() {
	sed -n 2p "$1"
}

# ---- tunreader ----------------------------------------------------------------------------

# tunreader_v4 NAME EXPECTED OPTIONS...: tunreader -c 1 OPTIONS reads the datagram sent to the
# tun's peer and prints EXPECTED. Bare IPv4, or with -h the family header, or with -l the
# destination sockaddr.
tunreader_v4() {
	_name=$1 _expect=$2 out=$tmp/tunreader
	shift 2
	netns tuntap_ex || { not_ok "$_name" "ip netns add"; return; }
	if ! start tuntap_ex "$out" tunreader -c 1 "$@"; then
		not_ok "$_name" "tunreader did not start" "$out" "$out.err"
		return
	fi
	if ! ip -n tuntap_ex addr add 10.210.0.1 peer 10.210.0.2 dev "$ifname" ||
	   ! ip -n tuntap_ex link set "$ifname" up; then
		not_ok "$_name" "configuring $ifname"
	elif ! send_until tuntap_ex 10.210.0.2 exited "$pid"; then
		not_ok "$_name" "tunreader -c 1 did not exit" "$out" "$out.err" "$tmp/udp.err"
	elif ! finish; then
		not_ok "$_name" "tunreader failed" "$out" "$out.err"
	elif [ "$(line2 "$out")" != "$_expect" ]; then
		not_ok "$_name" "expected: $_expect" "$out" "$out.err"
	else
		ok "$_name"
	fi
	finish
	tunnel_down tuntap_ex
}

tunreader_v4 "tunreader: a bare IPv4 packet" \
	"inet 10.210.0.1 -> 10.210.0.2 udp length 37"
tunreader_v4 "tunreader -h: IPv4 after its address family" \
	"inet 10.210.0.1 -> 10.210.0.2 udp length 37" -h

# IPv6 is carried only with -h (TUNSIFHEAD). IPv6 on: the kernel sends its own packets too
# (neighbour discovery, MLD); the test looks for its datagram among them.
name="tunreader -h: IPv6 after its address family"
out=$tmp/tunreader6
expect="inet6 fd10::1 -> fd10::2 udp length 57"
if ! netns tuntap_ex; then
	not_ok "$name" "ip netns add"
elif ! start tuntap_ex "$out" tunreader -h; then
	not_ok "$name" "tunreader did not start" "$out" "$out.err"
elif ! ip netns exec tuntap_ex sh -c "echo 0 >/proc/sys/net/ipv6/conf/$ifname/disable_ipv6" ||
     ! ip -n tuntap_ex -6 addr add fd10::1/64 dev "$ifname" nodad ||
     ! ip -n tuntap_ex link set "$ifname" up; then
	not_ok "$name" "configuring $ifname"
elif ! send_until tuntap_ex fd10::2 has_line "$out" "$expect"; then
	not_ok "$name" "expected: $expect" "$out" "$out.err" "$tmp/udp.err"
else
	ok "$name"
fi
finish
tunnel_down tuntap_ex

# -l on a unit created by name (FreeBSD's `ifconfig tun create`) and opened by its node.
name="tunreader -l: the destination sockaddr, on /dev/tunN of an ip-link-added unit"
out=$tmp/tunreaderl
expect="inet 10.210.0.1 -> 10.210.0.2 udp length 37 (lmode to 10.210.0.2)"
if ! netns tuntap_ex; then
	not_ok "$name" "ip netns add"
elif ! ip -n tuntap_ex link add tun type bsdtun; then
	not_ok "$name" "ip link add tun type bsdtun"
else
	unit=$(ip -n tuntap_ex -o link show type bsdtun | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p')
	if ! start tuntap_ex "$out" tunreader -l -c 1 "/dev/$unit"; then
		not_ok "$name" "tunreader /dev/$unit did not start" "$out" "$out.err"
	elif [ "$ifname" != "$unit" ]; then
		not_ok "$name" "TUNGIFNAME gave '$ifname', not '$unit'" "$out" "$out.err"
	elif ! ip -n tuntap_ex addr add 10.210.0.1 peer 10.210.0.2 dev "$unit" ||
	     ! ip -n tuntap_ex link set "$unit" up; then
		not_ok "$name" "configuring $unit"
	elif ! send_until tuntap_ex 10.210.0.2 exited "$pid"; then
		not_ok "$name" "tunreader -c 1 did not exit" "$out" "$out.err" "$tmp/udp.err"
	elif ! finish; then
		not_ok "$name" "tunreader failed" "$out" "$out.err"
	elif [ "$(line2 "$out")" != "$expect" ]; then
		not_ok "$name" "expected: $expect" "$out" "$out.err"
	else
		ok "$name"
	fi
fi
finish
tunnel_down tuntap_ex

# ---- tapdump and vmnetclient --------------------------------------------------------------

# A datagram to an address on the tap's subnet: first, an ARP request for it, broadcast.
arp='[0-9a-f]{2}(:[0-9a-f]{2}){5} > ff:ff:ff:ff:ff:ff, ethertype 0x0806'

name="tapdump: an ARP request"
out=$tmp/tapdump
if ! netns tuntap_ex; then
	not_ok "$name" "ip netns add"
elif ! start tuntap_ex "$out" tapdump -c 1; then
	not_ok "$name" "tapdump did not start" "$out" "$out.err"
elif ! ip -n tuntap_ex addr add 10.211.0.1/24 dev "$ifname" ||
     ! ip -n tuntap_ex link set "$ifname" up; then
	not_ok "$name" "configuring $ifname"
elif ! send_until tuntap_ex 10.211.0.2 exited "$pid"; then
	not_ok "$name" "tapdump -c 1 did not exit" "$out" "$out.err" "$tmp/udp.err"
elif ! finish; then
	not_ok "$name" "tapdump failed" "$out" "$out.err"
elif ! line2 "$out" | grep -qxE "$arp \\(arp\\), length 42"; then
	not_ok "$name" "expected an ARP request, 42 bytes, broadcast" "$out" "$out.err"
else
	ok "$name"
fi
finish
tunnel_down tuntap_ex

# vmnetclient sets the remote MAC and brings the interface up itself (VMIO_SIOCSIFFLAGS: no
# `ip link set up`); the vmnet stays up after its file is closed.
name="vmnetclient: remote MAC, VMIO_SIOCSIFFLAGS, a frame, still up after close"
out=$tmp/vmnetclient
if ! netns tuntap_ex; then
	not_ok "$name" "ip netns add"
elif ! start tuntap_ex "$out" vmnetclient -c 1 -m 02:00:00:00:00:02; then
	not_ok "$name" "vmnetclient did not start" "$out" "$out.err"
elif ! lines "$out" 3; then
	not_ok "$name" "vmnetclient stopped early" "$out" "$out.err"
elif [ "$(sed -n 2p "$out")" != "remote mac 02:00:00:00:00:02" ] ||
     [ "$(sed -n 3p "$out")" != "interface up" ]; then
	not_ok "$name" "expected the remote MAC 02:00:00:00:00:02, then 'interface up'" \
		"$out" "$out.err"
elif ! ip -n tuntap_ex -o link show dev "$ifname" | grep -q '[<,]UP[,>]'; then
	not_ok "$name" "$ifname is not up after VMIO_SIOCSIFFLAGS"
elif ! ip -n tuntap_ex addr add 10.212.0.1/24 dev "$ifname"; then
	not_ok "$name" "configuring $ifname"
elif ! send_until tuntap_ex 10.212.0.2 exited "$pid"; then
	not_ok "$name" "vmnetclient -c 1 did not exit" "$out" "$out.err" "$tmp/udp.err"
elif ! finish; then
	not_ok "$name" "vmnetclient failed" "$out" "$out.err"
elif ! sed -n 4p "$out" | grep -qxE "$arp, length 42"; then
	not_ok "$name" "expected an ARP request, 42 bytes, broadcast" "$out" "$out.err"
elif ! ip -n tuntap_ex -o link show dev "$ifname" | grep -q '[<,]UP[,>]'; then
	not_ok "$name" "$ifname went down when vmnetclient closed it"
else
	ok "$name"
fi
finish
tunnel_down tuntap_ex

# ---- tunvpn -------------------------------------------------------------------------------

# Two namespaces joined by a veth, a tunvpn in each: tun (IPv4 and IPv6), then tap.
ns1=tuntap_ex1 ns2=tuntap_ex2
ip netns del "$ns1" 2>/dev/null
ip netns del "$ns2" 2>/dev/null
namespaces="$namespaces $ns1 $ns2"
if ! tunnel_underlay "$ns1" "$ns2" >"$tmp/underlay" 2>&1; then
	for name in "tunvpn: IPv4 ping through a tun tunnel" \
		    "tunvpn: IPv6 ping through a tun tunnel" \
		    "tunvpn -t: IPv4 ping through a tap tunnel" \
		    "tunvpn: counters on SIGTERM" \
		    "tunvpn -o: a TCP stream through a tun tunnel with offloads"; do
		not_ok "$name" "two namespaces and a veth" "$tmp/underlay"
	done
else
	# vpn PORT [-t]: the two forwarders, configured; $vpn_ok is 1 if all went well.
	vpn() {
		vpn_ok=0
		tunnel_start "$ns1" "10.200.0.1:$1" "10.200.0.2:$1" "$tmp/vpn1.$1" ${2:+"$2"} \
			2>>"$tmp/vpn.$1"
		_rc=$? pids="$pids $tunnel_pid" if1=$tunnel_if units="$units $tunnel_if"
		[ "$_rc" = 0 ] || return
		tunnel_start "$ns2" "10.200.0.2:$1" "10.200.0.1:$1" "$tmp/vpn2.$1" ${2:+"$2"} \
			2>>"$tmp/vpn.$1"
		_rc=$? pids="$pids $tunnel_pid" if2=$tunnel_if units="$units $tunnel_if"
		[ "$_rc" = 0 ] || return
		tunnel_addr "$ns1" "$if1" 1 ${2:+"$2"} >>"$tmp/vpn.$1" 2>&1 &&
			tunnel_addr "$ns2" "$if2" 2 ${2:+"$2"} >>"$tmp/vpn.$1" 2>&1 &&
			vpn_ok=1
	}
	# tcp_stream NS_FROM NS_TO ADDR BYTES: BYTES over TCP from NS_FROM to a server on
	# ADDR:5001 in NS_TO (python3); prints what the server counted, fails unless all came.
	tcp_stream() {
		ip netns exec "$2" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1); s.settimeout(60)
print("listening", flush=True)
c, _ = s.accept(); c.settimeout(60); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print(n, flush=True)' "$3" >"$tmp/server" 2>&1 &
		_srv=$!
		_i=0
		until grep -q listening "$tmp/server" || [ "$_i" -ge 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		ip netns exec "$1" python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], 5001), timeout=60)
c.sendall(bytes(int(sys.argv[2])))
c.close()' "$3" "$4" || { kill "$_srv" 2>/dev/null; return 1; }
		wait "$_srv"
		_got=$(tail -n 1 "$tmp/server")
		echo "$_got bytes received"
		[ "$_got" = "$4" ]
	}
	# ping NAME ADDR PORT: the TAP line of a ping through the tunnel of PORT.
	ping_test() {
		if [ "$vpn_ok" != 1 ]; then
			not_ok "$1" "setting up the tunnel" "$tmp/vpn.$3" "$tmp/vpn1.$3.err" \
				"$tmp/vpn2.$3.err"
		elif ! tunnel_ping "$ns1" "$2" 3 >"$tmp/ping" 2>&1; then
			not_ok "$1" "ping $2 from $ns1 through $if1 and $if2" "$tmp/ping" \
				"$tmp/vpn1.$3.err" "$tmp/vpn2.$3.err"
		else
			ok "$1"
		fi
	}

	vpn 4789
	ping_test "tunvpn: IPv4 ping through a tun tunnel" 10.201.0.2 4789
	ping_test "tunvpn: IPv6 ping through a tun tunnel" fd01::2 4789
	# shellcheck disable=SC2086 # a list of pids
	tunnel_stop $pids
	pids=""

	vpn 4790 -t
	ping_test "tunvpn -t: IPv4 ping through a tap tunnel" 10.202.0.2 4790
	# shellcheck disable=SC2086
	tunnel_stop $pids
	pids=""

	# The first tun tunnel's units keep their addresses: out of the way of the next one.
	ip -n "$ns1" link del "$(head -n 1 "$tmp/vpn1.4789")" 2>/dev/null
	ip -n "$ns2" link del "$(head -n 1 "$tmp/vpn2.4789")" 2>/dev/null
	# With offloads (-o): 4 MiB over TCP from ns1 to ns2, counted by the server.
	name="tunvpn -o: a TCP stream through a tun tunnel with offloads"
	vpn 4791 -o
	if [ "$vpn_ok" != 1 ]; then
		not_ok "$name" "setting up the tunnel" "$tmp/vpn.4791" "$tmp/vpn1.4791.err" \
			"$tmp/vpn2.4791.err"
	elif ! tcp_stream "$ns1" "$ns2" 10.201.0.2 4194304 >"$tmp/stream" 2>&1; then
		not_ok "$name" "4 MiB from $ns1 to 10.201.0.2:5001 in $ns2" "$tmp/stream" \
			"$tmp/vpn1.4791.err" "$tmp/vpn2.4791.err"
	else
		ok "$name # $(cat "$tmp/stream")"
	fi
	# shellcheck disable=SC2086
	tunnel_stop $pids
	pids=""

	# Each forwarder, stopped by SIGTERM, printed its counters: packets went both ways.
	name="tunvpn: counters on SIGTERM"
	counters='^(tun|tap)[0-9]+: [1-9][0-9]* packets out, [1-9][0-9]* in$'
	bad=""
	for f in "$tmp/vpn1.4789" "$tmp/vpn2.4789" "$tmp/vpn1.4790" "$tmp/vpn2.4790"; do
		if ! head -n 1 "$f" 2>/dev/null | grep -qE '^(tun|tap)[0-9]+$' ||
		   ! sed -n 2p "$f" | grep -qE "$counters"; then
			bad="$bad $f"
		fi
	done
	if [ -n "$bad" ]; then
		# shellcheck disable=SC2086
		not_ok "$name" "expected the name, then 'NAME: N packets out, N in'" $bad
	else
		ok "$name"
	fi
fi
tunnel_down "$ns1" "$ns2"

[ "$n" = "$ntests" ] || {
	echo "not ok $((n + 1)) the plan # $n tests ran, $ntests planned"
	failed=$((failed + 1))
}
[ "$failed" = 0 ]
