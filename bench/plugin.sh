#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds bench/insncount.c, the instruction-counting QEMU plugin, for the machine's own
# qemu-system-x86 and prints the path of the .so on stdout. The plugin API header comes from
# Debian's source package of that qemu version (through deb-src entries derived from the
# machine's own apt sources); it is cached beside the kernel trees.
#   bench/plugin.sh OUT_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$top/scripts/lib.sh"

out=$(realpath -m "${1:-$top/bench/out}")
mkdir -p "$out"
ver=$(dpkg-query -W -f '${Version}' qemu-system-x86 | sed -E 's/\+b[0-9]+$//')
header="$TUNTAP_CACHE/qemu-plugin-${ver#*:}.h"

if [ ! -f "$header" ]; then
	step "fetching qemu-plugin.h from the qemu $ver source package"
	dpkg -s libglib2.0-dev >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q libglib2.0-dev >&2
	dpkg -s dpkg-dev >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q dpkg-dev >&2
	if ! apt-get source --print-uris "qemu=$ver" 2>/dev/null | grep -q orig; then
		# Source entries for the suites the machine already uses: same mirrors, same keys.
		[ -f /etc/apt/sources.list.d/debian.sources ] ||
			die "no /etc/apt/sources.list.d/debian.sources to derive deb-src entries from"
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/tuntap-rs-src.sources
		apt-get update -qq >&2
	fi
	work=$(mktemp -d)
	(cd "$work" && apt-get source --download-only "qemu=$ver" >/dev/null 2>&1) ||
		die "apt-get source qemu=$ver failed"
	tar -xf "$work"/qemu_*.orig.tar.* -C "$work" --wildcards '*/include/qemu/qemu-plugin.h' ||
		die "no qemu-plugin.h in the qemu source"
	mkdir -p "$TUNTAP_CACHE"
	cp "$(find "$work" -name qemu-plugin.h | head -1)" "$header"
	rm -rf "$work"
fi

inc=$(mktemp -d)
cp "$header" "$inc/qemu-plugin.h"
# shellcheck disable=SC2046
cc -O2 -Wall -shared -fPIC -I"$inc" $(pkg-config --cflags glib-2.0) "$here/insncount.c" \
	-o "$out/libinsncount.so" $(pkg-config --libs glib-2.0)
rm -rf "$inc"
echo "$out/libinsncount.so"
