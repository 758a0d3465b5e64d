#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build tuntap_rs.ko for a Debian stock kernel, on Debian trixie (the host itself when it is
# trixie; scripts/stock.sh runs this inside a cached trixie root otherwise).
#
#   stock-build.sh [--release R] [--no-install] [--src DIR] [--build DIR | --in-place DIR]
#   stock-build.sh [--release R] [--no-install] --kdir-only
#
# Debian's headers packages carry no Rust metadata (rust/*.rmeta), so out-of-tree Rust modules
# cannot be built against them alone. This rebuilds it from Debian's own kernel source with
# Debian's own compiler, checks that the result is the kernel's, and keeps it per release:
#   1. installs what is missing (linux-headers-R, linux-source-X.Y, rustc, rust-src, bindgen,
#      libclang, the kernel's gcc, openssl, pahole), unless --no-install (then it names them);
#   2. refuses unless rustc's and bindgen's version texts are the kernel's
#      CONFIG_RUSTC_VERSION_TEXT and CONFIG_BINDGEN_VERSION_TEXT (Rust symbol hashes depend on
#      the version text, and .rmeta files are readable only by the compiler that wrote them);
#   3. unpacks the kernel source, copies the headers' .config, runs olddefconfig and refuses
#      unless the result is byte for byte the headers' .config;
#   4. `make prepare` (builds rust/), then refuses unless every Rust symbol the rebuilt kernel
#      crate exports is in the headers' Module.symvers and the other way round (names them);
#   5. keeps a build tree: a copy of the headers tree plus the kbuild scripts, scripts/target.json
#      and rust/*.rmeta, rust/*.so, in $TUNTAP_CACHE/stock/<release>-<hash> (the hash covers the
#      headers package version and both version texts), and drops the source tree;
#   6. builds tuntap_rs.ko against it: in a copy of the sources (--build DIR, default
#      $TUNTAP_CACHE/stock/module-<release>) or in place (--in-place DIR, for DKMS).
# Prints the module's path on stdout (the build tree's with --kdir-only); progress on stderr.
# RUSTC and BINDGEN pick other compilers (the check in step 2 still applies).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

release=7.3.4+deb13-amd64
install=1 kdir_only=0
src=$(dirname "$here") build="" in_place=""
while [ $# -gt 0 ]; do
	case "$1" in
	--release) release=$2; shift 2 ;;
	--no-install) install=0; shift ;;
	--kdir-only) kdir_only=1; shift ;;
	--src) src=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--in-place) in_place=$2; shift 2 ;;
	*) die "stock-build.sh: unknown option $1" ;;
	esac
done
# The Debian kernel's version, e.g. 7.3 for 7.3.4+deb13-amd64: the linux-source package's name.
series=$(echo "$release" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
headers_pkg=linux-headers-$release
hdr=/usr/src/linux-headers-$release
rustc=${RUSTC:-rustc}
bindgen=${BINDGEN:-bindgen}
recipe=1
stock_cache=$TUNTAP_CACHE/stock

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_updated=0
# need [-t SUITE] PKG...: install the missing ones (or name them with --no-install).
need() {
	local suite=() missing=() p
	if [ "$1" = -t ]; then suite=(-t "$2"); shift 2; fi
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$install" = 1 ] || die "missing Debian packages: ${missing[*]} (apt-get install ${suite[*]} ${missing[*]})"
	apt_install "${suite[@]}" "${missing[@]}"
}
# apt_install ARGS...: apt-get install, after one apt-get update per run.
apt_install() {
	if [ "$apt_updated" = 0 ]; then
		step "apt-get update"
		apt-get update -qq >&2 || die "apt-get update failed"
		apt_updated=1
	fi
	step "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
		die "apt-get install $* failed"
}

conf() { sed -n "s/^$1=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}\$/\\1/p" "$hdr/.config"; }

# 1. The headers first: their .config says which compilers the rest must be.
if ! installed "$headers_pkg"; then
	[ "$install" = 1 ] || die "missing Debian package $headers_pkg (the kernel's headers)"
	need -t trixie-backports "$headers_pkg"
fi
[ -f "$hdr/.config" ] || die "$hdr/.config missing: is $headers_pkg installed?"
grep -qx 'CONFIG_RUST=y' "$hdr/.config" ||
	die "kernel $release is built without CONFIG_RUST: it cannot load Rust modules (tuntap_rs needs CONFIG_RUST=y)"
want_rustc=$(conf CONFIG_RUSTC_VERSION_TEXT)
want_bindgen=$(conf CONFIG_BINDGEN_VERSION_TEXT)
cc_text=$(conf CONFIG_CC_VERSION_TEXT)
cc=${cc_text%% *}
gcc_pkg=$(echo "$cc" | sed -E 's/^.*-(gcc-[0-9]+)$/\1/')
need rustc rust-src bindgen libclang-dev "$gcc_pkg" make flex bison bc libelf-dev libssl-dev openssl \
	pkg-config dwarves cpio xz-utils rsync kmod python3
# The source must be the headers' own version: both come from Debian's linux source package.
hdr_ver=$(dpkg-query -W -f='${Version}' "$headers_pkg")
src_ver=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null || true)
if [ "$src_ver" != "$hdr_ver" ]; then
	[ "$install" = 1 ] || die "linux-source-$series is '${src_ver:-not installed}', the headers are $hdr_ver: apt-get install linux-source-$series=$hdr_ver"
	apt_install --allow-downgrades "linux-source-$series=$hdr_ver"
