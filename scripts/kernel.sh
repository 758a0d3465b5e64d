#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) a Rust-enabled kernel tree for tuntap_rs.
#
#   scripts/kernel.sh [debug|release|kasan]   build if needed; print the tree's path on stdout
#
# debug and release are built with GCC. kasan is debug plus generic KASAN, built with LLVM=-19
# (clang-19, lld-19 from bookworm; scripts/setup.sh kasan installs them): CONFIG_RUST accepts
# KASAN only when the C compiler is clang. Rust code is compiled by rustc's own LLVM (22), C by
# clang 19; KASAN needs no common LLVM (only cross-language LTO and inlined C helpers do, which
# the kernel gates on RUSTC_CLANG_LLVM_COMPATIBLE). bindgen uses libclang 19, as clang.
# The tree records its make variables in .tuntap-make (LLVM=...), which the Makefile passes
# on when it builds the module against it.
#
# The tree lives in $TUNTAP_CACHE/linux-<version>-<flavour>-<hash>, where the hash covers the
# kernel source package version, rustc's version, the config fragments and `recipe` below (bump
# it when the way the tree is built changes). A tree is reused only when it finished building
# (it holds a `.tuntap-built` stamp); anything else is rebuilt, and older trees of the same
# flavour are removed once a new one is built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
toolchain_env

flavour=${1:-debug}
case "$flavour" in
debug) fragments=("$top/selftests/config" "$here/kconfig/debug.config") ;;
release) fragments=("$top/selftests/config" "$here/kconfig/release.config") ;;
kasan) fragments=("$top/selftests/config" "$here/kconfig/debug.config" "$here/kconfig/kasan.config") ;;
*) die "unknown kernel flavour '$flavour' (debug, release or kasan)" ;;
esac
make_vars=()
if [ "$flavour" = kasan ]; then
	"$here/setup.sh" kasan >&2 || die "scripts/setup.sh kasan failed"
	make_vars=(LLVM=-19)
	export LLVM=-19 LIBCLANG_PATH=/usr/lib/llvm-19/lib
fi

tarball=/usr/src/linux-source-7.3.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run scripts/setup.sh"
srcver=$(dpkg-query -W -f='${Version}' linux-source-7.3)
recipe=1
hash=$( { echo "$srcver recipe=$recipe${make_vars[*]:+ ${make_vars[*]}}"; rustc --version; cat "${fragments[@]}"; } | sha256sum | cut -c1-12)
tree="$TUNTAP_CACHE/linux-7.3-$flavour-$hash"

if [ -f "$tree/.tuntap-built" ]; then
	step "reusing kernel tree $tree"
	echo "$tree"
	exit 0
fi

mkdir -p "$TUNTAP_CACHE"
rm -rf "$tree"
step "extracting $tarball ($srcver) into $tree"
mkdir -p "$tree"
tar xf "$tarball" -C "$tree" --strip-components=1 || die "cannot extract $tarball"
cd "$tree"

step "checking the Rust toolchain (make rustavailable)"
make -s rustavailable RUST_LIB_SRC="$RUST_LIB_SRC" >&2 || die "make rustavailable failed: see PLATFORM.md (rust-src, bindgen, libclang)"

step "configuring: vng --kconfig + ${fragments[*]##*/}"
vng_args=()
for f in "${fragments[@]}"; do vng_args+=(--config "$f"); done
vng --kconfig "${vng_args[@]}" >/dev/null 2>&1 || die "vng --kconfig failed"
# vng appends its own defaults (DWARF debug info among them) after the fragments: merge the
# fragments again so that ours win.
scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" >/dev/null || die "merge_config.sh failed"
make -s olddefconfig RUST_LIB_SRC="$RUST_LIB_SRC" >&2 || die "make olddefconfig failed"

# Every line of the fragments must have survived olddefconfig; a dropped dependency would
# otherwise silently build a kernel without, say, Rust or lockdep.
bad=0
while IFS= read -r line; do
	case "$line" in "" | \#*) continue ;; esac
	opt=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "$opt=[ym]" .config && { echo "config: $opt is set, wanted n" >&2; bad=1; }
	else
		grep -qx "$opt=$val" .config || { echo "config: wanted $line, got '$(grep "^$opt=" .config || echo unset)'" >&2; bad=1; }
	fi
done < <(cat "${fragments[@]}")
[ "$bad" = 0 ] || die "the kernel .config lost options from the fragments (see above)"

jobs=$(nproc)
log="$tree/build.log"
step "building bzImage and modules with -j$jobs (about 20-30 minutes on 2 cores; log: $log)"
start=$(date +%s)
make -j"$jobs" bzImage modules RUST_LIB_SRC="$RUST_LIB_SRC" >"$log" 2>&1 &
pid=$!
# A progress line a minute: elapsed time, number of objects built, and the latest step.
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	kill -0 "$pid" 2>/dev/null || break
	step "kernel build: $(( ($(date +%s) - start) / 60 )) min, $(grep -c '^  CC\|^  RUSTC' "$log") objects, now: $(tail -n 1 "$log" | cut -c1-80)"
done
if ! wait "$pid"; then
	tail -n 40 "$log" >&2
	die "kernel build failed (full log: $log)"
fi
printf '%s\n' "${make_vars[@]}" >"$tree/.tuntap-make"
touch "$tree/.tuntap-built"
for old in "$TUNTAP_CACHE"/linux-7.3-"$flavour"-*; do
	[ "$old" = "$tree" ] || rm -rf "$old"
done
step "kernel built in $(( ($(date +%s) - start) / 60 )) min: $tree"
echo "$tree"
