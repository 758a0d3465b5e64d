#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's own kernel image and modules, unpacked for booting in a VM (never installed):
#
#   scripts/stock-image.sh [RELEASE]     print the path of its vmlinuz (default 7.3.4+deb13-amd64)
#
# Downloads linux-binary-RELEASE (the signed vmlinuz) and linux-modules-RELEASE (veth, bridge,
# virtio, 9p, ...) from the trixie-backports suite that scripts/setup.sh adds, unpacks both
# with dpkg-deb -x into $TUNTAP_IMAGES/RELEASE-VERSION/ and runs depmod there.
# virtme-ng finds the modules next to the image (<dir>/usr/lib/modules/RELEASE).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

release=${1:-7.3.4+deb13-amd64}
pkgs=("linux-binary-$release" "linux-modules-$release")
ver=$(apt-cache policy "${pkgs[0]}" 2>/dev/null | awk '/Candidate:/ { print $2 }')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	apt-get update -qq >&2 || true
	ver=$(apt-cache policy "${pkgs[0]}" 2>/dev/null | awk '/Candidate:/ { print $2 }')
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no ${pkgs[0]} package in the apt sources (scripts/setup.sh adds trixie-backports)"
# (A "~" in the version is kept out of the path: some tools take it for a home directory.)
dir=$TUNTAP_IMAGES/$release-${ver//\~/_}
img=$dir/usr/lib/modules/$release/vmlinuz
if [ -f "$dir/.tuntap-unpacked" ] && [ -f "$img" ]; then
	echo "$img"
	exit 0
fi
rm -rf "$dir" "$dir.debs"
mkdir -p "$dir.debs"
step "downloading ${pkgs[*]} ($ver)"
(cd "$dir.debs" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]/%/=$ver}" >&2) || die "apt-get download ${pkgs[*]} failed"
for deb in "$dir.debs"/*.deb; do
	dpkg-deb -x "$deb" "$dir" || die "cannot unpack $deb"
done
rm -rf "$dir.debs"
[ -f "$img" ] || die "no vmlinuz at $img in ${pkgs[0]}"
depmod -b "$dir/usr" "$release" 2>/dev/null || depmod -b "$dir" "$release" || die "depmod for $release failed"
touch "$dir/.tuntap-unpacked"
for old in "$TUNTAP_IMAGES/$release"-*; do
	[ "$old" = "$dir" ] || rm -rf "$old"
done
step "Debian's $release image unpacked in $dir"
echo "$img"
