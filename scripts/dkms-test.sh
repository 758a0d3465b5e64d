#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host check (no VM): build tuntap_rs as a DKMS package against a kernel tree, in a scratch DKMS
# tree, then remove it. Nothing outside a temporary directory is touched: the sources are
# copied to <tmp>/src/tuntap_rs-<version> (what /usr/src/tuntap_rs-<version> would be) and
# dkms runs with --sourcetree, --dkmstree and --installtree inside <tmp>.
#
#   scripts/dkms-test.sh [KDIR]     default KDIR: the cached debug kernel (scripts/kernel.sh debug)
#
# Prints `ok - ...`/`not ok - ...` lines and ends with `host checks: N passed, N failed`; exits
# non-zero when a check failed. Needs the dkms package (scripts/setup.sh installs it).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

. "$here/tap.sh"

# The repository's sources (tracked files and new ones not ignored), without build output.
copy_sources() {
	local dst=$1 f
	mkdir -p "$dst"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
			while IFS= read -r -d '' f; do
				[ -e "$top/$f" ] && printf '%s\0' "$f"
			done | (cd "$top" && xargs -0 -r cp -a --parents -t "$dst")
	else
		tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
			--exclude=bench/out --exclude=vm-console.log -cf - . | tar -C "$dst" -xf -
	fi
}

if ! command -v dkms >/dev/null 2>&1; then
	not_ok "dkms is installed (run scripts/setup.sh)"
	finish
fi

kdir=${1:-$("$here/kernel.sh" debug)} || { not_ok "kernel tree (scripts/kernel.sh debug)"; finish; }
if [ ! -f "$kdir/include/config/kernel.release" ]; then
	not_ok "kernel tree $kdir has include/config/kernel.release"
	finish
fi
kver=$(cat "$kdir/include/config/kernel.release")
arch=$(uname -m)

# dkms.conf agrees with the module.
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$top/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
modver=$(sed -n 's/^pub(crate) const VERSION: &CStr = c"\(.*\)";$/\1/p' "$top/driver.rs")
if [ "$name" = tuntap_rs ] && grep -q '^BUILT_MODULE_NAME\[0\]="tuntap_rs"$' "$top/dkms.conf"; then
	ok "dkms.conf: PACKAGE_NAME and BUILT_MODULE_NAME are tuntap_rs"
else
	not_ok "dkms.conf: PACKAGE_NAME ('$name') and BUILT_MODULE_NAME are tuntap_rs"
fi
if [ -n "$ver" ] && [ "$ver" = "$modver" ]; then
	ok "dkms.conf: PACKAGE_VERSION $ver is driver.rs's VERSION"
else
	not_ok "dkms.conf: PACKAGE_VERSION '$ver' is not driver.rs's VERSION '$modver'"
	ver=${ver:-0}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tuntap_rs-dkms.XXXXXX") || { not_ok "mktemp"; finish; }
dkmsargs=(-m "$name" -v "$ver"
	--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/modules")
added=0
cleanup() {
	if [ "$added" = 1 ]; then
		dkms remove "${dkmsargs[@]}" --all >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/dkms" "$tmp/modules"

copy_sources "$tmp/src/$name-$ver"
if [ -f "$tmp/src/$name-$ver/dkms.conf" ] && [ -f "$tmp/src/$name-$ver/Kbuild" ]; then
	ok "sources copied to a scratch source tree ($tmp/src/$name-$ver)"
else
	not_ok "sources copied to a scratch source tree (dkms.conf or Kbuild missing)"
	finish
fi

if dkms add "${dkmsargs[@]}" >"$tmp/add.log" 2>&1; then
	added=1
	ok "dkms add $name/$ver"
else
	not_ok "dkms add $name/$ver"
	show "$tmp/add.log"
	finish
fi

# One make job: the host may be busy (a VM test run); the module takes about 10 s.
step "dkms build $name/$ver for $kver against $kdir"
if dkms build "${dkmsargs[@]}" -k "$kver/$arch" --kernelsourcedir "$kdir" -j 1 \
	>"$tmp/build.log" 2>&1; then
	ok "dkms build $name/$ver for $kver"
else
	not_ok "dkms build $name/$ver for $kver"
	show "$tmp/build.log"
	for log in "$tmp/dkms/$name/$ver/build/make.log" \
		"$tmp/dkms/$name/$ver/$kver/$arch/log/make.log"; do
		[ -f "$log" ] && tail -n 40 "$log" | show
	done
	finish
fi

ko="$tmp/dkms/$name/$ver/$kver/$arch/module/$name.ko"
if [ -f "$ko" ] && [ "$(modinfo -F vermagic "$ko" | awk '{ print $1 }')" = "$kver" ]; then
	ok "built module $name.ko has vermagic $kver"
else
	not_ok "built module $ko with vermagic $kver"
fi

if dkms status "${dkmsargs[@]}" 2>/dev/null | grep -q "$name/$ver, $kver, $arch: built"; then
	ok "dkms status: $name/$ver, $kver, $arch: built"
else
	not_ok "dkms status shows $name/$ver built for $kver"
	dkms status "${dkmsargs[@]}" 2>&1 | show
fi

if dkms remove "${dkmsargs[@]}" --all >"$tmp/remove.log" 2>&1 &&
	[ -z "$(dkms status "${dkmsargs[@]}" 2>/dev/null)" ]; then
	added=0
	ok "dkms remove $name/$ver --all"
else
	not_ok "dkms remove $name/$ver --all"
	show "$tmp/remove.log"
fi

finish
