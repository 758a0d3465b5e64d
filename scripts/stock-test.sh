#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host checks of the stock-kernel path (no VM):
#   - a compiler other than the kernel's (this machine's own rustc) is refused before anything
#     is compiled, with a message that names both version texts;
#   - DKMS on the user's system: scripts/stock-dkms-test.sh inside the trixie root (on a trixie
#     host, on the host), which leaves the DKMS-built module in OUT/dkms/tuntap_rs.ko.
#
#   scripts/stock-test.sh [RELEASE]
#
# Prints ok/not ok lines and `host checks: N passed, N failed`.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
release=${1:-7.3.4+deb13-amd64}
out=$top/out/stock/$release

. "$here/tap.sh"

# The refusal: this machine's rustup toolchain against Debian's kernel.
own=$(command -v rustc || true)
if [ -n "$own" ]; then
	want=$(grep '^CONFIG_RUSTC_VERSION_TEXT=' "$("$here/trixie-root.sh" path)/usr/src/linux-headers-$release/.config" 2>/dev/null |
		sed 's/^[^"]*"//; s/"$//')
	have=$(rustc --version)
	log=$(mktemp)
	start=$SECONDS
	if "$here/stock.sh" --release "$release" --rustc "$own" >"$log" 2>&1; then
		not_ok "stock.sh refuses $have for $release (it built)"
	elif [ -n "$want" ] && grep -qF "$want" "$log" && grep -qF "$have" "$log" && grep -q '^\[tuntap_rs\] FAILED: refusing' "$log" &&
		! grep -q 'error\[E' "$log"; then
		ok "stock.sh refuses $have for $release, naming both version texts ($((SECONDS - start)) s)"
	else
		not_ok "stock.sh refuses $have for $release with a message naming both version texts"
		sed 's/^/#   /' "$log"
	fi
	rm -f "$log"
fi

# DKMS as the stock kernel's user runs it.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mkdir -p "$out/dkms"
if [ "$codename" = trixie ]; then
	res=$("$here/stock-dkms-test.sh" "$top" "$out/dkms" "$release")
else
	res=$("$here/trixie-root.sh" run -b "$top:/src/tuntap_rs:ro" -b "$out/dkms:/out" -- \
		/src/tuntap_rs/scripts/stock-dkms-test.sh /src/tuntap_rs /out "$release")
fi
echo "$res" | grep -v '^host checks:'
line=$(echo "$res" | grep -E '^host checks: [0-9]+ passed' | tail -n 1)
if [ -z "$line" ]; then
	not_ok "stock-dkms-test.sh printed no summary"
else
	pass=$((pass + $(echo "$line" | sed -E 's/^host checks: ([0-9]+) passed.*/\1/')))
	fail=$((fail + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
fi
echo "host checks: $pass passed, $fail failed"
[ "$fail" = 0 ]