fi

# 2. The compilers must be the kernel's, to the letter.
have_rustc=$("$rustc" --version 2>/dev/null || echo "(no $rustc)")
have_bindgen=$("$bindgen" --version 2>/dev/null | head -n 1 || echo "(no $bindgen)")
if [ "$have_rustc" != "$want_rustc" ]; then
	die "refusing to build for $release: the kernel was built with
    $want_rustc
but this compiler ($(command -v "$rustc" || echo "$rustc")) is
    $have_rustc
Rust symbol names carry a hash of the compiler's version text, and .rmeta files can be read only by
the compiler that wrote them: a module built with another rustc would not load. Install Debian's
rustc of that version (on trixie: apt-get install rustc) or set RUSTC to it."
fi
if [ "$have_bindgen" != "$want_bindgen" ]; then
	die "refusing to build for $release: the kernel was built with
    $want_bindgen
but this bindgen ($(command -v "$bindgen" || echo "$bindgen")) is
    $have_bindgen
(apt-get install bindgen, or set BINDGEN)"
fi
step "compilers match $release: $have_rustc; $have_bindgen; $cc_text"

hash=$( { echo "recipe=$recipe $headers_pkg=$hdr_ver"; echo "$want_rustc"; echo "$want_bindgen"; } | sha256sum | cut -c1-12)
kdir=$stock_cache/$release-$hash
rust_lib_src=$("$rustc" --print sysroot)/lib/rustlib/src/rust/library
[ -d "$rust_lib_src/core" ] || die "no Rust library sources in $rust_lib_src (apt-get install rust-src)"
# Debian's kernel is built with CROSS_COMPILE=x86_64-linux-gnu- and gcc-14 (its .kernelvariables).
kmake=(make ARCH=x86 "CROSS_COMPILE=${cc%gcc-*}" "CC=$cc" "HOSTCC=$gcc_pkg" "RUSTC=$rustc" "BINDGEN=$bindgen"
	"RUST_LIB_SRC=$rust_lib_src")

