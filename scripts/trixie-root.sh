#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A Debian trixie root for building against Debian's stock kernels from a host that is not
# trixie (the headers' tools and Debian's rustc need trixie's libc; installing them on a
# bookworm host would upgrade its libc). Made once with mmdebstrap, cached, and reused.
#
#   scripts/trixie-root.sh                  make (or reuse) the root; print its path on stdout
#   scripts/trixie-root.sh path             print where the root is (made or not)
#   scripts/trixie-root.sh run [-b SRC:DST[:ro]]... [-e VAR=VALUE]... -- COMMAND [ARG...]
#                                           run COMMAND inside the root, as root, with /proc, /dev,
#                                           /sys and the given bind mounts, in a private mount
#                                           namespace (nothing stays mounted afterwards)
#
# The root lives in $TUNTAP_CACHE/trixie-root-<hash>; the hash covers the package list and
# `recipe` below. Its apt sources reuse the mirror of this machine's own apt sources (never a
# host name written here): trixie, trixie-updates and trixie-security at their usual priorities,
# trixie-backports (the stock kernel's headers, source and image) at backports' usual 100.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# What the stock-kernel builder (scripts/stock-build.sh) and the DKMS check need: Debian's own
# Rust toolchain (rustc, rust-src, bindgen, libclang), gcc-14 and the kernel's build tools, the
# `openssl` command (olddefconfig only reproduces Debian's .config with it) and dkms.
packages=(build-essential gcc-14 rustc rust-src bindgen libclang-dev llvm clang pkg-config openssl
	libssl-dev libelf-dev flex bison bc cpio xz-utils rsync kmod dwarves python3 dkms
	ca-certificates git)
recipe=1

trixie_root_path() {
	local hash
	hash=$( { echo "recipe=$recipe"; printf '%s\n' "${packages[@]}"; } | sha256sum | cut -c1-12)
	echo "$TUNTAP_CACHE/trixie-root-$hash"
}

# The mirror URIs of this machine's own Debian sources: the main archive and the security one.
mirror_uris() {
	local main="" sec=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		main=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && u != "" && u !~ /security/ { print u; exit }' \
			/etc/apt/sources.list.d/debian.sources)
		sec=$(awk '/^URIs:/ && $2 ~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$main" ] && [ -f /etc/apt/sources.list ]; then
		main=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list)
		sec=$(awk '$1 == "deb" && $0 ~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$main" ] || die "cannot find a Debian mirror URI in this machine's apt sources"
	echo "$main" "$sec"
}

make_root() {
	local root
	root=$(trixie_root_path)
	if [ -f "$root/.tuntap-ready" ]; then
		echo "$root"
		return 0
	fi
	command -v mmdebstrap >/dev/null 2>&1 || {
		step "apt-get install mmdebstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >&2 ||
			die "cannot install mmdebstrap"
	}
	local uris main sec
	uris=$(mirror_uris)
	main=${uris%% *}
	sec=${uris#* }
	[ "$sec" != "$main" ] || sec=""
	local sources=("deb $main trixie main" "deb $main trixie-updates main" "deb $main trixie-backports main")
	[ -z "$sec" ] || sources+=("deb $sec trixie-security main")
	rm -rf "$root" "$root.tmp"
	mkdir -p "$TUNTAP_CACHE"
	step "making a Debian trixie root with mmdebstrap in $root (about 3-4 minutes)"
	local start=$SECONDS
	mmdebstrap --mode=root --variant=apt --components=main --include="$(IFS=,; echo "${packages[*]}")" \
		--aptopt='Acquire::Retries "3"' trixie "$root.tmp" "${sources[@]}" >&2 ||
		{ rm -rf "$root.tmp"; die "mmdebstrap failed to make the trixie root"; }
	# Trees the stock builder keeps inside the root.
	mkdir -p "$root.tmp/var/cache/tuntap_rs" "$root.tmp/src/tuntap_rs"
	touch "$root.tmp/.tuntap-ready"
	mv "$root.tmp" "$root"
	for old in "$TUNTAP_CACHE"/trixie-root-*; do
		[ "$old" = "$root" ] || rm -rf "$old"
	done
	step "trixie root ready in $((SECONDS - start)) s"
	echo "$root"
}

# run [-b SRC:DST[:ro]]... [-e VAR=VALUE]... -- COMMAND...: COMMAND in the root, as root, in a
# private mount namespace, with a clean environment plus the given variables.
run_in_root() {
	local root binds=() envs=()
	root=$(make_root)
	while [ $# -gt 0 ]; do
		case "$1" in
		-b) binds+=("$2"); shift 2 ;;
		-e) envs+=("$2"); shift 2 ;;
		--) shift; break ;;
		*) die "trixie-root.sh run: unknown option $1" ;;
		esac
	done
	[ $# -gt 0 ] || die "trixie-root.sh run: no command"
	local mounts b src dst opt
	mounts="mount -t proc proc $(printf %q "$root/proc") && mount --rbind /dev $(printf %q "$root/dev")"
	mounts+=" && mount --rbind /sys $(printf %q "$root/sys") && mount -t tmpfs tmpfs $(printf %q "$root/tmp")"
	for b in "${binds[@]}"; do
		IFS=: read -r src dst opt <<<"$b"
		mkdir -p "$root$dst"
		mounts+=" && mount --bind $(printf %q "$src") $(printf %q "$root$dst")"
		[ "$opt" != ro ] || mounts+=" && mount -o remount,bind,ro $(printf %q "$root$dst")"
	done
	# apt inside the root resolves names as the host does.
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	unshare --mount --propagation private -- sh -c "$mounts"' && exec chroot "$0" "$@"' "$root" \
		/usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		TUNTAP_CACHE=/var/cache/tuntap_rs "${envs[@]}" "$@"
}

case "${1:-}" in
"" | make) make_root ;;
path) trixie_root_path ;;
run) shift; run_in_root "$@" ;;
*) die "usage: trixie-root.sh [make | path | run [-b SRC:DST[:ro]]... -- COMMAND...]" ;;
esac
