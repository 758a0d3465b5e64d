# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Two network namespaces joined by a veth pair, and a tunvpn in each, joining them again
# through a tun (or tap) unit per side: the set-up that `make run` (scripts/demo.sh) shows and
# selftests/examples.sh tests. To be sourced by a POSIX sh script running as root, with the
# tuntap_rs module loaded, iproute2 and ping:
#
#	examples=/path/to/tuntap_rs/examples	# where tunvpn was built
#	. "$examples/tunnel.sh"
#	tunnel_underlay ns1 ns2			# veth: ns1 10.200.0.1/24 <-> ns2 10.200.0.2/24
#	tunnel_start ns1 10.200.0.1:4789 10.200.0.2:4789 /tmp/vpn1	# $tunnel_if: tun0
#	tunnel_start ns2 10.200.0.2:4789 10.200.0.1:4789 /tmp/vpn2	# $tunnel_if: tun1
#	tunnel_addr ns1 tun0 1			# 10.201.0.1 peer 10.201.0.2, fd01::1/64
#	tunnel_addr ns2 tun1 2
#	tunnel_ping ns1 10.201.0.2 5		# through tun0, UDP over the veth, tun1
#	tunnel_stop "$pid1" "$pid2"
#	tunnel_down ns1 ns2			# the units go with their namespaces
#
# With -t after the file name, tunnel_start runs `tunvpn -t` (tap units, Ethernet frames), and
# tunnel_addr then takes -t as well: 10.202.0.N/24 and fd02::N/64.
#
# Every function returns non-zero on failure, after saying why on stderr. With TUNNEL_TRACE=1
# the commands are printed, prefixed with "+ ", as they run. Variables are global (POSIX sh has
# no local ones): the functions' own start with _t_.

# Runs a command, printing it first under TUNNEL_TRACE=1.
tunnel_run() {
	[ "${TUNNEL_TRACE:-0}" = 0 ] || echo "+ $*"
	"$@"
}

# tunnel_underlay NS1 NS2: the namespaces, and a veth pair between them.
tunnel_underlay() {
	tunnel_run ip netns add "$1" &&
	tunnel_run ip netns add "$2" &&
	tunnel_run ip -n "$1" link add veth0 type veth peer name veth0 netns "$2" &&
	tunnel_run ip -n "$1" addr add 10.200.0.1/24 dev veth0 &&
	tunnel_run ip -n "$2" addr add 10.200.0.2/24 dev veth0 &&
	tunnel_run ip -n "$1" link set veth0 up &&
	tunnel_run ip -n "$2" link set veth0 up
}

# tunnel_start NS LOCAL REMOTE FILE [-t]: tunvpn in NS, in the background, its stdout in FILE
# and its stderr in FILE.err. Waits (up to 30 s) for the name of the unit it cloned, then sets
# $tunnel_if to it and $tunnel_pid to the process.
tunnel_start() {
	_t_ns=$1 _t_local=$2 _t_remote=$3 _t_file=$4
	shift 4
	tunnel_if="" tunnel_pid=""
	[ "${TUNNEL_TRACE:-0}" = 0 ] ||
		echo "+ ip netns exec $_t_ns tunvpn ${*:+$* }-l $_t_local -r $_t_remote &"
	: >"$_t_file"
	# `ip netns exec` execs the program: $! is tunvpn itself.
	ip netns exec "$_t_ns" "${examples:?}/tunvpn" "$@" -l "$_t_local" -r "$_t_remote" \
		>"$_t_file" 2>"$_t_file.err" &
	# shellcheck disable=SC2034 # for the caller
	tunnel_pid=$!
	_t_i=0
	while [ ! -s "$_t_file" ]; do
		if ! kill -0 "$tunnel_pid" 2>/dev/null || [ "$_t_i" -ge 300 ]; then
			echo "tunnel: tunvpn in $_t_ns did not start:" >&2
			cat "$_t_file.err" >&2
			return 1
		fi
		sleep 0.1
		_t_i=$((_t_i + 1))
	done
	# shellcheck disable=SC2034 # for the caller
	tunnel_if=$(head -n 1 "$_t_file")
}

# tunnel_addr NS IF N [-t]: addresses and up. tun: 10.201.0.N with the other end (3 - N) as
# the peer, fd01::N/64; tap: 10.202.0.N/24, fd02::N/64. No duplicate address detection, so the
# IPv6 addresses work at once. MTU 1400 leaves room for the outer IP and UDP headers.
tunnel_addr() {
	_t_peer=$((3 - $3))
	if [ "${4:-}" = -t ]; then
		tunnel_run ip -n "$1" addr add "10.202.0.$3/24" dev "$2" &&
		tunnel_run ip -n "$1" -6 addr add "fd02::$3/64" dev "$2" nodad || return 1
	else
		tunnel_run ip -n "$1" addr add "10.201.0.$3" peer "10.201.0.$_t_peer" dev "$2" &&
		tunnel_run ip -n "$1" -6 addr add "fd01::$3/64" dev "$2" nodad || return 1
	fi
	tunnel_run ip -n "$1" link set "$2" mtu 1400 up
}

# tunnel_ping NS ADDR COUNT: pings ADDR from NS (IPv6 if it has a colon), prints ping's summary
# lines (loss, round-trip times) and returns ping's status: 0 when replies came.
tunnel_ping() {
	_t_six=
	case $2 in *:*) _t_six=-6 ;; esac
	_t_ping=ping
	command -v ping >/dev/null 2>&1 || _t_ping="busybox ping"
	[ "${TUNNEL_TRACE:-0}" = 0 ] ||
		echo "+ ip netns exec $1 $_t_ping${_t_six:+ $_t_six} -c $3 $2"
	# shellcheck disable=SC2086 # $_t_ping may be two words, $_t_six empty
	_t_out=$(ip netns exec "$1" $_t_ping $_t_six -c "$3" "$2" 2>&1)
	_t_rc=$?
	printf '%s\n' "$_t_out" | grep -E 'packets transmitted|min/avg/max' ||
		printf '%s\n' "$_t_out"
	return "$_t_rc"
}

# tunnel_stop PID...: SIGTERM, and waits for them (tunvpn prints its counters and exits).
tunnel_stop() {
	for _t_pid in "$@"; do
		kill -TERM "$_t_pid" 2>/dev/null
	done
	for _t_pid in "$@"; do
		wait "$_t_pid" 2>/dev/null
	done
	return 0
}

# tunnel_down NS...: deletes the namespaces; the kernel destroys the units in them.
tunnel_down() {
	for _t_ns in "$@"; do
		ip netns del "$_t_ns" 2>/dev/null
	done
	return 0
}