build_metadata() {
	local work=$kdir.work tree
	rm -rf "$work" "$kdir"
	mkdir -p "$work"
	tree=$work/linux
	local tarball=/usr/src/linux-source-$series.tar.xz
	step "unpacking $tarball"
	mkdir -p "$tree"
	tar xf "$tarball" -C "$tree" --strip-components=1 || die "cannot unpack $tarball"
	cp "$hdr/.config" "$tree/.config"
	# 3. olddefconfig must give back Debian's .config unchanged: anything else means a different
	# toolchain (compiler, binutils, pahole, openssl) and possibly different Rust code.
	step "make olddefconfig (must reproduce $hdr/.config byte for byte)"
	(cd "$tree" && "${kmake[@]}" -s olddefconfig >&2) || die "make olddefconfig failed"
	if ! cmp -s "$hdr/.config" "$tree/.config"; then
		diff -u "$hdr/.config" "$tree/.config" | head -n 40 >&2 || true
		die "refusing: olddefconfig with these tools does not reproduce $release's .config (differences above)"
	fi
	# 4. rust/ (core, kernel, macros, ...) is built by `make prepare` in 7.3.
	step "make prepare: building the kernel's Rust crates (about 3-5 minutes on 2 cores)"
	local start=$SECONDS
	(cd "$tree" && "${kmake[@]}" -j"$(nproc)" prepare >"$work/prepare.log" 2>&1) ||
		{ tail -n 30 "$work/prepare.log" >&2; die "make prepare failed (log: $work/prepare.log)"; }
	# The export lists as the kernel generates them (rust/Makefile's cmd_exports), if prepare
	# did not already.
	local lists
	lists=$(cd "$tree" && ls rust/exports_*_generated.h 2>/dev/null || true)
	if [ -z "$lists" ]; then
		(cd "$tree" && "${kmake[@]}" -s -j"$(nproc)" rust/exports_core_generated.h \
			rust/exports_bindings_generated.h rust/exports_kernel_generated.h >>"$work/prepare.log" 2>&1) ||
			{ tail -n 30 "$work/prepare.log" >&2; die "cannot generate rust/exports_*_generated.h"; }
	fi
	step "rust/ built in $((SECONDS - start)) s"
	# 4b. Every Rust symbol the rebuilt crates export must be one of the kernel's, and back.
	cat "$tree"/rust/exports_*_generated.h 2>/dev/null | sed -n 's/^EXPORT_SYMBOL_RUST_GPL(\(_R[^)]*\));$/\1/p' |
		sort -u >"$work/rebuilt.syms"
	awk '$2 ~ /^_R/ && $3 == "vmlinux" { print $2 }' "$hdr/Module.symvers" | sort -u >"$work/kernel.syms"
	local n_rebuilt n_kernel only_rebuilt only_kernel
	n_rebuilt=$(wc -l <"$work/rebuilt.syms")
	n_kernel=$(wc -l <"$work/kernel.syms")
	[ "$n_rebuilt" -gt 0 ] || die "the rebuilt tree exports no Rust symbols (see $work/prepare.log)"
	only_rebuilt=$(comm -23 "$work/rebuilt.syms" "$work/kernel.syms")
	only_kernel=$(comm -13 "$work/rebuilt.syms" "$work/kernel.syms")
	if [ -n "$only_rebuilt$only_kernel" ]; then
		{
			echo "Rust symbols exported by the rebuilt crates but not by $release ($(echo "$only_rebuilt" | grep -c .)):"
			echo "$only_rebuilt" | head -n 20 | sed 's/^/    /'
			echo "Rust symbols exported by $release but not rebuilt ($(echo "$only_kernel" | grep -c .)):"
			echo "$only_kernel" | head -n 20 | sed 's/^/    /'
		} >&2
		die "refusing: the rebuilt Rust metadata does not match $release's Module.symvers (symbols above)"
	fi
	step "export check: $n_rebuilt Rust symbols, identical to $release's Module.symvers"
	# 5. The build tree: the headers tree (its Makefile points at the -common tree) with its own
	# scripts directory (Debian's kbuild scripts + target.json) and the Rust metadata.
	local stage=$kdir.stage
	rm -rf "$stage"
	cp -a "$hdr" "$stage"
	# Debian's headers Makefile names its own directory as the output tree.
	sed -i "s|^KBUILD_OUTPUT=.*|KBUILD_OUTPUT=$kdir|" "$stage/Makefile"
	grep -qx "KBUILD_OUTPUT=$kdir" "$stage/Makefile" || die "unexpected $hdr/Makefile: no KBUILD_OUTPUT line"
	# Its relative links (scripts, tools: Debian's linux-kbuild package) made absolute; scripts a
	# copy, since target.json goes in it.
	rm -f "$stage/scripts" "$stage/tools"
	cp -a "$(readlink -f "$hdr/scripts")" "$stage/scripts"
	ln -s "$(readlink -f "$hdr/tools")" "$stage/tools"
	cp "$tree/scripts/target.json" "$stage/scripts/"
	mkdir -p "$stage/rust"
	cp "$tree"/rust/*.rmeta "$tree"/rust/*.so "$stage/rust/"
	{
		echo "release=$release"
		echo "headers=$headers_pkg=$hdr_ver"
		echo "rustc=$want_rustc"
		echo "bindgen=$want_bindgen"
		echo "rust_exports=$n_rebuilt"
		echo "built=$(date -u +%FT%TZ)"
	} >"$stage/.tuntap-stock"
	mv "$stage" "$kdir"
	rm -rf "$work"
	for old in "$stock_cache/$release"-*; do
		case "$old" in "$kdir" | *.work | *.stage) ;; *) [ -f "$old/.tuntap-stock" ] && rm -rf "$old" ;; esac
	done
	step "Rust metadata for $release cached in $kdir"
}

mkdir -p "$stock_cache"
if [ -f "$kdir/.tuntap-stock" ]; then
	step "reusing the Rust metadata for $release in $kdir"
else
	build_metadata
fi
if [ "$kdir_only" = 1 ]; then
	echo "$kdir"
	exit 0
fi

# 6. The module, built by this same compiler against the cached tree.
if [ -n "$in_place" ]; then
	dir=$in_place
else
	dir=${build:-$stock_cache/module-$release}
	mkdir -p "$dir"
	# Only the module's own sources: kbuild keeps one build per directory.
	cp "$src"/Kbuild "$src"/*.rs "$src"/glue.c "$src"/glue.h "$dir/"
	mkdir -p "$dir/netdev"
	cp "$src"/netdev/*.rs "$dir/netdev/"
	mkdir -p "$dir/include/net"
	cp "$src"/include/net/tuntap_rs_link.h "$dir/include/net/"
fi
step "building tuntap_rs.ko for $release in $dir"
make -s -C "$kdir" M="$dir" "RUSTC=$rustc" "RUST_LIB_SRC=$rust_lib_src" modules >&2 ||
	die "building tuntap_rs.ko for $release failed"
ko=$dir/tuntap_rs.ko
[ -f "$ko" ] || die "no $ko after the build"
vermagic=$(modinfo -F vermagic "$ko")
case "$vermagic" in "$release "*) ;; *) die "$ko has vermagic '$vermagic', not $release" ;; esac
step "built $ko ($vermagic)"
echo "$ko"
