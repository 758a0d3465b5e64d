#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tuntap_rs.ko for a Debian stock kernel, from any Debian host: on trixie it runs
# scripts/stock-build.sh on the host; elsewhere (bookworm) inside the cached trixie root of
# scripts/trixie-root.sh, with the repository mounted read-only.
#
#   scripts/stock.sh [--release R] [--rustc PATH] [--kdir-only]
#
# Prints the module's host path on stdout ($TOP/out/stock/<release>/tuntap_rs.ko), or with
# --kdir-only the host path of the cached build tree (kernel headers + Rust metadata).
# --rustc uses another compiler (a host toolchain's rustc, mounted into the root): the builder
# refuses it unless its version text is the kernel's, which is what `make check` tests.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

release=7.3.4+deb13-amd64
rustc="" args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--release) release=$2; shift 2 ;;
	--rustc) rustc=$2; shift 2 ;;
	--kdir-only) args+=(--kdir-only); shift ;;
	*) die "stock.sh: unknown option $1" ;;
	esac
done

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$codename" = trixie ]; then
	# A trixie host builds natively, with its own packages.
	out=$(RUSTC=${rustc:-rustc} "$here/stock-build.sh" --release "$release" "${args[@]}")
	[ "${#args[@]}" -gt 0 ] && { echo "$out"; exit 0; }
	mkdir -p "$top/out/stock/$release"
	cp "$out" "$top/out/stock/$release/tuntap_rs.ko"
	echo "$top/out/stock/$release/tuntap_rs.ko"
	exit 0
fi

root=$("$here/trixie-root.sh")
binds=(-b "$top:/src/tuntap_rs:ro")
envs=()
if [ -n "$rustc" ]; then
	sysroot=$("$rustc" --print sysroot) || die "$rustc --print sysroot failed"
	binds+=(-b "$sysroot:/opt/rustc:ro")
	envs+=(-e RUSTC=/opt/rustc/bin/rustc -e LD_LIBRARY_PATH=/opt/rustc/lib)
fi
out=$("$here/trixie-root.sh" run "${binds[@]}" "${envs[@]}" -- \
	/src/tuntap_rs/scripts/stock-build.sh --release "$release" --src /src/tuntap_rs "${args[@]}")
if [ "${#args[@]}" -gt 0 ]; then
	echo "$root$out"
	exit 0
fi
mkdir -p "$top/out/stock/$release"
cp "$root$out" "$top/out/stock/$release/tuntap_rs.ko"
echo "$top/out/stock/$release/tuntap_rs.ko"
